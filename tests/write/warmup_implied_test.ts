/**
 * Rule 3 (`warming_up`) as rule 8 (`handover`) already enforces it for
 * this agent's own writes: the handover wait restarts whenever the agent
 * is not the elected writer (every gate, so every start and every rejoin
 * after isolation), and lasts `peer_timeout + heartbeat + DNS_CALL_BOUND_MS`,
 * longer than the warm-up's `peer_timeout`. So with warm-up turned off, an
 * agent only ever writes at a moment when warm-up would be over anyway.
 * This is why `--disable warming_up` finds no violation in the simulator
 * (README, mutation check): the rule is kept for what it adds beyond
 * writes (a warming agent does not stand for writer, so it does not take
 * the role from a working writer and restart the handover; /status says
 * `warming_up`), not for safety.
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { handoverMs } from "../../lib/agent/write_facts.ts";
import { decideIntents } from "../../lib/write/decide.ts";
import { warmingUp } from "../../lib/write/warmup.ts";
import type { Vote, WriteMemory } from "../../lib/write/types.ts";
import { A, B, C, clusterInput, seeing } from "./fixtures.ts";

const peerArb = (id: string) =>
  fc.record({
    live: fc.boolean(),
    acked: fc.boolean(),
    writable: fc.boolean(),
    hearsSelf: fc.boolean(),
    backs: fc.constantFrom([] as string[], [A], [id], [B, A]),
  });

const passArb = fc.record({
  stepMs: fc.integer({ min: 0, max: 4000 }),
  b: peerArb(B),
  c: peerArb(C),
});

Deno.test("warming_up: with the rule off, this agent writes only once warm-up would be over", () => {
  let activeSeen = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 60 }),
      fc.integer({ min: 1, max: 10 }),
      fc.array(passArb, { minLength: 1, maxLength: 40 }),
      (peerTimeoutSec, heartbeatSec, passes) => {
        const peerTimeoutMs = peerTimeoutSec * 1000;
        const since = 1_000_000;
        let now = since;
        // A start (or a rejoin): the handover memory starts empty.
        let memory: WriteMemory = { writerSince: null };
        for (const p of passes) {
          now += p.stepMs;
          const live: Vote[] = [];
          for (const [id, v] of [[B, p.b], [C, p.c]] as const) {
            if (!v.live) continue;
            live.push({
              nodeId: id,
              isolated: false,
              writable: v.writable,
              hears: v.hearsSelf ? [A] : [],
              acked: v.acked,
              backs: v.backs,
              view: seeing(),
            });
          }
          const input = clusterInput({ live, now, writerSince: null });
          input.memory = memory;
          input.settings.handoverMs = handoverMs(peerTimeoutSec, heartbeatSec);
          // The rule off: never warming up.
          input.cluster!.warmingUp = false;
          const d = decideIntents(input);
          memory = d.memory;
          if (!d.role.active) continue;
          activeSeen++;
          const wouldWarm = warmingUp({
            now,
            since,
            peerTimeoutMs,
            configured: 2,
            live: live.length,
          });
          assert.equal(wouldWarm, false, `active at ${now - since} ms`);
        }
      },
    ),
    { numRuns: 3000, seed: 20261204 },
  );
  assert.ok(activeSeen > 0, "the agent never became active: vacuous");
});
