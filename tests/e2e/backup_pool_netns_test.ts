/**
 * A `[[pool]]` with `backup_ips` end to end: the real agent in a namespace,
 * three targets that all answer ICMP (the lab's `www`), an HTTP server on
 * each of them, the pool `web` (`app`: primaries 192.0.2.1 and 192.0.2.2,
 * backup 192.0.2.3, `max_removals_fraction = 1.0`), the fake Cloudflare API
 * through the real SDK, `--no-dry-run`.
 *
 * - All healthy: `app` holds the two primaries; the backup is probed, out
 *   of DNS, on hold `standby` and marked `backup: true` in `/status`.
 * - Both primaries serve 503: the backup is created before the last
 *   primary is deleted, in an earlier request; `app` ends with the backup
 *   only.
 * - One primary recovers: it is restored first, exactly (ttl, proxied,
 *   comment, tags from its snapshot), the backup is withdrawn on a later
 *   pass; `app` ends with that primary only.
 * - The other recovers: restored exactly; the backup stays out, on
 *   `standby` again.
 * - `app` is never empty: not at any state the fake's edge passed through,
 *   not at any moment the test looked.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { AgentLab } from "../support/agent_lab.ts";
import { labTest } from "../support/netns.ts";
import { serveHttpOnTargets } from "../support/tcp_targets.ts";
import { type WriteOp, writeOps } from "../support/lab_audit.ts";

const APP = "app.example.com";
const PORT = 8080;
const P1 = "192.0.2.1";
const P2 = "192.0.2.2";
const B = "192.0.2.3";
const POOL = `
[[pool]]
name = "web"
hostnames = ["app"]
ip_addresses = ["${P1}", "${P2}"]
backup_ips = ["${B}"]
max_removals_fraction = 1.0
[pool.check]
type = "http"
port = ${PORT}
path = "/healthz"
expect_status = [200]
`;
const APP_RECORDS = [P1, P2].map((ip, i) => ({
  type: "A",
  name: APP,
  content: ip,
  ttl: 120 + i,
  proxied: i === 0,
  comment: `app ${i}`,
  tags: [`app:${i}`],
}));

type Row = {
  pool: string;
  ip: string;
  verdict: string;
  hold: string | null;
  backup: boolean;
  inDns: unknown;
};

const fields = (rs: Record<string, unknown>[], ip: string) =>
  rs.filter((r) => r.content === ip).map((r) => [
    r.ttl,
    r.proxied,
    r.comment,
    r.tags,
  ]);

/** One record operation on `app`, with the index of its request. */
type AppOp = WriteOp & { req: number };

const describe = (ops: readonly AppOp[]) =>
  ops.map((o) => `#${o.req} ${o.kind} ${o.ip ?? "?"}`).join(", ");

