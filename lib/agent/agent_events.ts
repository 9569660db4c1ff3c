/**
 * What the agent tells the outside world when something happens: log lines,
 * metrics and notifications for self-isolation, DNS actions, guard holds and
 * peers coming and going.
 * @module
 */
import type { ReconcileReport } from "../dns/reconciler.ts";
import type { AgentMetrics } from "../observe/metric_catalog.ts";
import type { Logger } from "../observe/log.ts";
import type { Notifier } from "../observe/notify.ts";
import type { WatchedAction } from "./dns_watch.ts";
import { guardEvents } from "./guard_notify.ts";
import type { Isolation } from "../write/isolation.ts";
import { PeerNotices } from "./peer_notify.ts";

/** Turns agent events into logs, metrics and notifications. */
export class AgentEvents {
  readonly #log: Logger;
  readonly #metrics: AgentMetrics;
  readonly #notifier: Notifier;
  /** DNS guards holding records back after the last good pass. */
  #guardsHeld: ReadonlySet<string> = new Set();
  readonly #peers = new PeerNotices();

  /**
   * @param log the agent's logger
   * @param metrics where counters go
   * @param notifier where notifications go
   */
  constructor(log: Logger, metrics: AgentMetrics, notifier: Notifier) {
    this.#log = log;
    this.#metrics = metrics;
    this.#notifier = notifier;
  }

  /** Self-isolation started (`now.isolated`) or cleared. */
  isolation(now: Isolation): void {
    if (now.isolated) {
      this.#log.warn("Self-isolation: abstaining from DNS writes", {
        reason: now.reason,
      });
      this.#notifier.notify({
        event: "guard_triggered",
        detail: `Self-isolation: ${now.reason}`,
      });
    } else {
      this.#log.info("Self-isolation cleared: DNS writes resume");
      this.#notifier.notify({
        event: "guard_cleared",
        detail: "Self-isolation cleared",
      });
    }
  }

  /** A DNS pass ended: API errors counted, guard holds announced. */
  report(report: ReconcileReport): void {
    for (const [kind, n] of Object.entries(report.apiErrors)) {
      this.#metrics.dnsApiErrors.inc({ kind }, n ?? 0);
    }
    if (report.status !== "ok") return;
    const guards = guardEvents(this.#guardsHeld, report.notes);
    this.#guardsHeld = guards.held;
    for (const e of guards.events) this.#notifier.notify(e);
  }

  /** One DNS change was made (or, in dry-run, would have been). */
  action(a: WatchedAction): void {
    const result = a.result === "dry-run"
      ? "dry_run"
      : a.result.startsWith("error")
      ? "error"
      : "ok";
    this.#metrics.dnsWrites.inc({ result });
    if (result === "error") return;
    const verb = a.action === "remove" ? "Removed" : "Restored";
    this.#notifier.notify({
      event: a.action === "remove" ? "record_removed" : "record_restored",
      ip: a.ip,
      hostname: a.hostname,
      detail: `${verb} ${a.type} ${a.hostname} ${a.ip}${
        result === "dry_run" ? " (dry-run)" : ""
      }`,
    });
  }

  /** A peer became live or was lost. */
  peer(peer: string, live: boolean): void {
    const e = this.#peers.onChange(peer, live);
    if (e) this.#notifier.notify(e);
  }
}
