import assert from "node:assert/strict";
import { ManualClock } from "../../lib/observe/clock.ts";
import { silentLogger } from "../../lib/observe/log.ts";
import { encodeEchoReply } from "../../lib/probe/icmp_packet.ts";
import { Pinger } from "../../lib/probe/pinger.ts";
import type { Observation } from "../../lib/probe/types.ts";
import { FakeIcmpSocket } from "./fake_icmp_socket.ts";
import { settle, setup } from "./pinger_fixture.ts";

Deno.test("Pinger() matches replies by id, seq and source and reports the RTT", async () => {
  const t = setup({
    v4: { autoReplyMicros: 1500 },
    v6: { autoReplyMicros: 2500 },
  });
  try {
    t.pinger.setTargets(["192.0.2.1", "2001:db8::1"]);
    t.pinger.start();
    await t.advance(1000, 4);
    const first = t.obs.slice(0, 2);
    assert.deepEqual(first.map((o) => [o.ip, o.ok, o.rttMicros]), [
      ["192.0.2.1", true, 1500],
      ["2001:db8::1", true, 2500],
    ]);
    // The replies to the probes sent at the last step arrive 2.5 ms later.
    await t.advance(5);
    assert.equal(t.pinger.stats().received, t.pinger.stats().sent);
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger() reports a timeout when no reply arrives", async () => {
  const t = setup();
  try {
    t.pinger.setTargets(["192.0.2.1"]);
    t.pinger.start();
    await t.advance(400);
    assert.equal(t.obs.length, 0);
    await t.advance(200);
    assert.deepEqual(t.obs.map((o) => [o.ok, o.fault, o.rttMicros]), [
      [false, "timeout", null],
    ]);
    assert.equal(t.pinger.stats().timeouts, 1);
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger() ignores replies with a foreign source, id, cookie or seq", async () => {
  const t = setup();
  try {
    t.pinger.setTargets(["192.0.2.1"]);
    t.pinger.start();
    await t.advance(10);
    const echo = t.v4.sent[0]!.echo;
    t.v4.reply(0, { source: "192.0.2.99" });
    t.v4.reply(0, { echo: { id: echo.id ^ 1 } });
    t.v4.reply(0, { echo: { seq: (echo.seq + 1) & 0xffff } });
    const payload = echo.payload.slice();
    payload[0] = payload[0]! ^ 0xff;
    t.v4.reply(0, { echo: { payload } });
    t.v4.inject(new Uint8Array([0, 0, 0]), "192.0.2.1", 0);
    await t.advance(600);
    assert.deepEqual(t.obs.map((o) => o.fault), ["timeout"]);
    assert.equal(t.pinger.stats().received, 0);
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger() counts a late reply as late, never as success for a later probe", async () => {
  const t = setup();
  try {
    t.pinger.setTargets(["192.0.2.1"]);
    t.pinger.start();
    await t.advance(1000, 2); // probe 0 times out, probe 1 is sent
    assert.equal(t.v4.sent.length, 2);
    t.v4.reply(0, { rttMicros: 1_000_100 });
    await t.advance(600);
    assert.deepEqual(t.obs.map((o) => [o.ok, o.fault]), [
      [false, "timeout"],
      [false, "timeout"],
    ]);
    assert.equal(t.pinger.stats().late, 1);
    assert.equal(t.pinger.stats().received, 0);
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger() reports a timeout, then counts the reply that comes after it as late", async () => {
  const t = setup();
  try {
    t.pinger.setTargets(["192.0.2.1"]);
    t.pinger.start();
    await t.advance(10);
    t.v4.reply(0, { rttMicros: 700_000 });
    await t.advance(790, 8);
    assert.deepEqual(t.obs.map((o) => o.fault), ["timeout"]);
    assert.deepEqual(
      [t.pinger.stats().late, t.pinger.stats().timeouts],
      [1, 1],
    );
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger() reports send errors as local faults, distinct from timeouts", async () => {
  const t = setup();
  try {
    t.v4.failures.set("203.0.113.5", "EHOSTUNREACH");
    t.pinger.setTargets(["203.0.113.5", "bogus"]);
    t.pinger.start();
    await t.advance(1000, 4);
    const faults = t.obs.map((o) => [o.ip, o.ok, o.fault, o.detail]);
    assert.deepEqual(faults.slice(0, 2), [
      ["203.0.113.5", false, "local", "EHOSTUNREACH"],
      ["bogus", false, "local", "EINVAL"],
    ]);
    assert.equal(t.pinger.stats().timeouts, 0);
    assert.ok(t.pinger.stats().localFaults >= 2);
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger() reports a family without a socket as a local fault", async () => {
  const clock = new ManualClock();
  const obs: Observation[] = [];
  const v4 = new FakeIcmpSocket(clock, { family: 4 });
  const pinger = new Pinger({ v4 }, {
    clock,
    logger: silentLogger,
    onObservation: (o) => obs.push(o),
  });
  try {
    pinger.setTargets(["2001:db8::7"]);
    pinger.start();
    await settle();
    assert.deepEqual(obs.map((o) => [o.fault, o.detail]), [[
      "local",
      "EAFNOSUPPORT",
    ]]);
  } finally {
    await pinger.stop();
  }
});

Deno.test("Pinger() accepts replies from datagram sockets that rewrite the id", async () => {
  const t = setup({
    v4: { kind: "dgram", autoReplyMicros: 300 },
    v6: { kind: "dgram", autoReplyMicros: 300 },
  });
  try {
    t.pinger.setTargets(["198.51.100.1", "2001:db8::2"]);
    t.pinger.start();
    await t.advance(1000, 4);
    assert.ok(t.obs.length >= 2);
    assert.ok(t.obs.every((o) => o.ok && o.rttMicros === 300));
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger() ignores echo requests and other types seen on a raw socket", async () => {
  const t = setup();
  try {
    t.pinger.setTargets(["192.0.2.1"]);
    t.pinger.start();
    await t.advance(10);
    const echo = t.v4.sent[0]!.echo;
    const request = FakeIcmpSocket.request(4, echo);
    t.v4.inject(request, "192.0.2.1", 10);
    const unreachable = encodeEchoReply(4, echo);
    unreachable[0] = 3;
    t.v4.inject(unreachable, "192.0.2.1", 10);
    await t.advance(600);
    assert.deepEqual(t.obs.map((o) => o.fault), ["timeout"]);
  } finally {
    await t.pinger.stop();
  }
});

Deno.test("Pinger() keeps probing when the observation handler throws", async () => {
  const clock = new ManualClock();
  const v4 = new FakeIcmpSocket(clock, { family: 4, autoReplyMicros: 50 });
  let calls = 0;
  const pinger = new Pinger({ v4 }, {
    clock,
    logger: silentLogger,
    onObservation: () => {
      calls++;
      throw new Error("boom");
    },
  });
  try {
    pinger.setTargets(["192.0.2.1"]);
    pinger.start();
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      await settle();
    }
    assert.ok(calls >= 3);
  } finally {
    await pinger.stop();
  }
});

Deno.test("Pinger() measures RTT from the kernel transmit time when it is plausible", async () => {
  const t = setup({
    v4: { autoReplyMicros: 1000, txDelayMicros: 30 },
    v6: { autoReplyMicros: 1000, txDelayMicros: 5000 },
  });
  try {
    t.pinger.setTargets(["192.0.2.1", "2001:db8::1"]);
    t.pinger.start();
    await t.advance(1000, 4);
    assert.deepEqual(t.obs.slice(0, 2).map((o) => [o.ip, o.rttMicros]), [
      ["192.0.2.1", 970],
      ["2001:db8::1", 1000], // a transmit time after the reply is ignored
    ]);
  } finally {
    await t.pinger.stop();
  }
});
