/**
 * Cluster failover, end to end: three real agents (raw ICMP through FFI),
 * three targets and the fake Cloudflare API in network namespaces,
 * `min_peers_agree = 1`, interval 0.5 s, threshold 3, heartbeat 0.5 s,
 * `--no-dry-run`. Every scenario checks the fake API's audit log, read as
 * record operations: the writes that should happen, exactly once, and no
 * other write at all.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import {
  assertWrites,
  deriveKeyring,
  frame,
  HEARTBEAT_MS,
  INTERVAL_MS,
  LAB_CRYPTO_KEY,
  peerLive,
  published,
  rejected,
  rejectedFor,
  SETTLE_MS,
  sleep,
  statusOf,
  step,
  TAKEOVER_MS,
  target,
  THRESHOLD,
  view,
  waitStatus,
  withCluster,
} from "../support/cluster_scenario.ts";
import { labTest } from "../support/netns.ts";

Deno.test({
  ...labTest(
    "cluster removes a target dead for everyone once and restores it once",
  ),
  sanitizeResources: false,
  fn: () =>
    withCluster(async (lab) => {
      const ip = lab.targetIp(1);
      const original = (await lab.records()).find((r) => r.content === ip);
      await lab.targetDown(1);
      await lab.waitFor(async () => !(await published(lab, ip)), "removal");
      await sleep(SETTLE_MS);
      await assertWrites(lab, [`delete ${ip}`]);
      await lab.targetUp(1);
      await lab.waitFor(() => published(lab, ip), "restore");
      await sleep(SETTLE_MS);
      await assertWrites(lab, [
        `delete ${ip}`,
        `create ${ip}`,
      ]);
      const now = (await lab.records()).find((r) => r.content === ip);
      const keep = (r?: Record<string, unknown>) => [
        r?.ttl,
        r?.proxied,
        r?.comment,
        r?.tags,
      ];
      assertEquals(keep(now), keep(original));
    }),
});

Deno.test({
  ...labTest("cluster does not remove a target only one agent loses"),
  sanitizeResources: false,
  fn: () =>
    withCluster(async (lab) => {
      const ip = lab.targetIp(1);
      await lab.blind(1, 1);
      await waitStatus(lab, 1, (s) => target(s, ip)?.verdict === "down", ip);
      await waitStatus(
        lab,
        0,
        (s) => target(s, ip)?.votesDown === 1,
        "one vote down",
      );
      // Well past threshold × interval, over many heartbeats.
      await sleep(THRESHOLD * INTERVAL_MS + 6 * HEARTBEAT_MS);
      for (const i of [0, 1, 2]) {
        const t = target(await statusOf(lab, i), ip);
        assertEquals([t?.votesDown, t?.clusterDown], [1, false]);
      }
      assert(await published(lab, ip));
      await assertWrites(lab, []);
    }),
});

Deno.test({
  ...labTest(
    "cluster agent cut off from every peer isolates itself and writes nothing",
  ),
  sanitizeResources: false,
  fn: (t) =>
    withCluster(async (lab) => {
      const [t1, t2] = [lab.targetIp(1), lab.targetIp(2)];
      await step(t, "partition: a2 isolated, the others lose it", async () => {
        await lab.partition(2);
        await waitStatus(
          lab,
          2,
          (s) => s.guards?.isolated === true,
          "isolated",
        );
        const reason = (await statusOf(lab, 2)).guards?.reason ?? "";
        assert(/peer/.test(reason), reason);
        await waitStatus(
          lab,
          0,
          (s) => !peerLive(s, lab.agentId(2)) && peerLive(s, lab.agentId(1)),
          "a2 lost, a1 live",
        );
        await assertWrites(lab, []);
      });
      await step(t, "a target dies only for a2: no write", async () => {
        await lab.blind(2, 1);
        await waitStatus(lab, 2, (s) => target(s, t1)?.verdict === "down", t1);
        await sleep(SETTLE_MS);
        await assertWrites(lab, []);
      });
      await step(t, "a0 and a1 remove a dead target without a2", async () => {
        await lab.targetDown(2);
        await lab.waitFor(async () => !(await published(lab, t2)), "removal");
        await sleep(SETTLE_MS);
        await assertWrites(lab, [`delete ${t2}`]);
      });
      await step(
        t,
        "only isolated a2 sees the target back: it does not restore",
        async () => {
          // Alone and isolated, a2 sees t2 up and no live peer says down:
          // without the guard its rule would restore the record.
          await lab.blind(0, 2);
          await lab.blind(1, 2);
          await lab.targetUp(2);
          await waitStatus(lab, 2, (s) => target(s, t2)?.verdict === "up", t2);
          await sleep(SETTLE_MS);
          assert((await statusOf(lab, 2)).guards?.isolated);
          await assertWrites(lab, [`delete ${t2}`]);
        },
      );
      await step(
        t,
        "partition heals: a2 rejoins, still outvoted on t2: no write",
        async () => {
          await lab.heal(2);
          await waitStatus(lab, 2, (s) => s.guards?.isolated === false, "a2");
          await waitStatus(lab, 0, (s) => peerLive(s, lab.agentId(2)), "a2");
          await sleep(SETTLE_MS);
          const s2 = target(await statusOf(lab, 2), t2);
          assertEquals([s2?.verdict, s2?.clusterDown], ["up", true]);
          await assertWrites(lab, [`delete ${t2}`]);
        },
      );
      await step(t, "everyone sees t2 again: restored once", async () => {
        await lab.heal(0);
        await lab.heal(1);
        await lab.waitFor(() => published(lab, t2), "restore");
        await sleep(SETTLE_MS);
        await assertWrites(lab, [`delete ${t2}`, `create ${t2}`]);
      });
    }),
});

Deno.test({
  ...labTest(
    "cluster agents that cannot hear each other do not undo each other's writes",
  ),
  sanitizeResources: false,
  fn: () =>
    withCluster(
      async (lab) => {
        // a0 and a2 are cut from each other; a1 hears both. The target dies
        // for a0 and a1 only: they remove it. a2 sees it up, hears a1's down
        // vote and not a0's; restoring on that would start a fight repeated
        // on every drift-repair pass (reconcile_interval 5 s here).
        const t2 = lab.targetIp(2);
        await lab.cut(0, 2);
        await lab.cut(2, 0);
        await waitStatus(
          lab,
          2,
          (s) => !peerLive(s, lab.agentId(0)),
          "a0 lost",
        );
        await waitStatus(
          lab,
          0,
          (s) => !peerLive(s, lab.agentId(2)),
          "a2 lost",
        );
        assert(peerLive(await statusOf(lab, 1), lab.agentId(0)));
        assert(peerLive(await statusOf(lab, 1), lab.agentId(2)));
        await lab.blind(0, 2);
        await lab.blind(1, 2);
        await lab.waitFor(async () => !(await published(lab, t2)), "removal");
        await sleep(2 * 5000 + SETTLE_MS);
        const s2 = target(await statusOf(lab, 2), t2);
        assertEquals([s2?.verdict, s2?.votesDown], ["up", 1]);
        await assertWrites(lab, [`delete ${t2}`]);
      },
      [0, 1, 2],
      5,
    ),
});

Deno.test({
  ...labTest(
    "cluster does not count a restarted agent's stored verdicts as votes",
  ),
  sanitizeResources: false,
  fn: () =>
    withCluster(async (lab) => {
      // a0 saw the target down and saved that verdict; it restarts when it
      // could see the target again, while a1 alone has lost it. Counting
      // a0's stored "down" with a1's would make a quorum nobody has.
      const ip = lab.targetIp(1);
      await lab.blind(0, 1);
      await waitStatus(lab, 0, (s) => target(s, ip)?.verdict === "down", ip);
      await lab.stopAgent(0, "SIGTERM");
      await lab.heal(0);
      await lab.blind(1, 1);
      await waitStatus(lab, 1, (s) => target(s, ip)?.verdict === "down", ip);
      lab.startAgent(0);
      await waitStatus(lab, 0, (s) => target(s, ip)?.verdict === "up", ip);
      await sleep(SETTLE_MS);
      assert(await published(lab, ip));
      await assertWrites(lab, []);
    }),
});

Deno.test({
  ...labTest(
    "cluster ignores a paused agent's stale votes, before and after it resumes",
  ),
  sanitizeResources: false,
  fn: (t) =>
    withCluster(async (lab) => {
      const ip = lab.targetIp(1);
      const a0 = lab.agentId(0);
      await lab.blind(0, 1);
      await waitStatus(lab, 1, (s) =>
        target(s, ip)?.votesDown === 1, "a0's vote");
      lab.pause(0);
      const pausedAt = Date.now();
      await step(
        t,
        "a0's last vote goes stale while it is paused",
        async () => {
          await waitStatus(lab, 1, (s) =>
            !peerLive(s, a0), "a0 lost");
          // Counting a0's stale "down" with a1's own would make two votes.
          await lab.blind(1, 1);
          await waitStatus(
            lab,
            1,
            (s) =>
              target(s, ip)?.verdict === "down",
            ip,
          );
          await sleep(4 * HEARTBEAT_MS);
          const s1 = target(await statusOf(lab, 1), ip);
          assertEquals([s1?.votesDown, s1?.clusterDown], [1, false]);
          await assertWrites(lab, []);
        },
      );
      await step(t, "resumed a0 does not act on its stale view", async () => {
        // a0 could see the target again, but its verdict is 10 s old and
        // a1 (live) still says down: acting on it would remove the record.
        await lab.heal(0);
        await sleep(Math.max(0, pausedAt + 10_000 - Date.now()));
        lab.resume(0);
        await waitStatus(lab, 0, (s) =>
          target(s, ip)?.verdict === "up", ip);
        await sleep(SETTLE_MS);
        assert(await published(lab, ip));
        await assertWrites(lab, []);
      });
    }),
});

Deno.test({
  ...labTest(
    "cluster rejects forged, tampered and replayed heartbeats without a state change",
  ),
  sanitizeResources: false,
  fn: () =>
    withCluster(async (lab) => {
      // a2 is configured everywhere but not running: its namespace sends.
      const ring = await deriveKeyring([LAB_CRYPTO_KEY], false);
      const [a1, a2] = [lab.agentId(1), lab.agentId(2)];
      const before = await rejected(lab, 0);
      const allDown = view(lab, [0, 1, 2]);
      const boot = Date.now();
      // A real peer's id from the wrong source IP.
      const forged = await frame(ring, a1, boot, 1, allDown);
      assertEquals(await lab.postFrame("a2", 0, forged, a1), 403);
      // Right source, one bit flipped in the ciphertext.
      const tampered = await frame(ring, a2, boot, 1, allDown);
      const at = tampered.length - 20;
      tampered[at] = (tampered[at] ?? 0) ^ 0x01;
      assertEquals(await lab.postFrame("a2", 0, tampered, a2), 401);
      // An id nobody configured.
      const stranger = "192.0.2.99:7947";
      const unknown = await frame(ring, stranger, boot, 1, allDown);
      assertEquals(await lab.postFrame("a2", 0, unknown, stranger), 403);
      // A valid frame: refused from the wrong host, then accepted once.
      const good = await frame(ring, a2, boot, 1, view(lab, []));
      assertEquals(await lab.postFrame("api", 0, good, a2), 403);
      assertEquals(await lab.postFrame("a2", 0, good, a2), 204);
      const seen = (await statusOf(lab, 0)).peers?.find((p) => p.addr === a2);
      assert(seen?.live && seen.lastSeen, "the valid frame was accepted");
      await sleep(300);
      assertEquals(await lab.postFrame("a2", 0, good, a2), 409);
      const again = await frame(ring, a2, boot, 1, allDown);
      assertEquals(await lab.postFrame("a2", 0, again, a2), 409);

      const s0 = await statusOf(lab, 0);
      const last = s0.peers?.find((p) => p.addr === a2)?.lastSeen ?? "";
      const drift = Math.abs(Date.parse(last) - Date.parse(seen.lastSeen));
      assert(drift < 50, `replays refreshed a2 (moved ${drift} ms)`);
      for (const ip of [0, 1, 2].map((t) => lab.targetIp(t))) {
        const t = target(s0, ip);
        assertEquals([t?.verdict, t?.votesDown], ["up", 0], ip);
      }
      assertEquals(await rejected(lab, 0) - before, 6);
      assertEquals(await rejectedFor(lab, 0, "wrong_source"), 2);
      assertEquals(await rejectedFor(lab, 0, "bad_tag"), 1);
      assertEquals(await rejectedFor(lab, 0, "unknown_sender"), 1);
      assertEquals(await rejectedFor(lab, 0, "replay"), 2);
      assert(peerLive(await statusOf(lab, 1), lab.agentId(0)));
      await assertWrites(lab, []);
    }, [0, 1]),
});

Deno.test({
  ...labTest(
    "cluster still removes a dead target in time after a peer is killed",
  ),
  sanitizeResources: false,
  fn: () =>
    withCluster(async (lab) => {
      const ip = lab.targetIp(1);
      // a0 is the writer: the lowest of the other two takes over after
      // the handover, never sooner.
      await lab.stopAgent(0, "SIGKILL");
      const downAt = Date.now();
      await lab.targetDown(1);
      await lab.waitFor(async () => !(await published(lab, ip)), "removal");
      const ops = await lab.writeOps();
      const took = (ops[0]?.at ?? Infinity) - downAt;
      assert(
        took <= TAKEOVER_MS,
        `removal took ${took} ms (bound ${TAKEOVER_MS})`,
      );
      await lab.targetUp(1);
      await lab.waitFor(() => published(lab, ip), "restore");
      await sleep(SETTLE_MS);
      await assertWrites(lab, [
        `delete ${ip}`,
        `create ${ip}`,
      ]);
    }),
});
