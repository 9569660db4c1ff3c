/**
 * Test-only switches around the write unit: `--disable RULE` turns one rule
 * of lib/write/SAFETY.md off by changing what the unit reads or how its
 * answer is used (production never does this), and `--policy legacy`
 * combines such switches into the behaviour of the code before the write
 * unit existed.
 * @module
 */
import type { DnsRecord } from "../../lib/dns/provider.ts";
import type { IntentDecision, WriteInput } from "../../lib/write/types.ts";

/** Rule names of SAFETY.md, in order. */
export const RULES = [
  "no_cluster",
  "isolated",
  "warming_up",
  "dns_blocked",
  "unsettled",
  "quorum",
  "writer",
  "handover",
  "guards",
  "plan_order",
  "in_doubt",
  "exact_restore",
] as const;

/** One rule of SAFETY.md. */
export type RuleName = typeof RULES[number];

/** How the simulated agents decide. */
export interface Policy {
  /** Rules turned off. */
  disabled: ReadonlySet<RuleName>;
  /**
   * The old behaviour: a missing link is a single node, guards read the
   * agent's own verdicts, every agent writes (check-then-act), snapshots
   * stay on the agent that deleted.
   */
  legacy: boolean;
}

/** Every rule on. */
export const DEFAULT_POLICY: Policy = { disabled: new Set(), legacy: false };

/** @returns whether `rule` is off under `policy` (legacy implies some). */
export function off(policy: Policy, rule: RuleName): boolean {
  if (policy.disabled.has(rule)) return true;
  return policy.legacy &&
    (rule === "no_cluster" || rule === "writer");
}

/** @returns the input the unit reads under `policy`. */
export function policyInput(input: WriteInput, policy: Policy): WriteInput {
  let out: WriteInput = { ...input, self: { ...input.self } };
  if (out.cluster && !out.cluster.linked && off(policy, "no_cluster")) {
    // The old agent ran a missing link as "no peers, min_peers_agree 0".
    out = { ...out, cluster: null };
    out.settings = { ...out.settings, minPeersAgree: 0 };
  }
  if (off(policy, "isolated")) {
    out.self.isolation = {
      targets: 0,
      down: 0,
      lastMissed: 0,
      lastLocalFault: 0,
      lostAllPeers: false,
    };
  }
  if (out.cluster && off(policy, "warming_up")) {
    out.cluster = { ...out.cluster, warmingUp: false };
  }
  if (off(policy, "dns_blocked")) out.self.dnsBlocked = false;
  if (off(policy, "unsettled")) out.self.unsettled = new Set();
  if (off(policy, "quorum")) {
    out.settings = { ...out.settings, minPeersAgree: 0 };
  }
  if (out.cluster && off(policy, "writer")) {
    // No peer stands for writer: every acknowledged agent writes.
    out.cluster = {
      ...out.cluster,
      live: out.cluster.live.map((v) => ({ ...v, acked: false, backs: [] })),
    };
  }
  if (off(policy, "handover")) {
    out.settings = { ...out.settings, handoverMs: 0 };
  }
  if (off(policy, "guards")) {
    const guards = { minRecords: 0, maxRemovalsFraction: 1 };
    // Guards are per pool: turn every pool's off.
    out.settings = {
      ...out.settings,
      guards,
      pools: out.settings.pools?.map((p) => ({ ...p, guards })),
    };
  }
  return out;
}

/**
 * @returns the first stage as the planner reads it: with the guards off no
 *   IP counts as down for never-empty; under legacy the guards read this
 *   agent's own verdicts instead of the cluster's, and each IP has its own
 *   preferred writer (the lowest id among the agents whose votes make its
 *   intent), which acts on the listing it read (check-then-act)
 */
export function policyDecided(
  decided: IntentDecision,
  input: WriteInput,
  policy: Policy,
): IntentDecision {
  if (!off(policy, "guards") && !policy.legacy) return decided;
  const ips = new Map(
    [...decided.ips].map(([ip, d]) => {
      const down = policy.legacy ? d.self === "down" : false;
      const preferred = !policy.legacy || d.hold !== null ||
        preferredWriter(ip, d.intent, input) === input.self.nodeId;
      return [ip, {
        ...d,
        downVotes: down ? d.needed : 0,
        hold: preferred ? d.hold : "not_writer" as const,
      }];
    }),
  );
  return { ...decided, ips };
}

/** @returns the lowest id among the agents voting for `intent` on `ip`. */
function preferredWriter(
  ip: string,
  intent: string,
  input: WriteInput,
): string | null {
  const want = intent === "absent" ? "down" : "up";
  const ids = (input.cluster?.live ?? [])
    .filter((v) => !v.isolated && v.view[ip]?.verdict === want)
    .map((v) => v.nodeId);
  const own = input.self.view[ip];
  if (own?.verdict === want && !input.self.unsettled.has(ip)) {
    ids.push(input.self.nodeId);
  }
  return ids.sort()[0] ?? null;
}

/** @returns the snapshots the planner reads under `policy`. */
export function policySnapshots(
  snapshots: ReadonlyMap<string, DnsRecord>,
  policy: Policy,
): ReadonlyMap<string, DnsRecord> {
  return off(policy, "exact_restore") ? new Map() : snapshots;
}
