/**
 * A TCP target for namespace labs: accepts on `0.0.0.0:PORT` and `[::]:PORT`
 * and closes each connection at once; prints "ready" when listening.
 * Usage: `deno run --allow-net tcp_listen.ts PORT`.
 * @module
 */
const port = Number(Deno.args[0]);
const listeners = [
  Deno.listen({ hostname: "0.0.0.0", port }),
  ...(() => {
    try {
      return [Deno.listen({ hostname: "::", port })];
    } catch {
      return []; // no IPv6 in this namespace, or [::] already covers v4
    }
  })(),
];
// deno-lint-ignore no-console
console.log("ready");
await Promise.all(listeners.map(async (l) => {
  for await (const conn of l) conn.close();
}));
