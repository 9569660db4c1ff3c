import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";
import { BASE_TOML, published, quiet, startHarness, until } from "./harness.ts";

const UP = { "192.0.2.1": true, "192.0.2.2": true, "192.0.2.3": true } as const;

Deno.test("Agent removes a dead IP after failure_threshold misses and restores it unchanged", async () => {
  const h = await startHarness();
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    const before = published(h.cf).get("192.0.2.2")!;
    for (let i = 0; i < 2; i++) h.prober().emit({ ...UP, "192.0.2.2": false });
    await quiet(h);
    assertEquals(h.cf.writes().length, 0, "removed before the threshold");
    h.prober().emit({ ...UP, "192.0.2.2": false });
    await until(() => !published(h.cf).has("192.0.2.2"), "removal");
    assertEquals(h.cf.writes().length, 1, "one write per failover");
    await until(
      () =>
        h.logs.some((l) => l.includes("Removed A www.example.com 192.0.2.2")),
      "the removal log line",
    );
    for (let i = 0; i < 3; i++) h.prober().emit(UP);
    await until(() => published(h.cf).has("192.0.2.2"), "restore");
    const after = published(h.cf).get("192.0.2.2")!;
    for (
      const k of [
        "type",
        "name",
        "content",
        "ttl",
        "proxied",
        "comment",
        "tags",
      ]
    ) {
      assertEquals(after[k], before[k], `${k} changed in the round trip`);
    }
    await until(
      () => h.store.snapshots().size === 0,
      "snapshot dropped after restore",
    );
    h.cf.assertNeverEmpty();
  } finally {
    await h.close();
  }
});

Deno.test("Agent abstains when every target fails at once", async () => {
  const h = await startHarness();
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    for (let i = 0; i < 4; i++) {
      h.prober().emit({
        "192.0.2.1": false,
        "192.0.2.2": false,
        "192.0.2.3": false,
      });
    }
    await until(() => h.agent.isolation.isolated, "isolation");
    await quiet(h);
    assertEquals(h.cf.writes().length, 0);
    assertEquals(published(h.cf).size, 3);
    assert(h.logs.some((l) => l.includes("Self-isolation")));
  } finally {
    await h.close();
  }
});

Deno.test("Agent abstains on local send errors and resumes when they clear", async () => {
  const h = await startHarness();
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    for (let i = 0; i < 3; i++) h.prober().emit({ ...UP, "192.0.2.3": false });
    h.prober().emit({ ...UP, "192.0.2.1": "local" });
    await until(() => h.agent.isolation.isolated, "isolation");
    await quiet(h);
    assert(published(h.cf).has("192.0.2.3"), "removed while isolated");
    assert(h.agent.isolation.reason!.includes("local send errors"));
    h.prober().emit({ ...UP, "192.0.2.3": false });
    await until(
      () => !published(h.cf).has("192.0.2.3"),
      "removal after isolation cleared",
    );
  } finally {
    await h.close();
  }
});

Deno.test("Agent does not count local send errors as fresh probes of a verdict", async () => {
  const h = await startHarness();
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    for (let i = 0; i < 5; i++) {
      h.prober().emit({ "192.0.2.1": true, "192.0.2.2": true });
      h.prober().emit({ "192.0.2.3": "local" });
    }
    const unsettled = h.agent.trust.unsettled();
    assert(!unsettled.has("192.0.2.1"), "probed: settled");
    assert(unsettled.has("192.0.2.3"), "only local errors: not settled");
  } finally {
    await h.close();
  }
});

Deno.test("Agent removes at most max_removals_fraction of a hostname's IPs", async () => {
  const h = await startHarness(
    BASE_TOML.replace(
      "[cloudflare]",
      "max_removals_fraction = 0.34\n[cloudflare]",
    ),
  );
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    for (let i = 0; i < 3; i++) {
      h.prober().emit({
        "192.0.2.1": true,
        "192.0.2.2": false,
        "192.0.2.3": false,
      });
    }
    await until(() => published(h.cf).size === 2, "one removal");
    await quiet(h);
    assertEquals(published(h.cf).size, 2, "blast radius exceeded");
    h.cf.assertNeverEmpty();
  } finally {
    await h.close();
  }
});

