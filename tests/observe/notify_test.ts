import assert from "node:assert/strict";
import { ManualClock } from "../../lib/observe/clock.ts";
import { createLogger, silentLogger } from "../../lib/observe/log.ts";
import {
  Notifier,
  type NotifierOptions,
  slackRequest,
  slackText,
  type WebhookBody,
} from "../../lib/observe/notify.ts";

const SECRET_PATH = "/services/T000/B000/s3cr3t-t0ken";

/** A local receiver recording every POST; `hold` delays its answers. */
function receiver(opts: { status?: number; hold?: Promise<void> } = {}) {
  const got: { path: string; body: unknown }[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      got.push({ path: new URL(req.url).pathname, body: await req.json() });
      await opts.hold;
      return new Response("ok", { status: opts.status ?? 200 });
    },
  );
  return {
    got,
    url: (name: string) =>
      `http://127.0.0.1:${server.addr.port}/${name}${SECRET_PATH}`,
    close: () => server.shutdown(),
  };
}

function capture(): { lines: string[]; logger: NotifierOptions["logger"] } {
  const lines: string[] = [];
  const { logger } = createLogger({
    level: "debug",
    sink: (l) => lines.push(l),
  });
  return { lines, logger };
}

/** A fetch that never answers; it rejects only when its signal aborts. */
function hangingFetch(calls: string[]): typeof fetch {
  return (input, init) => {
    calls.push(String(input));
    return new Promise((_, reject) => {
      init?.signal?.addEventListener("abort", () => {
        reject(new DOMException("aborted", "AbortError"));
      }, { once: true });
    });
  };
}

Deno.test("Notifier.notify() sends exactly one message per event to each channel", async () => {
  const rx = receiver();
  const { lines, logger } = capture();
  const n = new Notifier({
    webhookUrl: rx.url("hook"),
    slackWebhookUrl: rx.url("slack"),
    node: "198.51.100.10:7947",
    logger,
    drainMs: 10_000,
  });
  try {
    n.notify({
      event: "record_removed",
      ip: "192.0.2.1",
      hostname: "www",
      detail: "3 probes lost",
    });
    n.notify({
      event: "peer_lost",
      detail: "no heartbeat from 198.51.100.11:7947",
    });
    await n.close();
  } finally {
    await rx.close();
  }
  const hooks = rx.got.filter((g) => g.path.startsWith("/hook"));
  const slack = rx.got.filter((g) => g.path.startsWith("/slack"));
  assert.equal(hooks.length, 2);
  assert.equal(slack.length, 2);
  const first = hooks[0]!.body as WebhookBody;
  assert.deepEqual(Object.keys(first).sort(), [
    "at",
    "detail",
    "event",
    "hostname",
    "ip",
    "node",
  ]);
  assert.equal(first.event, "record_removed");
  assert.equal(first.ip, "192.0.2.1");
  assert.equal(first.node, "198.51.100.10:7947");
  assert.ok(!Number.isNaN(Date.parse(first.at)));
  assert.equal((hooks[1]!.body as WebhookBody).ip, null);
  assert.match(
    (slack[0]!.body as { text: string }).text,
    /record_removed www 192\.0\.2\.1: 3 probes lost/,
  );
  assert.equal(lines.filter((l) => l.includes("Notification sent")).length, 4);
  assert.ok(!lines.join("\n").includes(SECRET_PATH));
});

Deno.test("Notifier.notify() survives a dead receiver and logs no URL", async () => {
  const rx = receiver();
  const dead = rx.url("hook");
  await rx.close(); // the port is now closed
  const { lines, logger } = capture();
  const outcomes: boolean[] = [];
  const n = new Notifier({
    webhookUrl: dead,
    node: "n1",
    logger,
    drainMs: 10_000,
    onResult: (_, ok) => outcomes.push(ok),
  });
  n.notify({ event: "guard_triggered", detail: "every target failed at once" });
  n.notify({ event: "guard_cleared", detail: "targets answer again" });
  await n.close();
  assert.deepEqual(outcomes, [false, false]);
  const failed = lines.filter((l) => l.includes("Notification failed"));
  assert.equal(failed.length, 2);
  assert.match(
    failed[0]!,
    /Notification failed" channel=webhook error="connection failed"/,
  );
  assert.ok(!lines.join("\n").includes(SECRET_PATH));
  assert.ok(!lines.join("\n").includes("127.0.0.1"));
});

Deno.test("Notifier.notify() times out a slow receiver without throwing", async () => {
  let release = () => {};
  const hold = new Promise<void>((r) => release = r);
  const rx = receiver({ hold });
  const { lines, logger } = capture();
  const n = new Notifier({
    webhookUrl: rx.url("hook"),
    node: "n1",
    logger,
    timeoutMs: 100,
    drainMs: 10_000,
  });
  try {
    n.notify({
      event: "record_restored",
      ip: "192.0.2.1",
      detail: "3 replies",
    });
    await n.close();
  } finally {
    release();
    await rx.close();
  }
  assert.equal(rx.got.length, 1);
  assert.ok(
    lines.some((l) =>
      /Notification failed" channel=webhook error="timeout or shutdown"/.test(l)
    ),
  );
  assert.ok(!lines.join("\n").includes(SECRET_PATH));
});

