/**
 * Notifications for the DNS guards (all-down, min_records, blast radius):
 * one message when a guard starts holding a hostname's records back, none
 * while it keeps holding them, one when it lets go. Pure: the agent keeps
 * the returned set between passes.
 * @module
 */
import type { GuardName, GuardNote } from "../write/guards.ts";
import type { NotifyEvent } from "../observe/notify.ts";

const WHY: Record<GuardName, string> = {
  all_down: "every IP is down, so none is removed",
  min_records: "min_records keeps them",
  blast_radius: "max_removals_fraction limits removals",
};

/** @returns the identity of a guard holding one record set. */
export function guardKey(
  n: Pick<GuardNote, "guard" | "type" | "name">,
): string {
  return `${n.guard} ${n.type} ${n.name}`;
}

/**
 * Compares the guard notes of a pass with those in force before.
 * @param held keys ({@linkcode guardKey}) of the guards holding after the
 *   last good pass
 * @param notes the notes of this pass
 * @returns the keys now holding, and one event per guard that started or
 *   stopped holding
 */
export function guardEvents(
  held: ReadonlySet<string>,
  notes: readonly GuardNote[],
): { held: Set<string>; events: NotifyEvent[] } {
  const now = new Set<string>();
  const events: NotifyEvent[] = [];
  for (const n of notes) {
    const key = guardKey(n);
    if (now.has(key)) continue;
    now.add(key);
    if (held.has(key)) continue;
    events.push({
      event: "guard_triggered",
      hostname: n.name,
      ip: n.ips.length === 1 ? n.ips[0] : null,
      detail: `Guard "${n.guard}" kept ${n.type} ${n.name} ${
        n.ips.join(", ")
      } published: ${WHY[n.guard]}`,
    });
  }
  for (const key of held) {
    if (now.has(key)) continue;
    const [guard, type, name] = key.split(" ");
    events.push({
      event: "guard_cleared",
      hostname: name ?? null,
      detail: `Guard "${guard}" no longer holds ${type} ${name} back`,
    });
  }
  return { held: now, events };
}
