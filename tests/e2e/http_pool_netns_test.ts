/**
 * An HTTP pool end to end: the real agent in a namespace, three targets
 * that all answer ICMP, an HTTP server on two of them (the pool `web`), the
 * fake Cloudflare API through the real SDK, `--no-dry-run`.
 *
 * - A target that pings but serves 503 is withdrawn from the HTTP pool's
 *   name and stays in the ICMP pool (`www`) that shares the IP.
 * - The pool's name never gains an IP of another pool.
 * - A drain of the pool's last healthy IP is kept by the never-empty
 *   guard; once the other recovers (restored exactly) the drained one is
 *   withdrawn; the drain survives a restart and undrain restores exactly.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { AgentLab } from "../support/agent_lab.ts";
import { labTest } from "../support/netns.ts";
import { goavail } from "../support/goavail_cli.ts";
import { serveHttpOnTargets } from "../support/tcp_targets.ts";

const APP = "app.example.com";
const PORT = 8080;
const POOL = `
[[pool]]
name = "web"
hostnames = ["app"]
ip_addresses = ["192.0.2.1", "192.0.2.2"]
[pool.check]
type = "http"
port = ${PORT}
path = "/healthz"
expect_status = [200]
`;
const APP_RECORDS = ["192.0.2.1", "192.0.2.2"].map((ip, i) => ({
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
  drained: unknown;
};

const fields = (rs: Record<string, unknown>[], ip: string) =>
  rs.filter((r) => r.content === ip).map((r) => [
    r.ttl,
    r.proxied,
    r.comment,
    r.tags,
  ]);

Deno.test({
  ...labTest(
    "an HTTP pool withdraws a target serving 503 from its own name only, and drains within the guards",
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
        new Map([[0, 200], [1, 503]]),
      );
      const app = async () =>
        (await lab.records(APP)).map((r) => String(r.content)).sort();
      const row = async (pool: string, ip: string) =>
        ((await lab.status(0).catch(() => ({ targets: [] }))).targets as Row[])
          .find((x) => x.pool === pool && x.ip === ip);
      const original = await lab.records(APP);
      lab.startAgent(0);
      await t.step("503 → out of app, still in www", async () => {
        await lab.waitFor(
          async () => (await app()).join() === "192.0.2.1",
          "192.0.2.2 withdrawn from app.example.com",
          20_000,
        );
        await lab.waitFor(
          async () => (await row("default", "192.0.2.2"))?.hold === "in_sync",
          "www in sync",
          15_000,
        );
        assertEquals(await lab.published(), [
          "192.0.2.1",
          "192.0.2.2",
          "192.0.2.3",
        ]);
        const web = await row("web", "192.0.2.2");
        assertEquals(web?.verdict, "down");
        assertEquals((await row("default", "192.0.2.2"))?.verdict, "up");
      });
      await t.step(
        "drain of the pool's last healthy IP → kept by the guard",
        async () => {
          const r = await goavail(
            "drain",
            "-f",
            lab.configPath(0),
            "192.0.2.1",
            "--pool",
            "web",
            "--reason",
            "deploy",
          );
          assertEquals(r.code, 0, r.err);
          assert(r.out.includes('drained in pool "web"'), r.out);
          await lab.waitFor(
            async () => (await row("web", "192.0.2.1"))?.drained !== null,
            "the drain shown",
          );
          await lab.waitFor(
            async () => (await row("web", "192.0.2.1"))?.hold === "all_down",
            "the never-empty guard keeping it",
            15_000,
          );
          assertEquals(await app(), ["192.0.2.1"]);
          assertEquals((await row("default", "192.0.2.1"))?.drained, null);
          assert((await lab.published()).includes("192.0.2.1"));
        },
      );
      await t.step(
        "the other recovers → restored exactly, then the drained one withdrawn",
        async () => {
          servers.get(1)!.kill("SIGKILL");
          await servers.get(1)!.status;
          await serveHttpOnTargets(lab, PORT, new Map([[1, 200]]));
          await lab.waitFor(
            async () => (await app()).join() === "192.0.2.2",
            "192.0.2.2 back and 192.0.2.1 withdrawn",
            20_000,
          );
          assertEquals(
            fields(await lab.records(APP), "192.0.2.2"),
            fields(original, "192.0.2.2"),
          );
          assertEquals((await lab.published()).length, 3, "www untouched");
        },
      );
      await t.step("restart → still drained", async () => {
        assertEquals(await lab.stopAgent(0), 0);
        lab.startAgent(0);
        await lab.waitFor(
          async () => (await row("web", "192.0.2.1"))?.hold === "drained",
          "the restarted agent keeping the drain",
          20_000,
        );
        assertEquals(await app(), ["192.0.2.2"]);
      });
      await t.step("undrain → restored exactly", async () => {
        const r = await goavail(
          "undrain",
          "-f",
          lab.configPath(0),
          "192.0.2.1",
          "--pool",
          "web",
        );
        assertEquals(r.code, 0, r.err);
        await lab.waitFor(
          async () => (await app()).length === 2,
          "192.0.2.1 back on app.example.com",
          20_000,
        );
        assertEquals(
          fields(await lab.records(APP), "192.0.2.1"),
          fields(original, "192.0.2.1"),
        );
      });
      const ops = await lab.writeOps();
      assert(
        !ops.some((o) =>
          JSON.stringify(o).includes(APP) &&
          JSON.stringify(o).includes("192.0.2.3")
        ),
        "app.example.com never got another pool's IP",
      );
      assertEquals((await lab.audit()).emptied, [], "no name emptied");
      assertEquals(await lab.api.minRecordsSeen(APP, "A"), 1);
    } finally {
      await lab.destroy();
    }
  },
});
