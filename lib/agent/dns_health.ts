/**
 * Whether this agent's DNS passes keep failing (API unreachable, 5xx,
 * timeouts, a state directory that takes no snapshot): a writer that
 * cannot write must give the role to an agent that can. After
 * {@linkcode STEP_DOWN_MS} of failed passes it stops standing for writer
 * for {@linkcode COOL_OFF_MS}, then stands again (and tries again if it is
 * still the lowest). Rate limits are not counted: they are the account's,
 * and another agent would hit the same one.
 * @module
 */
import type { ReconcileReport } from "../dns/reconcile_report.ts";

/** Failed passes for this long make the agent step down, ms. */
export const STEP_DOWN_MS = 60_000;
/** How long it then stays down, ms. */
export const COOL_OFF_MS = 5 * 60_000;

/** Tracks failing DNS passes. */
export class DnsHealth {
  #failingSince: number | null = null;
  #downUntil = 0;
  readonly #onStepDown: () => void;

  /** @param onStepDown called once each time the agent steps down */
  constructor(onStepDown: () => void = () => {}) {
    this.#onStepDown = onStepDown;
  }

  /** Notes one pass's report. */
  note(report: ReconcileReport, now: number): void {
    if (report.status === "ok") {
      this.#failingSince = null;
      this.#downUntil = 0;
    } else if (report.status === "failed") {
      this.#failingSince ??= now;
    }
  }

  /** @returns whether this agent must not stand for writer now. */
  steppedDown(now: number): boolean {
    if (
      this.#failingSince !== null && now - this.#failingSince >= STEP_DOWN_MS
    ) {
      this.#downUntil = now + COOL_OFF_MS;
      this.#failingSince = null;
      this.#onStepDown();
    }
    return now < this.#downUntil;
  }
}
