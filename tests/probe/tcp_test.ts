import assert from "node:assert/strict";
import { ManualClock, systemClock } from "../../lib/observe/clock.ts";
import { silentLogger } from "../../lib/observe/log.ts";
import { TcpProber } from "../../lib/probe/tcp.ts";
import type { Observation } from "../../lib/probe/types.ts";

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
}

/** Waits (bounded to ~5 s) until `cond()` holds. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("TcpProber() reports ok with an RTT when the port accepts", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const conn of listener) conn.close();
  })().catch(() => {});
  const obs: Observation[] = [];
  const prober = new TcpProber(listener.addr.port, {
    clock: systemClock,
    logger: silentLogger,
    onObservation: (o) => obs.push(o),
    timing: { intervalMs: 50, timeoutMs: 1000 },
  });
  try {
    prober.setTargets(["127.0.0.1"]);
    prober.start();
    await until(() => obs.length >= 2);
    assert.ok(obs.length >= 2);
    assert.ok(
      obs.every((o) => o.ok && o.ip === "127.0.0.1" && o.rttMicros !== null),
    );
  } finally {
    await prober.stop();
    listener.close();
    await accepting;
  }
});

Deno.test("TcpProber() reports a refused port as a failed probe, not a local fault", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const obs: Observation[] = [];
  const prober = new TcpProber(port, {
    clock: systemClock,
    logger: silentLogger,
    onObservation: (o) => obs.push(o),
    timing: { intervalMs: 50, timeoutMs: 1000 },
  });
  try {
    prober.setTargets(["127.0.0.1"]);
    prober.start();
    await until(() => obs.length >= 1);
    assert.equal(obs[0]?.ok, false);
    assert.equal(obs[0]?.fault, "timeout");
    assert.ok(obs[0]?.detail);
  } finally {
    await prober.stop();
  }
});

function hangingConnect(o: Deno.ConnectOptions): Promise<{ close(): void }> {
  return new Promise((_, reject) => {
    o.signal?.addEventListener("abort", () => reject(new Error("aborted")), {
      once: true,
    });
  });
}

Deno.test("TcpProber() times out a connect that never completes", async () => {
  const clock = new ManualClock();
  const obs: Observation[] = [];
  const prober = new TcpProber(80, {
    clock,
    logger: silentLogger,
    onObservation: (o) => obs.push(o),
    timing: { intervalMs: 1000, timeoutMs: 300 },
    connect: hangingConnect,
  });
  try {
    prober.setTargets(["192.0.2.10"]);
    prober.start();
    await settle();
    assert.equal(obs.length, 0);
    clock.advance(300);
    await settle();
    assert.deepEqual(obs.map((o) => [o.ok, o.fault, o.detail]), [[
      false,
      "timeout",
      undefined,
    ]]);
    assert.equal(prober.stats().timeouts, 1);
  } finally {
    await prober.stop();
  }
});

function failingConnect(code: string, message = code) {
  return () => {
    const e = new Error(message);
    Object.assign(e, { code });
    return Promise.reject(e);
  };
}

/** Runs one probe of `ip` whose connect fails with `code`. */
async function probeOnce(
  code: string,
  hasRoute?: (ip: string) => boolean | null,
  logger = silentLogger,
): Promise<{ obs: Observation[]; stats: ReturnType<TcpProber["stats"]> }> {
  const obs: Observation[] = [];
  const prober = new TcpProber(80, {
    clock: new ManualClock(),
    logger,
    onObservation: (o) => obs.push(o),
    connect: failingConnect(code),
    ...(hasRoute ? { hasRoute } : {}),
  });
  try {
    prober.setTargets(["198.51.100.1"]);
    prober.start();
    await settle();
    return { obs, stats: prober.stats() };
  } finally {
    await prober.stop();
  }
}

Deno.test("TcpProber() reports unreachable without a route as a local fault", async () => {
  const { obs, stats } = await probeOnce("ENETUNREACH", () => false);
  assert.deepEqual(obs.map((o) => [o.fault, o.detail]), [[
    "local",
    "ENETUNREACH",
  ]]);
  assert.equal(stats.localFaults, 1);
});

Deno.test("TcpProber() counts an ICMP host-prohibited reply (route exists) against the target", async () => {
  const asked: string[] = [];
  const { obs, stats } = await probeOnce("EHOSTUNREACH", (ip) => {
    asked.push(ip);
    return true;
  });
  assert.deepEqual(obs.map((o) => [o.ok, o.fault, o.detail]), [[
    false,
    "timeout",
    "EHOSTUNREACH",
  ]]);
  assert.equal(stats.localFaults, 0);
  assert.deepEqual(asked, ["198.51.100.1"]);
});

Deno.test("TcpProber() without a route lookup counts unreachable as local and warns once", async () => {
  const warnings: string[] = [];
  const clock = new ManualClock();
  const obs: Observation[] = [];
  const prober = new TcpProber(80, {
    clock,
    logger: { ...silentLogger, warn: (msg: string) => void warnings.push(msg) },
    onObservation: (o) => obs.push(o),
    timing: { intervalMs: 1000, timeoutMs: 500 },
    connect: failingConnect("EHOSTUNREACH"),
  });
  try {
    prober.setTargets(["198.51.100.1"]);
    prober.start();
    await settle();
    clock.advance(1000);
    await settle();
    assert.deepEqual(obs.map((o) => o.fault), ["local", "local"]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /Cannot look up routes/);
  } finally {
    await prober.stop();
  }
});

Deno.test("TcpProber() never asks for a route on a refused or reset connect", async () => {
  for (const code of ["ECONNREFUSED", "ECONNRESET", "EHOSTDOWN"]) {
    const { obs } = await probeOnce(code, () => {
      throw new Error("route lookup called");
    });
    assert.deepEqual(obs.map((o) => [o.fault, o.detail]), [["timeout", code]]);
  }
});

Deno.test("TcpProber() stop() aborts connects in flight and reports nothing more", async () => {
  const clock = new ManualClock();
  const obs: Observation[] = [];
  const prober = new TcpProber(80, {
    clock,
    logger: silentLogger,
    onObservation: (o) => obs.push(o),
    connect: hangingConnect,
  });
  prober.setTargets(["192.0.2.10", "192.0.2.11"]);
  prober.start();
  await settle();
  await prober.stop();
  assert.equal(obs.length, 0);
  assert.equal(prober.stats().sent, 1);
});

Deno.test("TcpProber.retry() connects again after retry_interval and waits at most that long", async () => {
  const clock = new ManualClock();
  const obs: Observation[] = [];
  let connects = 0;
  const prober = new TcpProber(80, {
    clock,
    logger: silentLogger,
    onObservation: (o) => obs.push(o),
    timing: { intervalMs: 1000, timeoutMs: 500, retryMs: 100 },
    connect: (o) => (connects++, hangingConnect(o)),
  });
  try {
    prober.setTargets(["192.0.2.10"]);
    prober.start();
    await settle();
    assert.equal(connects, 1);
    prober.retry("192.0.2.10");
    clock.advance(100);
    await settle();
    assert.equal(connects, 2, "the confirming connect");
    clock.advance(100);
    await settle();
    assert.deepEqual(obs.map((o) => o.fault), ["timeout"], "after 100 ms");
  } finally {
    await prober.stop();
  }
});
