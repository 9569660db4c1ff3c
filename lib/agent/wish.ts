/**
 * Turns verdicts, peers' views and the guards into what DNS should look like
 * now ({@linkcode DnsWish}), including the preferred-writer grace: a change
 * that another agent is better placed to make is held for a while.
 * @module
 */
import {
  type AgentView,
  decideAll,
  type Decision,
  writerDelayMs,
} from "../cluster/decide.ts";
import type { Intent } from "../write/plan.ts";
import type { DnsWish } from "./dns_driver.ts";

/** When each IP's current intent first appeared. */
export type IntentClock = Map<string, { intent: Intent; since: number }>;

/** Inputs of {@linkcode computeWish}. */
export interface WishInput {
  ips: readonly string[];
  self: AgentView;
  livePeers: readonly AgentView[];
  minPeersAgree: number;
  /** Grace period of non-preferred writers, ms. */
  graceMs: number;
  /** Self-isolation (or start-up warm-up): abstain from writes. */
  isolated: boolean;
  /**
   * IPs this agent has not yet probed enough times since start (or since
   * a reload added them) to trust its own verdict: held, whatever the
   * verdict says. A fresh agent assumes "up" and must not restore a record
   * the cluster removed before it has seen the IP answer.
   */
  unsettled: ReadonlySet<string>;
  now: number;
}

/**
 * @param input verdicts and settings
 * @param since updated in place: when each intent first appeared
 * @returns the wish, and every decision for status and metrics
 */
export function computeWish(
  input: WishInput,
  since: IntentClock,
): { wish: DnsWish; decisions: Map<string, Decision> } {
  const decisions = decideAll(
    input.ips,
    input.self,
    input.livePeers,
    input.minPeersAgree,
  );
  const intents = new Map<string, Intent>();
  const down = new Set<string>();
  let wakeAtMs: number | null = null;
  for (const [ip, d] of decisions) {
    if (d.self === "down") down.add(ip);
    const seen = since.get(ip);
    if (!seen || seen.intent !== d.intent) {
      since.set(ip, { intent: d.intent, since: input.now });
    }
    const start = since.get(ip)!.since;
    const delay = d.intent === "hold" || input.unsettled.has(ip)
      ? null
      : writerDelayMs(input.self.nodeId, d.writers, input.graceMs);
    if (delay === null) {
      intents.set(ip, "hold");
    } else if (start + delay > input.now) {
      intents.set(ip, "hold");
      wakeAtMs = Math.min(wakeAtMs ?? Infinity, start + delay);
    } else {
      intents.set(ip, d.intent);
    }
  }
  for (const ip of since.keys()) if (!decisions.has(ip)) since.delete(ip);
  return {
    wish: { intents, down, abstain: input.isolated, wakeAtMs },
    decisions,
  };
}
