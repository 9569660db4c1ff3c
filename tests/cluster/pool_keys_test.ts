/**
 * Pool-keyed views in heartbeats: a verdict of pool "web" travels as
 * "web/IP" in both view formats, the longest key a pool name allows fits,
 * and an old agent's view (bare IPs) reads as the pool default's votes.
 * @module
 */
import assert from "node:assert/strict";
import { compactView, expandView } from "../../lib/cluster/compact_view.ts";
import {
  MAX_VIEW_ENTRIES,
  parseHeartbeat,
  type PeerView,
} from "../../lib/cluster/types.ts";
import { poolName } from "../../lib/config/pool_schema.ts";
import { decideIntents } from "../../lib/write/decide.ts";
import { targetKey } from "../../lib/write/pools.ts";
import { clusterInput, IPS, seeing, vote, X } from "../write/fixtures.ts";

const LONGEST_POOL = "a".repeat(24);
const LONGEST_IP = "2001:db8:1111:2222:3333:4444:5555:6666";

const view: PeerView = {
  [X]: { verdict: "up", since: 1_000_000, consecutive: 7 },
  [targetKey("web", X)]: { verdict: "down", since: 1_000_000, consecutive: 3 },
  [targetKey(LONGEST_POOL, LONGEST_IP)]: {
    verdict: "up",
    since: 1_000_000,
    consecutive: 1,
  },
};

Deno.test("parseHeartbeat() takes pool-keyed views, the longest key a pool name allows included", () => {
  assert.equal(poolName(LONGEST_POOL).ok, true);
  assert.equal(poolName(LONGEST_POOL + "a").ok, false);
  const sentAt = 1_000_000;
  const base = { from: "198.51.100.2:7947", boot: 1, seq: 1, sentAt };
  const full = parseHeartbeat({ ...base, view });
  assert.ok(full.ok, !full.ok ? full.error : "");
  assert.deepEqual(Object.keys(full.value.view), Object.keys(view));
  const cols = expandView(compactView(view, sentAt), sentAt, MAX_VIEW_ENTRIES);
  assert.ok(cols.ok, !cols.ok ? cols.error : "");
  assert.equal(cols.value[targetKey("web", X)]?.verdict, "down");
});

Deno.test("decideIntents() reads an old agent's bare-IP view as pool default's votes, none for other pools", () => {
  const base = clusterInput({
    view: { ...seeing([X]), [targetKey("web", X)]: view[targetKey("web", X)]! },
    // An agent from before pools: bare IPs only.
    live: [vote("198.51.100.2:7947", seeing([X]), {
      hears: ["198.51.100.1:7947"],
    })],
  });
  const input = {
    ...base,
    settings: {
      ...base.settings,
      pools: [
        {
          name: "default",
          names: ["www.example.com"],
          ips: IPS,
          guards: base.settings.guards,
          defaults: base.settings.defaults,
        },
        {
          name: "web",
          names: ["app.example.com"],
          ips: [X],
          guards: base.settings.guards,
          defaults: base.settings.defaults,
        },
      ],
    },
  };
  const d = decideIntents(input);
  assert.equal(d.ips.get(X)?.downVotes, 2);
  assert.equal(d.ips.get(targetKey("web", X))?.downVotes, 1);
});