Deno.test({
  ...labTest(
    "a pool's backup stands in while every primary fails, created before they go, withdrawn after one is restored",
  ),
  sanitizeResources: false,
  fn: async (t) => {
    const lab = await AgentLab.create({
      agents: 1,
      targets: 3,
      tailToml: POOL,
      extraRecords: APP_RECORDS,
    });
    try {
      const servers = await serveHttpOnTargets(
        lab,
        PORT,
        new Map([[0, 200], [1, 200], [2, 200]]),
      );
      // Every look at app: its record ids (to read deletes) and any empty
      // moment.
      const appIds = new Map<string, string>();
      const emptyAt: number[] = [];
      let looks = 0;
      const app = async () => {
        const rs = await lab.records(APP);
        looks++;
        for (const r of rs) appIds.set(String(r.id), String(r.content));
        if (rs.length === 0) emptyAt.push(Date.now());
        return rs.map((r) => String(r.content)).sort();
      };
      /**
       * Record operations on app, request by request, oldest first: deletes
       * resolved through app's own record ids (an unknown id stays "?"),
       * creates by the name in the body.
       */
      const appOps = async (): Promise<AppOp[]> => {
        await app();
        const out: AppOp[] = [];
        (await lab.writes()).forEach((w, req) => {
          for (const op of writeOps([w], appIds)) {
            if (op.kind !== "create" || w.body.includes(APP)) {
              out.push({ ...op, req });
            }
          }
        });
        return out;
      };
      const row = async (pool: string, ip: string) =>
        ((await lab.status(0).catch(() => ({ targets: [] }))).targets as Row[])
          .find((x) => x.pool === pool && x.ip === ip);
      /**
       * Restarts the HTTP servers of targets `ts` answering `status`: all
       * stop at once (their probes then fail in the same round), then all
       * start again.
       */
      const serve = async (ts: number[], status: number) => {
        const old = ts.map((i) => servers.get(i)!);
        for (const c of old) c.kill("SIGKILL");
        await Promise.all(old.map((c) => c.status));
        const fresh = await serveHttpOnTargets(
          lab,
          PORT,
          new Map(ts.map((i) => [i, status])),
        );
        for (const [i, c] of fresh) servers.set(i, c);
      };
      const step = async (name: string, fn: () => Promise<void>) => {
        if (!(await t.step(name, fn))) throw new Error(`step failed: ${name}`);
      };
      const original = await lab.records(APP);
      for (const r of original) appIds.set(String(r.id), String(r.content));
      lab.startAgent(0);

      await step(
        "all healthy → the primaries only, the backup on standby",
        async () => {
          await lab.waitFor(
            async () => {
              const b = await row("web", B);
              return b?.verdict === "up" && b.hold === "standby";
            },
            "the backup probed up and on standby",
            20_000,
          );
          await lab.waitFor(
            async () =>
              (await row("web", P1))?.verdict === "up" &&
              (await row("web", P2))?.verdict === "up",
            "both primaries up",
            15_000,
          );
          // A few passes more: nothing is written to app.
          await new Promise((r) => setTimeout(r, 1500));
          assertEquals(await app(), [P1, P2]);
          const b = await row("web", B);
          assertEquals([b?.backup, b?.hold, b?.inDns], [
            true,
            "standby",
            false,
          ]);
          assertEquals((await row("web", P1))?.backup, false);
          assertEquals((await row("default", B))?.backup, false);
          assertEquals(await appOps(), [], "nothing written to app");
          assertEquals(await lab.published(), [P1, P2, B]);
        },
      );

      await step(
        "both primaries serve 503 → the backup in before the last goes",
        async () => {
          await serve([0, 1], 503);
          await lab.waitFor(
            async () => (await app()).join() === B,
            "app.example.com holding the backup only",
            25_000,
          );
          const ops = await appOps();
          const createB = ops.filter((o) => o.kind === "create" && o.ip === B);
          assertEquals(createB.length, 1, describe(ops));
          const dels = [P1, P2].map((ip) => {
            const del = ops.filter((o) => o.kind === "delete" && o.ip === ip);
            assertEquals(
              del.length,
              1,
              `one delete of ${ip}: ${describe(ops)}`,
            );
            return del[0]!;
          });
          assertEquals(ops.length, 3, describe(ops));
          // Each verdict change runs a pass: the primary found down first
          // may go while the other is still up (a plain withdrawal); the
          // last one goes only after the backup's create, in a later
          // request.
          const lastDel = Math.max(...dels.map((d) => d.req));
          assert(
            lastDel > createB[0]!.req,
            `the last primary deleted in a request after the backup's create: ${
              describe(ops)
            }`,
          );
          assert(ops.every((o) => o.status < 300), describe(ops));
          const b = await row("web", B);
          assertEquals([b?.backup, b?.verdict], [true, "up"]);
          assertEquals((await row("web", P1))?.verdict, "down");
          assertEquals((await row("web", P2))?.verdict, "down");
          assertEquals(await lab.published(), [P1, P2, B], "www untouched");
        },
      );

      await step(
        "one primary recovers → restored exactly, then the backup withdrawn",
        async () => {
          const before = (await appOps()).length;
          await serve([0], 200);
          await lab.waitFor(
            async () => (await app()).join() === P1,
            "192.0.2.1 back and the backup withdrawn",
            25_000,
          );
          assertEquals(
            fields(await lab.records(APP), P1),
            fields(original, P1),
          );
          const ops = (await appOps()).slice(before);
          assertEquals(
            ops.map((o) => `${o.kind} ${o.ip}`),
            [`create ${P1}`, `delete ${B}`],
            describe(ops),
          );
          assert(ops[1]!.req > ops[0]!.req, describe(ops));
          assert(ops.every((o) => o.status < 300), describe(ops));
          // The withdrawal waits for a later pass (FOLLOW_UP_MS, 1 s); the
          // upper bound only catches a hang (speed lives in the bench).
          const gap = ops[1]!.at - ops[0]!.at;
          assert(
            gap >= 500 && gap < 15_000,
            `the backup withdrawn ${gap} ms after the restore`,
          );
          // Withdrawn: out of DNS, on standby at once.
          const gone = await row("web", B);
          assertEquals([gone?.backup, gone?.inDns, gone?.hold], [
            true,
            false,
            "standby",
          ]);
          // A few passes more: the other primary still fails, nothing moves.
          await new Promise((r) => setTimeout(r, 1500));
          assertEquals((await row("web", P2))?.verdict, "down");
          assertEquals(await app(), [P1]);
          assertEquals(
            (await appOps()).length,
            before + 2,
            "nothing else written",
          );
          assertEquals(await lab.published(), [P1, P2, B], "www untouched");
        },
      );

      await step(
        "the other primary recovers → restored exactly, the backup stays out",
        async () => {
          const before = (await appOps()).length;
          await serve([1], 200);
          await lab.waitFor(
            async () => (await app()).join() === `${P1},${P2}`,
            "192.0.2.2 back",
            20_000,
          );
          assertEquals(
            fields(await lab.records(APP), P2),
            fields(original, P2),
          );
          let last: Row | undefined;
          await lab.waitFor(
            async () => (last = await row("web", B))?.hold === "standby",
            "the backup on standby",
            10_000,
          ).catch((e) => {
            throw new Error(`${e.message}: last row ${JSON.stringify(last)}`);
          });
          assertEquals(last?.inDns, false);
          await new Promise((r) => setTimeout(r, 1500));
          const ops = (await appOps()).slice(before);
          assertEquals(
            ops.map((o) => `${o.kind} ${o.ip}`),
            [`create ${P2}`],
            describe(ops),
          );
          assertEquals(await app(), [P1, P2]);
          assertEquals(await lab.published(), [P1, P2, B], "www untouched");
        },
      );

      assert(looks > 10, `app looked at ${looks} times`);
      assertEquals(emptyAt, [], "app never seen empty");
      assertEquals((await lab.audit()).emptied, [], "no name emptied");
      assertEquals(await lab.api.minRecordsSeen(APP, "A"), 1);
    } catch (e) {
      // deno-lint-ignore no-console
      console.error(
        "agent log tail:\n" +
          (lab.procs[0]?.logs.slice(-40).join("\n") ?? "-") +
          "\n/status:\n" +
          JSON.stringify(await lab.status(0).catch((x) => String(x))),
      );
      throw e;
    } finally {
      await lab.destroy();
    }
  },
});