Deno.test("Agent restores nothing before it has probed an IP enough times", async () => {
  const h = await startHarness();
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    for (const zone of h.cf.state.zones.values()) {
      for (const [id, r] of zone.records) {
        if (r.content === "192.0.2.3") zone.records.delete(id);
      }
    }
    h.prober().emit(UP);
    h.prober().emit(UP);
    h.clock.advance(61_000);
    await quiet(h);
    assertEquals(h.cf.writes().length, 0, "restored on an unproven verdict");
    h.prober().emit(UP);
    await until(() => published(h.cf).has("192.0.2.3"), "restore once settled");
  } finally {
    await h.close();
  }
});

Deno.test("Agent without dry_run in its config makes no write call and logs what it would do", async () => {
  // Dry-run is the default: the config says nothing about it.
  const h = await startHarness(BASE_TOML.replace("dry_run = false\n", ""));
  try {
    for (let i = 0; i < 3; i++) h.prober().emit({ ...UP, "192.0.2.2": false });
    await until(
      () =>
        h.logs.some((l) =>
          l.includes("would remove A www.example.com 192.0.2.2")
        ),
      "log",
    );
    assertEquals(h.cf.audit.length, 0);
    assertEquals(h.agent.dns.actions()[0]?.result, "dry-run");
  } finally {
    await h.close();
  }
});

Deno.test("Agent steady state costs one read per reconcile_interval and no write", async () => {
  const h = await startHarness();
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    const reads = () =>
      h.cf.audit.filter((a) =>
        a.method === "GET" && a.path.includes("dns_records")
      ).length;
    for (let i = 0; i < 3; i++) h.prober().emit(UP);
    await quiet(h);
    const first = reads();
    for (let s = 0; s < 30; s++) {
      h.prober().emit(UP);
      h.clock.advance(1000);
      await quiet(h);
    }
    assertEquals(reads(), first, "reads before the interval");
    h.clock.advance(31_000);
    await until(() => reads() === first + 1, "drift-repair read");
    assertEquals(h.cf.writes().length, 0);
  } finally {
    await h.close();
  }
});

Deno.test("Agent repairs drift: a record deleted by hand comes back on the next pass", async () => {
  const h = await startHarness();
  try {
    await until(() => h.agent.lastReport !== null, "first pass");
    for (let i = 0; i < 3; i++) h.prober().emit(UP);
    for (const zone of h.cf.state.zones.values()) {
      for (const [id, r] of zone.records) {
        if (r.content === "192.0.2.3") zone.records.delete(id);
      }
    }
    h.clock.advance(61_000);
    await until(() => published(h.cf).has("192.0.2.3"), "repair");
  } finally {
    await h.close();
  }
});

Deno.test("Agent.reload() keeps the old config on errors and applies a valid one", async (t) => {
  const h = await startHarness();
  try {
    await t.step("invalid file: rejected, old config kept", async () => {
      h.setConfigText("failure_threshold = 0\n");
      assertEquals(await h.agent.reload(), false);
      assertEquals(h.agent.config.failureThreshold, 3);
      assert(
        h.logs.some((l) =>
          l.includes("Reload rejected") && l.includes("failure_threshold")
        ),
      );
    });
    await t.step(
      "valid file: new target probed, thresholds changed, state kept",
      async () => {
        for (let i = 0; i < 2; i++) {
          h.prober().emit({ ...UP, "192.0.2.1": false });
        }
        h.setConfigText(
          BASE_TOML.replace('"192.0.2.3"]', '"192.0.2.3", "192.0.2.4"]')
            .replace("failure_threshold = 3", "failure_threshold = 5")
            .replace("interval = 1", "interval = 2\nprobe_timeout = 0.5"),
        );
        assertEquals(h.prober().timing, {
          intervalMs: 1000,
          timeoutMs: 1000,
          adaptive: true,
          retryMs: null,
        });
        assertEquals(await h.agent.reload(), true);
        assertEquals(h.prober().timing, {
          intervalMs: 2000,
          timeoutMs: 500,
          adaptive: false,
          retryMs: null,
        });
        assertEquals(h.prober().targets, [
          "192.0.2.1",
          "192.0.2.2",
          "192.0.2.3",
          "192.0.2.4",
        ]);
        assertEquals(
          h.agent.health.get("192.0.2.1")?.misses,
          2,
          "streak lost on reload",
        );
        h.prober().emit({ ...UP, "192.0.2.1": false });
        assertEquals(
          h.agent.health.verdict("192.0.2.1"),
          "up",
          "old threshold still used",
        );
      },
    );
  } finally {
    await h.close();
  }
});
