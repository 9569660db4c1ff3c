import assert from "node:assert/strict";
import {
  COOL_OFF_MS,
  DnsHealth,
  STEP_DOWN_MS,
} from "../../lib/agent/dns_health.ts";
import {
  emptyReport,
  type ReconcileStatus,
} from "../../lib/dns/reconcile_report.ts";

function report(status: ReconcileStatus) {
  return { ...emptyReport(), status };
}

Deno.test("DnsHealth steps down after STEP_DOWN_MS of failed passes, for COOL_OFF_MS", () => {
  let told = 0;
  const h = new DnsHealth(() => told++);
  h.note(report("failed"), 0);
  assert.equal(h.steppedDown(STEP_DOWN_MS - 1), false);
  h.note(report("failed"), STEP_DOWN_MS - 1);
  assert.equal(h.steppedDown(STEP_DOWN_MS), true);
  assert.equal(h.steppedDown(STEP_DOWN_MS + COOL_OFF_MS - 1), true);
  assert.equal(
    h.steppedDown(STEP_DOWN_MS + COOL_OFF_MS),
    false,
    "stands again",
  );
});

Deno.test("DnsHealth: a good pass clears it; rate limits and abstaining do not count", () => {
  const h = new DnsHealth();
  h.note(report("failed"), 0);
  h.note(report("ok"), 1000);
  assert.equal(h.steppedDown(STEP_DOWN_MS + 1000), false);
  for (const s of ["rate_limited", "abstained", "auth_blocked"] as const) {
    const g = new DnsHealth();
    g.note(report(s), 0);
    assert.equal(g.steppedDown(STEP_DOWN_MS * 2), false, s);
  }
});
