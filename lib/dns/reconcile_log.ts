/**
 * The reconciler's log lines: one per change, guard notes (warn when they
 * change, debug while they stay), and the credential or zone refusal (at
 * most once per interval). Secrets never appear: fields come from records and from
 * {@linkcode DnsProviderError} messages, which carry none.
 * @module
 */

import type { Clock } from "../observe/clock.ts";
import type { Logger } from "../observe/log.ts";
import type { GuardNote } from "../write/guards.ts";
import type { ChangeOutcome, DnsProviderError } from "./provider.ts";
import { noteFields, outcomeFields } from "./reconcile_report.ts";
import { credentialHint } from "./cloudflare_errors.ts";

/** Writes the reconciler's log lines with their rate limits. */
export class ReconcileLog {
  #log: Logger;
  #clock: Clock;
  #authIntervalMs: number;
  #lastAuth = -Infinity;
  #lastNotes = "[]";

  /**
   * @param log the "dns" logger
   * @param clock time source for the credential log interval
   * @param authIntervalMs least time between two credential errors
   */
  constructor(log: Logger, clock: Clock, authIntervalMs: number) {
    this.#log = log;
    this.#clock = clock;
    this.#authIntervalMs = authIntervalMs;
  }

  /** One line per change: info when real, debug in dry-run, warn on failure. */
  outcome(outcome: ChangeOutcome, dryRun: boolean): void {
    const r = outcome.change.record;
    const fields = outcomeFields(outcome);
    if (outcome.result === "failed") {
      this.#log.warn(
        `DNS ${fields.action} failed: ${r.type} ${r.name} ${r.content}`,
        {
          ...fields,
          error: outcome.error.message,
          kind: outcome.error.kind,
        },
      );
      return;
    }
    const verb = outcome.change.kind === "delete" ? "Removed" : "Restored";
    const line = `${verb} ${r.type} ${r.name} ${r.content}`;
    if (outcome.change.kind === "create" && !outcome.change.fromSnapshot) {
      // No agent of the cluster holds a snapshot of this record.
      this.#log.warn(
        `${line} from the config defaults (ttl ${r.ttl}, proxied ${r.proxied}): no snapshot of it anywhere; if it existed before, its comment, tags and other settings are not kept`,
        { ...fields, ttl: r.ttl, proxied: r.proxied, dry_run: dryRun },
      );
    } else if (dryRun) this.#log.debug(line, fields);
    else this.#log.info(line, fields);
  }

  /** Guard notes: warn when they differ from the last pass, else debug. */
  notes(notes: readonly GuardNote[]): void {
    const key = JSON.stringify(notes);
    const changed = key !== this.#lastNotes;
    this.#lastNotes = key;
    for (const n of notes) {
      const msg = `Guard "${n.guard}" kept records published`;
      if (changed) this.#log.warn(msg, noteFields(n));
      else this.#log.debug(msg, noteFields(n));
    }
  }

  /** The credential or zone refusal, at most once per interval. */
  blocked(error: DnsProviderError | undefined): void {
    const now = this.#clock.now();
    if (now - this.#lastAuth < this.#authIntervalMs) return;
    this.#lastAuth = now;
    if (error?.kind === "config") {
      this.#log.error(
        `DNS writes are blocked, monitoring continues: ${error.message}. Fix it and reload (SIGHUP)`,
        { status: error.status, codes: error.codes.join(",") },
      );
      return;
    }
    const who = error?.hint
      ? "The DNS provider rejected the credentials"
      : "Cloudflare rejected the API token/key";
    const hint = error?.hint ?? credentialHint(error?.codes ?? []);
    this.#log.error(
      `${who}; DNS writes are blocked, monitoring continues: ${hint}. Fix it and reload (SIGHUP)`,
      error
        ? {
          error: error.message,
          status: error.status,
          codes: error.codes.join(","),
        }
        : {},
    );
  }
}
