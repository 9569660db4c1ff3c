/**
 * An HTTP target for namespace labs: answers every request on
 * `0.0.0.0:PORT` with STATUS and the body "ok" (or "down" for a status
 * that is not 2xx); prints "ready" when listening.
 * Usage: `deno run --allow-net http_listen.ts PORT STATUS`.
 * @module
 */
const port = Number(Deno.args[0]);
const status = Number(Deno.args[1] ?? 200);
Deno.serve({
  hostname: "0.0.0.0",
  port,
  // deno-lint-ignore no-console
  onListen: () => console.log("ready"),
}, () => new Response(status < 300 ? "ok" : "down", { status }));
