/**
 * Helpers of the cluster e2e tests (tests/e2e/cluster_netns_test.ts): the
 * three-agent lab they all use (interval 0.5 s, threshold 3, heartbeat
 * 0.5 s, `min_peers_agree = 1`), status waits, the audit assertion, and
 * hand-made heartbeats.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import {
  deriveKeyring,
  type Keyring,
  sealHeartbeat,
} from "../../lib/cluster/crypto.ts";
import type { PeerView } from "../../lib/cluster/types.ts";
import { AgentLab, LAB_CRYPTO_KEY, type StatusDoc } from "./agent_lab.ts";
import { describeOps, type WriteOp } from "./lab_audit.ts";
import { parseProm, sampleValue } from "./prom_parse.ts";
import { handoverMs } from "../../lib/agent/write_facts.ts";

export { deriveKeyring, LAB_CRYPTO_KEY };
export type { Keyring };

/** Probe interval of the lab agents, ms. */
export const INTERVAL_MS = 500;
/** Failure (and recovery) threshold of the lab agents. */
export const THRESHOLD = 3;
/** Heartbeat interval of the lab agents, ms. */
export const HEARTBEAT_MS = 500;
/** Removal bound: threshold × interval + 2 s + two heartbeats. */
export const BOUND_MS = THRESHOLD * INTERVAL_MS + 2000 + 2 * HEARTBEAT_MS;
/** Peer timeout of the lab agents (the default, 3 heartbeats), ms. */
export const PEER_TIMEOUT_MS = 3 * HEARTBEAT_MS;
/**
 * Removal bound after the writer is lost: the survivors notice the loss
 * (peer timeout), wait out the handover (SAFETY.md, rule H), then remove.
 */
export const TAKEOVER_MS = PEER_TIMEOUT_MS +
  handoverMs(PEER_TIMEOUT_MS / 1000, HEARTBEAT_MS / 1000) + BOUND_MS;
/** Long enough for a non-preferred writer's grace (rank 2 × 2 heartbeats). */
export const SETTLE_MS = 4 * HEARTBEAT_MS + 1500;

/** Waits `ms` real milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Builds the lab, starts `agents`, waits until they settle, runs `fn`. */
export async function withCluster(
  fn: (lab: AgentLab) => Promise<void>,
  agents = [0, 1, 2],
  reconcileInterval = 60,
  targets = 3,
): Promise<void> {
  const lab = await AgentLab.create({
    agents: 3,
    targets,
    interval: INTERVAL_MS / 1000,
    failureThreshold: THRESHOLD,
    heartbeatInterval: HEARTBEAT_MS / 1000,
    minPeersAgree: 1,
    reconcileInterval,
  });
  try {
    await lab.records();
    for (const i of agents) lab.startAgent(i);
    await lab.waitSettled(agents, 30_000);
    await fn(lab);
    assertEquals((await lab.audit()).emptied, []);
  } catch (e) {
    dumpLogs(lab);
    throw e;
  } finally {
    await lab.destroy();
  }
}

/** Runs a step; a failed step fails the test at once (logs get dumped). */
export async function step(
  t: Deno.TestContext,
  name: string,
  fn: () => Promise<void>,
): Promise<void> {
  if (!(await t.step(name, fn))) throw new Error(`step "${name}" failed`);
}

/** On failure: the agents' warnings and DNS lines, to stderr. */
export function dumpLogs(lab: AgentLab): void {
  const interesting = /"level":"(warn|error)"|"component":"dns"/;
  const text = lab.procs.flatMap((p, i) =>
    (p?.logs ?? []).filter((l) => interesting.test(l)).slice(-40).map((l) =>
      `a${i} ${l}`
    )
  ).join("\n");
  Deno.stderr.writeSync(new TextEncoder().encode(text + "\n"));
}

/** @returns agent `i`'s `/status` document. */
export async function statusOf(lab: AgentLab, i: number): Promise<StatusDoc> {
  return await lab.status(i) as StatusDoc;
}

/** Waits until `check` holds for agent `i`'s status. */
export function waitStatus(
  lab: AgentLab,
  i: number,
  check: (s: StatusDoc) => boolean,
  what: string,
  ms = 15_000,
): Promise<void> {
  return lab.waitFor(
    async () => check(await statusOf(lab, i).catch(() => ({}))),
    `agent ${i}: ${what}`,
    ms,
  );
}

/**
 * Asserts the API saw exactly `expected` effective writes (2xx), in order.
 * A failed write is allowed only as an idempotent repeat of an expected
 * one (e.g. two agents deleting at the same instant: the second gets 404
 * and changes nothing); anything else fails.
 */
export async function assertWrites(
  lab: AgentLab,
  expected: string[],
): Promise<void> {
  const ops = await lab.writeOps();
  const done = (o: WriteOp) => o.status >= 200 && o.status < 300;
  assertEquals(describeOps(ops.filter(done)), expected);
  const repeats = describeOps(ops.filter((o) => !done(o)));
  for (const r of repeats) {
    assert(expected.includes(r), `unexpected failed write "${r}"`);
  }
}

/** @returns the status row of `ip`, if any. */
export function target(
  s: StatusDoc,
  ip: string,
): NonNullable<StatusDoc["targets"]>[number] | undefined {
  return s.targets?.find((t) => t.ip === ip);
}

/** @returns whether the status shows peer `id` live. */
export function peerLive(s: StatusDoc, id: string): boolean {
  return s.peers?.find((p) => p.addr === id)?.live === true;
}

/** @returns whether `ip` is published at the fake API. */
export async function published(lab: AgentLab, ip: string): Promise<boolean> {
  return (await lab.published()).includes(ip);
}

/** @returns a full view of the lab's targets, `down` ones down. */
export function view(lab: AgentLab, down: number[]): PeerView {
  const out: PeerView = {};
  for (let t = 0; t < lab.opts.targets; t++) {
    const isDown = down.includes(t);
    out[lab.targetIp(t)] = {
      verdict: isDown ? "down" : "up",
      since: Date.now() - 60_000,
      consecutive: 100,
    };
  }
  return out;
}

/** @returns a sealed heartbeat from `from` (sent now). */
export function frame(
  ring: Keyring,
  from: string,
  boot: number,
  seq: number,
  v: PeerView,
): Promise<Uint8Array> {
  return sealHeartbeat(
    {
      from,
      boot,
      seq,
      sentAt: Date.now(),
      view: v,
      isolated: false,
      writable: false,
      hears: [],
      acked: false,
      backs: [],
      snapshots: [],
    },
    ring,
  );
}

/** @returns agent `i`'s rejected peer messages, all reasons. */
export async function rejected(lab: AgentLab, i: number): Promise<number> {
  const fams = parseProm(await lab.metrics(i));
  const fam = fams.get("goavail_peer_messages_rejected_total");
  return fam?.samples.reduce((n, s) => n + s.value, 0) ?? 0;
}

/** @returns agent `i`'s rejected peer messages for `reason`. */
export async function rejectedFor(
  lab: AgentLab,
  i: number,
  reason: string,
): Promise<number> {
  const fams = parseProm(await lab.metrics(i));
  return sampleValue(fams, "goavail_peer_messages_rejected_total", {
    reason,
  }) ?? 0;
}
