/**
 * An in-process agent, the real SDK and the strict fake Cloudflare API: a
 * pass that restores one IP and withdraws another on the same name never
 * leaves the name without a record at any state the edge passes through.
 */
import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { published, settle, startHarness, until } from "./harness.ts";

const X = "192.0.2.1";
const Y = "192.0.2.2";
const WWW = "www.example.com";

const TOML = `failure_threshold = 3
recovery_threshold = 3
interval = 1
dry_run = false
min_records = 1
max_removals_fraction = 0.5
[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = ["${X}", "${Y}"]
`;

const RECORDS = [X, Y].map((content) => ({
  type: "A",
  name: WWW,
  content,
  ttl: 300,
  comment: `edge ${content}`,
}));

Deno.test("Agent restoring X and withdrawing Y on one name never empties it at any edge state", async () => {
  const h = await startHarness(TOML, { records: RECORDS });
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    for (let i = 0; i < 3; i++) h.prober().emit({ [X]: false, [Y]: true });
    await until(() => !published(h.cf).has(X), "X withdrawn");
    // X comes back as Y dies: the same observations flip both verdicts.
    for (let i = 0; i < 3; i++) h.prober().emit({ [X]: true, [Y]: false });
    await until(
      () => published(h.cf).has(X) && !published(h.cf).has(Y),
      "X restored and Y withdrawn",
    );
    await settle();
    assertEquals([...published(h.cf).keys()], [X]);
    assertEquals(published(h.cf).get(X)?.comment, `edge ${X}`);
    assertEquals(h.cf.minRecordsSeen(WWW, "A"), 1);
    h.cf.assertNeverEmpty();
    const writes = h.cf.writes().map((w) => w.method + " " + w.body);
    const swap = writes.find((w) => w.includes(`"content":"${X}"`));
    assert(swap, writes.join("\n"));
    assert(
      !/"deletes":\[\{/.test(swap),
      `delete sent with the create: ${swap}`,
    );
  } finally {
    await h.close();
  }
});
