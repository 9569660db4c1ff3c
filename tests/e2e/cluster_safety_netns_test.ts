/**
 * The cluster-safety cases, end to end (three real agents, the fake
 * Cloudflare API, network namespaces; see cluster_netns_test.ts for the
 * lab). Each one broke before every write went through lib/write: the
 * simulator proves the rules, these confirm the real wiring.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import {
  assertWrites,
  INTERVAL_MS,
  peerLive,
  published,
  SETTLE_MS,
  sleep,
  statusOf,
  target,
  THRESHOLD,
  waitStatus,
  withCluster,
} from "../support/cluster_scenario.ts";
import { labTest } from "../support/netns.ts";

/** Well past the time a verdict needs, and over several passes. */
const WATCH_MS = 2 * THRESHOLD * INTERVAL_MS + 2 * 5000 + SETTLE_MS;

Deno.test({
  ...labTest(
    "cluster split blindness: agents that each lose a different IP never empty the name",
  ),
  sanitizeResources: false,
  fn: () =>
    withCluster(
      async (lab) => {
        // www has X and Y only. a0 and a2 lose X, a1 and a2 lose Y. Two
        // preferred writers (one per IP) each removed "their" IP from the
        // same listing. Now one writer decides over the cluster's
        // verdicts (a2, seeing every target down, also suspects itself),
        // and the never-empty guard keeps the name whole.
        const [x, y] = [lab.targetIp(0), lab.targetIp(1)];
        await lab.blind(0, 0);
        await lab.blind(2, 0);
        await lab.blind(1, 1);
        await lab.blind(2, 1);
        await waitStatus(
          lab,
          2,
          (s) =>
            target(s, x)?.verdict === "down" &&
            target(s, y)?.verdict === "down",
          "a2 lost both",
        );
        await sleep(WATCH_MS);
        assert(await published(lab, x));
        assert(await published(lab, y));
        await assertWrites(lab, []);
      },
      [0, 1, 2],
      5,
      2,
    ),
});

Deno.test({
  ...labTest(
    "cluster blind third agent: a dead IP is removed once and never re-created while dead",
  ),
  sanitizeResources: false,
  fn: () =>
    withCluster(
      async (lab) => {
        // t1 is dead. a2 also loses t0 and t2 (but still sees t3, so it is
        // not isolated): by its own verdicts the name looks almost empty.
        // Guards read the cluster's verdicts, so it must not restore t1.
        const dead = lab.targetIp(1);
        await lab.blind(2, 0);
        await lab.blind(2, 2);
        await lab.targetDown(1);
        await lab.waitFor(async () => !(await published(lab, dead)), "removal");
        await sleep(WATCH_MS);
        assert(!(await published(lab, dead)), "still removed");
        await assertWrites(lab, [`delete ${dead}`]);
      },
      [0, 1, 2],
      5,
      4,
    ),
});

Deno.test({
  ...labTest(
    "cluster reload that cannot be applied leaves the agent unable to act alone",
  ),
  sanitizeResources: false,
  fn: () =>
    withCluster(async (lab) => {
      // a0 (the writer) reloads a local_addr its host does not have. The
      // reload fails and the old link keeps running; then a0 alone loses
      // t1, which every other agent sees up: nothing may be removed.
      const path = lab.configPath(0);
      const text = await Deno.readTextFile(path);
      const bad = text.replace(
        /local_addr = "192\.0\.2\.11:(\d+)"/,
        'local_addr = "192.0.2.99:$1"',
      );
      assert(bad !== text, "local_addr found in the config");
      await Deno.writeTextFile(path, bad);
      lab.procs[0]!.child.kill("SIGHUP");
      await lab.waitFor(
        async () =>
          /goavail_config_reloads_total\{result="error"\} 1/.test(
            await lab.metrics(0),
          ),
        "failed reload counted",
      );
      const s0 = await statusOf(lab, 0);
      assert(peerLive(s0, lab.agentId(1)), "the old link still runs");
      assertEquals(s0.writer?.node, lab.agentId(0));
      const ip = lab.targetIp(1);
      await lab.blind(0, 1);
      await waitStatus(lab, 0, (s) => target(s, ip)?.verdict === "down", ip);
      await sleep(WATCH_MS);
      assert(await published(lab, ip));
      await assertWrites(lab, []);
    }),
});

Deno.test({
  ...labTest(
    "cluster lost writer: restarted survivors restore the record exactly",
  ),
  sanitizeResources: false,
  fn: () =>
    withCluster(async (lab) => {
      // t1's record is proxied, with a comment and tags. a0 removes it and
      // is then lost with its disk; a1 and a2 restart (an upgrade). When
      // t1 recovers, the survivors must restore it exactly.
      const ip = lab.targetIp(1);
      const keep = (r?: Record<string, unknown>) => [
        r?.ttl,
        r?.proxied,
        r?.comment,
        r?.tags,
      ];
      const original = keep(
        (await lab.records()).find((r) => r.content === ip),
      );
      assertEquals(original[1], true, "the lab's t1 record is proxied");
      await lab.targetDown(1);
      await lab.waitFor(async () => !(await published(lab, ip)), "removal");
      await lab.stopAgent(0, "SIGKILL");
      await Deno.remove(lab.stateDir(0), { recursive: true });
      for (const i of [1, 2]) {
        await lab.stopAgent(i, "SIGTERM");
        lab.startAgent(i);
      }
      await lab.targetUp(1);
      await lab.waitFor(() => published(lab, ip), "restore", 60_000);
      const now = (await lab.records()).find((r) => r.content === ip);
      assertEquals(keep(now), original);
      await sleep(SETTLE_MS);
      await assertWrites(lab, [`delete ${ip}`, `create ${ip}`]);
    }, [0, 1, 2]),
});
