/**
 * Drain in the write decision (SAFETY.md rule 5, drained): a drained IP's
 * intent is absent whatever the votes, and it counts as down for the
 * guards, which still keep every name and family published. One table row
 * per situation: the changes planned and the hold reason of each IP.
 * @module
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { decideWrites } from "../../lib/write/decide.ts";
import type { WriteInput } from "../../lib/write/types.ts";
import { type DnsRecord, recordKey } from "../../lib/dns/provider.ts";
import {
  A,
  B,
  C,
  clusterInput,
  IPS,
  listing,
  rec,
  seeing,
  V6,
  vote,
  X,
  Y,
} from "./fixtures.ts";

interface Row {
  name: string;
  drained: string[];
  /** IPs the two peers and this agent see down. @default none */
  down?: string[];
  /** Listed IPs. @default all three */
  listed?: string[];
  /** Changes to the input after the drain is set. */
  tweak?: (input: WriteInput) => void;
  changes: string[];
  holds: Record<string, string>;
}

const ROWS: Row[] = [
  {
    name: "a drained IP is deleted though every agent sees it up",
    drained: [X],
    changes: [`delete ${X}`],
    holds: { [Y]: "in_sync", [V6]: "in_sync" },
  },
  {
    name: "once out, a drained IP holds with reason drained",
    drained: [X],
    listed: [Y, V6],
    changes: [],
    holds: { [X]: "drained", [Y]: "in_sync", [V6]: "in_sync" },
  },
  {
    name: "draining the last IP of a family keeps it published (all_down)",
    drained: [V6],
    changes: [],
    holds: { [X]: "in_sync", [Y]: "in_sync", [V6]: "all_down" },
  },
  {
    name: "draining every IP of a family keeps them all (all_down)",
    drained: [X, Y],
    changes: [],
    holds: { [X]: "all_down", [Y]: "all_down", [V6]: "in_sync" },
  },
  {
    name:
      "a drained IP stays while the family's other IP is dead, and the dead one goes",
    drained: [X],
    down: [Y],
    changes: [`delete ${Y}`],
    holds: { [X]: "all_down", [V6]: "in_sync" },
  },
  {
    name:
      "a drained IP that is out comes back when the other one dies, which goes",
    drained: [X],
    down: [Y],
    listed: [Y, V6],
    changes: [`create ${X}`, `delete ${Y}`],
    holds: { [V6]: "in_sync" },
  },
  {
    name: "a drained IP kept by all_down never brings a dead one back",
    drained: [X],
    down: [Y],
    listed: [X, V6],
    changes: [],
    holds: { [X]: "all_down", [Y]: "in_sync", [V6]: "in_sync" },
  },
  {
    name:
      "a drained IP nobody has a verdict of is not known healthy: all_down keeps all",
    drained: [X],
    down: [Y],
    tweak: (i) => {
      i.cluster!.live = i.cluster!.live.map((v) => ({
        ...v,
        view: { [Y]: v.view[Y]!, [V6]: v.view[V6]! },
      }));
      i.self.view = { [Y]: i.self.view[Y]!, [V6]: i.self.view[V6]! };
    },
    changes: [],
    holds: { [X]: "all_down", [Y]: "all_down", [V6]: "in_sync" },
  },
  {
    name: "a drained IP the cluster also sees down is dead: all_down keeps all",
    drained: [X],
    down: [X, Y],
    changes: [],
    holds: { [X]: "all_down", [Y]: "all_down", [V6]: "in_sync" },
  },
  {
    name: "min_records keeps a drained IP",
    drained: [X],
    tweak: (i) => (i.settings.guards = { ...i.settings.guards, minRecords: 2 }),
    changes: [],
    holds: { [X]: "min_records", [Y]: "in_sync", [V6]: "in_sync" },
  },
  {
    name: "a drained IP needs no settled verdict of its own",
    drained: [X],
    tweak: (i) => (i.self.unsettled = new Set([X])),
    changes: [`delete ${X}`],
    holds: { [Y]: "in_sync", [V6]: "in_sync" },
  },
  {
    name: "a drained IP needs no down quorum (peers not heard)",
    drained: [X],
    tweak: (i) => {
      i.cluster!.live = i.cluster!.live.map((v) => ({
        ...v,
        view: { [Y]: v.view[Y]!, [V6]: v.view[V6]! },
      }));
      i.self.view = { [Y]: i.self.view[Y]!, [V6]: i.self.view[V6]! };
    },
    changes: [`delete ${X}`],
    holds: { [Y]: "in_sync", [V6]: "in_sync" },
  },
  {
    name: "gates still hold a drained IP (warming up)",
    drained: [X],
    tweak: (i) => (i.cluster!.warmingUp = true),
    changes: [],
    holds: { [X]: "warming_up", [Y]: "warming_up", [V6]: "warming_up" },
  },
  {
    name: "a drained IP is left to the writer (not_writer)",
    drained: [X],
    tweak: (i) => (i.self.nodeId = C),
    changes: [],
    holds: { [X]: "not_writer", [Y]: "not_writer", [V6]: "not_writer" },
  },
  {
    name: "undrained, the IP is restored exactly from its snapshot",
    drained: [],
    listed: [Y, V6],
    changes: [`create ${X}`],
    holds: { [Y]: "in_sync", [V6]: "in_sync" },
  },
];

/** The snapshot the undrain row restores from. */
const SNAPSHOT: DnsRecord = rec(X, {
  ttl: 300,
  proxied: true,
  comment: "edge-1",
  tags: ["team:edge"],
});

for (const row of ROWS) {
  Deno.test(`decideWrites() drain: ${row.name}`, () => {
    const down = row.down ?? [];
    const input = clusterInput({
      view: seeing(down),
      live: [
        vote(B, seeing(down), { hears: [A, C] }),
        vote(C, seeing(down), { hears: [A, B] }),
      ],
    });
    input.settings.drained = new Set(row.drained);
    row.tweak?.(input);
    const snapshots = new Map([[recordKey(SNAPSHOT), SNAPSHOT]]);
    const d = decideWrites(input, listing(row.listed ?? IPS), snapshots);
    assertEquals(
      d.plan.changes.map((c) => `${c.kind} ${c.record.content}`),
      row.changes,
    );
    assertEquals(Object.fromEntries(d.plan.holds), row.holds);
    for (const ip of row.drained) {
      assertEquals(d.ips.get(ip)?.drained, true);
      assertEquals(d.ips.get(ip)?.intent, "absent");
    }
    const restored = d.plan.changes.find((c) =>
      c.kind === "create" && c.record.content === X
    );
    if (restored && row.drained.length === 0) {
      assertEquals(
        [
          restored.record.ttl,
          restored.record.proxied,
          restored.record.comment,
          restored.record.tags,
        ],
        [300, true, "edge-1", ["team:edge"]],
      );
    }
  });
}
