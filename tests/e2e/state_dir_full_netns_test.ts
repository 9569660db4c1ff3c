/**
 * A state_dir that cannot take the snapshot, end to end: the real agent in
 * a namespace, its state_dir on a small tmpfs, the fake Cloudflare API's
 * audit log as the witness. Two ways a disk refuses a write:
 * - the file-size limit (RLIMIT_FSIZE, set on the running agent with
 *   `prlimit`): the first write is cut short, the next gets EFBIG;
 * - a full file system (the tmpfs filled up): ENOSPC.
 * Either way no delete may be sent, the IP's hold reads `not_applied`, and
 * once the disk takes writes again the record goes, with a whole snapshot.
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { AgentLab, type AgentProc } from "../support/agent_lab.ts";
import { labTest, run } from "../support/netns.ts";
import { must } from "../support/lab_exec.ts";
import { parseStateFile } from "../../lib/agent/state_file.ts";

/** @returns the deletes the fake API received since write number `from`. */
async function deletesSince(lab: AgentLab, from: number): Promise<string[]> {
  const ops = (await lab.writeOps()).slice(from);
  return ops.filter((o) => o.kind === "delete").map((o) => `${o.ip}`);
}

async function holdOf(lab: AgentLab, ip: string): Promise<string | null> {
  const s = await lab.status(0) as {
    targets?: { ip: string; hold: string | null }[];
  };
  return s.targets?.find((t) => t.ip === ip)?.hold ?? null;
}

function snapshotRefused(agent: AgentProc, ip: string, from: number): boolean {
  return agent.logs.slice(from).some((l) =>
    l.includes("Cannot save the record snapshot") &&
    l.includes(`"content":"${ip}"`)
  );
}

async function savedSnapshot(lab: AgentLab, ip: string): Promise<boolean> {
  const text = await Deno.readTextFile(`${lab.stateDir(0)}/state.json`)
    .catch((e) => {
      if (e instanceof Deno.errors.NotFound) return '{"version":1}';
      throw e;
    });
  const parsed = parseStateFile(text);
  assert(parsed.ok, `state.json is not valid: ${text.slice(0, 200)}`);
  return `www.example.com|A|${ip}` in parsed.value.snapshots;
}

Deno.test({
  ...labTest(
    "agent whose state_dir cannot take the snapshot sends no delete, then withdraws once it can",
  ),
  sanitizeResources: false,
  fn: async (t) => {
    const lab = await AgentLab.create({ agents: 1, targets: 3 });
    const dir = lab.stateDir(0);
    let mounted = false;
    try {
      await Deno.mkdir(dir, { mode: 0o700 });
      await must([
        "mount",
        "-t",
        "tmpfs",
        "-o",
        "size=1m,mode=0700",
        "tmpfs",
        dir,
      ]);
      mounted = true;
      const agent = lab.startAgent(0);
      await lab.waitFor(
        async () => (await lab.status(0).catch(() => null)) !== null,
        "agent status",
      );
      const pid = Number(
        (await Deno.readTextFile(`${dir}/goavail.lock`)).trim(),
      );
      assert(pid > 0, "no pid in the lock file");

      await t.step(
        "file-size limit: no delete; the limit lifted, the record goes",
        async () => {
          const ip = lab.targetIp(1);
          await must(["prlimit", `--pid=${pid}`, "--fsize=64:"]);
          const writes = (await lab.writeOps()).length;
          const logs = agent.logs.length;
          await lab.targetDown(1);
          await lab.waitFor(
            async () =>
              snapshotRefused(agent, ip, logs) ||
              (await deletesSince(lab, writes)).length > 0,
            "the refused snapshot",
            15_000,
          );
          await lab.waitFor(
            async () => (await holdOf(lab, ip)) === "not_applied",
            "hold not_applied",
          );
          assertEquals(
            await deletesSince(lab, writes),
            [],
            "a delete went out",
          );
          assert((await lab.published()).includes(ip));
          assertEquals(await savedSnapshot(lab, ip), false);
          await must([
            "prlimit",
            `--pid=${pid}`,
            "--fsize=unlimited:",
          ]);
          await lab.waitFor(
            async () => !(await lab.published()).includes(ip),
            "removal once the limit is gone",
            20_000,
          );
          assert(await savedSnapshot(lab, ip), "removed without a snapshot");
          await lab.targetUp(1);
          await lab.waitFor(
            async () => (await lab.published()).includes(ip),
            "restore",
            20_000,
          );
        },
      );

      await t.step(
        "full file system: no delete; space freed, the record goes",
        async () => {
          const ip = lab.targetIp(2);
          // dd stops with ENOSPC once the tmpfs is full.
          await run(["dd", "if=/dev/zero", `of=${dir}/filler`, "bs=4096"]);
          const writes = (await lab.writeOps()).length;
          const logs = agent.logs.length;
          await lab.targetDown(2);
          await lab.waitFor(
            async () =>
              snapshotRefused(agent, ip, logs) ||
              (await deletesSince(lab, writes)).length > 0,
            "the refused snapshot",
            15_000,
          );
          await lab.waitFor(
            async () => (await holdOf(lab, ip)) === "not_applied",
            "hold not_applied",
          );
          assertEquals(
            await deletesSince(lab, writes),
            [],
            "a delete went out",
          );
          assert((await lab.published()).includes(ip));
          await Deno.remove(`${dir}/filler`);
          await lab.waitFor(
            async () => !(await lab.published()).includes(ip),
            "removal once there is room",
            20_000,
          );
          assert(await savedSnapshot(lab, ip), "removed without a snapshot");
        },
      );
      assertEquals((await lab.audit()).emptied, []);
    } finally {
      await lab.stopAgent(0, "SIGKILL").catch(() => {});
      if (mounted) await run(["umount", "-l", dir]);
      await lab.destroy();
    }
  },
});
