import assert from "node:assert/strict";
import { ManualClock } from "../../lib/observe/clock.ts";
import {
  formatSummary,
  runProbeCommand,
} from "../../lib/probe/probe_command.ts";
import { ProbeError } from "../../lib/probe/types.ts";
import { FakeIcmpSocket } from "./fake_icmp_socket.ts";

/** Runs the command on a manual clock, advancing until it returns (bounded). */
async function drive(
  clock: ManualClock,
  run: Promise<number>,
): Promise<number> {
  let code: number | null = null;
  run.then((c) => code = c);
  for (let i = 0; i < 2000 && code === null; i++) {
    clock.advance(10);
    await new Promise((r) => setTimeout(r, 0));
  }
  return await run;
}

Deno.test("formatSummary() prints fping's -c summary line", () => {
  assert.equal(
    formatSummary("127.0.0.1", 9, { xmt: 5, rtts: [31, 45, 62, 40, 47] }),
    "127.0.0.1 : xmt/rcv/%loss = 5/5/0%, min/avg/max = 0.031/0.045/0.062",
  );
  assert.equal(
    formatSummary("::1", 9, { xmt: 3, rtts: [] }),
    "::1       : xmt/rcv/%loss = 3/0/100%",
  );
  assert.equal(
    formatSummary("::1", 3, { xmt: 3, rtts: [1000] }),
    "::1 : xmt/rcv/%loss = 3/1/67%, min/avg/max = 1.000/1.000/1.000",
  );
});

Deno.test("runProbeCommand() returns 0 and one line per target when all answer", async () => {
  const clock = new ManualClock();
  const lines: string[] = [];
  const v4 = new FakeIcmpSocket(clock, { family: 4, autoReplyMicros: 45 });
  const v6 = new FakeIcmpSocket(clock, { family: 6, autoReplyMicros: 62 });
  const code = await drive(
    clock,
    runProbeCommand({
      targets: ["192.0.2.1", "2001:db8::1"],
      count: 3,
      intervalMs: 100,
      timeoutMs: 50,
      openSockets: () => ({ v4, v6 }),
      write: (l) => lines.push(l),
      clock,
    }),
  );
  assert.equal(code, 0);
  assert.deepEqual(lines, [
    "192.0.2.1   : xmt/rcv/%loss = 3/3/0%, min/avg/max = 0.045/0.045/0.045",
    "2001:db8::1 : xmt/rcv/%loss = 3/3/0%, min/avg/max = 0.062/0.062/0.062",
  ]);
  assert.ok(v4.closed && v6.closed);
});

Deno.test("runProbeCommand() returns 1 when a target never answers", async () => {
  const clock = new ManualClock();
  const lines: string[] = [];
  const v4 = new FakeIcmpSocket(clock, { family: 4 });
  v4.failures.set("203.0.113.1", "EHOSTUNREACH");
  const code = await drive(
    clock,
    runProbeCommand({
      targets: ["192.0.2.1", "203.0.113.1"],
      count: 2,
      intervalMs: 100,
      timeoutMs: 50,
      openSockets: () => ({ v4 }),
      write: (l) => lines.push(l),
      clock,
    }),
  );
  assert.equal(code, 1);
  assert.deepEqual(lines, [
    "192.0.2.1   : xmt/rcv/%loss = 2/0/100%",
    "203.0.113.1 : xmt/rcv/%loss = 2/0/100%",
  ]);
});

Deno.test("runProbeCommand() returns 2 for a target that is not an IP address", async () => {
  const lines: string[] = [];
  const code = await runProbeCommand({
    targets: ["example.com"],
    count: 1,
    intervalMs: 100,
    timeoutMs: 50,
    openSockets: () => {
      throw new Error("must not open sockets");
    },
    write: (l) => lines.push(l),
  });
  assert.equal(code, 2);
  assert.deepEqual(lines, ["example.com: not an IP address"]);
});

Deno.test("runProbeCommand() returns 4 with the fix when sockets cannot be opened", async () => {
  const lines: string[] = [];
  const code = await runProbeCommand({
    targets: ["127.0.0.1"],
    count: 1,
    intervalMs: 100,
    timeoutMs: 50,
    openSockets: () => {
      throw new ProbeError("Cannot open an IPv4 ICMP socket: run as root");
    },
    write: (l) => lines.push(l),
  });
  assert.equal(code, 4);
  assert.deepEqual(lines, ["Cannot open an IPv4 ICMP socket: run as root"]);
});