Deno.test("Notifier.notify() logs the HTTP status of a refused message", async () => {
  const rx = receiver({ status: 500 });
  const { lines, logger } = capture();
  const n = new Notifier({
    slackWebhookUrl: rx.url("slack"),
    node: "n1",
    logger,
    drainMs: 10_000,
  });
  try {
    n.notify({ event: "dns_error", detail: "401 from the API" });
    await n.close();
  } finally {
    await rx.close();
  }
  assert.ok(
    lines.some((l) => /Notification failed" channel=slack status=500/.test(l)),
  );
});

Deno.test("Notifier.notify() drops the oldest when the queue is full, with one warning", async () => {
  const calls: string[] = [];
  const { lines, logger } = capture();
  let drops = 0;
  const n = new Notifier({
    webhookUrl: "http://192.0.2.1/never" + SECRET_PATH,
    node: "n1",
    logger,
    fetch: hangingFetch(calls),
    queueLimit: 3,
    drainMs: 20,
    onDrop: () => drops++,
  });
  for (let i = 0; i < 10; i++) {
    n.notify({ event: "peer_lost", detail: `event ${i}` });
  }
  assert.equal(n.dropped, 6); // #0 in flight, #7..#9 queued
  assert.equal(drops, 6);
  assert.equal(lines.filter((l) => l.includes("queue full")).length, 1);
  await n.close();
  assert.equal(calls.length, 1);
  assert.ok(
    lines.some((l) => /abandoned at shutdown" count=4 droppedTotal=6/.test(l)),
  );
  assert.ok(!lines.join("\n").includes(SECRET_PATH));
});

Deno.test("Notifier.close() gives up after drainMs and ignores later events", async () => {
  const calls: string[] = [];
  const n = new Notifier({
    webhookUrl: "http://192.0.2.1/hook",
    node: "n1",
    logger: silentLogger,
    fetch: hangingFetch(calls),
    drainMs: 10,
  });
  n.notify({ event: "peer_lost", detail: "x" });
  await n.close();
  n.notify({ event: "peer_recovered", detail: "y" });
  assert.equal(calls.length, 1);
  assert.equal(n.pending, 0);
});

Deno.test("Notifier.notify() is a no-op without URLs; reconfigure() enables it", async () => {
  const calls: string[] = [];
  const n = new Notifier({
    node: "n1",
    logger: silentLogger,
    fetch: hangingFetch(calls),
    drainMs: 10,
  });
  assert.equal(n.enabled, false);
  n.notify({ event: "peer_lost", detail: "x" });
  assert.equal(n.pending, 0);
  n.reconfigure({ webhookUrl: "http://192.0.2.1/hook" });
  assert.equal(n.enabled, true);
  n.notify({ event: "peer_lost", detail: "x" });
  await n.close();
  assert.deepEqual(calls, ["http://192.0.2.1/hook"]);
});

Deno.test("slackText() escapes Slack control characters", () => {
  const text = slackText({
    event: "record_removed",
    ip: "192.0.2.1",
    hostname: "<!channel>",
    detail: "a & b",
    at: "2026-01-01T00:00:00.000Z",
    node: "n1",
  });
  assert.equal(
    text,
    "[goavail n1] record_removed &lt;!channel&gt; 192.0.2.1: a &amp; b",
  );
});

Deno.test("Notifier.close() is bounded in real time even with a manual clock", async () => {
  const calls: string[] = [];
  const n = new Notifier({
    webhookUrl: "http://192.0.2.1/hook",
    node: "n1",
    logger: silentLogger,
    clock: new ManualClock(),
    fetch: hangingFetch(calls),
    drainMs: 10,
  });
  n.notify({ event: "record_removed", ip: "192.0.2.1", detail: "x" });
  await n.close(); // would hang if the drain waited on the manual clock
  assert.equal(calls.length, 1);
});

Deno.test("slackRequest() sends JSON, or the original's payload form field", async () => {
  const json = slackRequest("a & b: 100%", "json");
  assert.equal(json.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(json.body), { text: "a & b: 100%" });
  const form = slackRequest("a & b: 100%", "form");
  assert.equal(
    form.headers["content-type"],
    "application/x-www-form-urlencoded",
  );
  const fields = new URLSearchParams(form.body);
  assert.deepEqual([...fields.keys()], ["payload"]);
  assert.deepEqual(JSON.parse(fields.get("payload")!), { text: "a & b: 100%" });
  // What a form parser (Slack's) reads back.
  const parsed = await new Request("http://x/", {
    method: "POST",
    ...form,
  }).formData();
  assert.deepEqual(JSON.parse(String(parsed.get("payload"))), {
    text: "a & b: 100%",
  });
});
