import assert from "node:assert/strict";
import {
  type AgentView,
  clusterDown,
  clusterSecurityProblem,
  decide,
  decideAll,
  defaultGraceMs,
  type Intent,
  isPreferredWriter,
  quorumWarning,
  writerDelayMs,
  writerRank,
} from "../../lib/cluster/decide.ts";

const IP = "198.51.100.7";

/**
 * One agent in a scenario: `u`/`d` = live and sees up/down, `U`/`D` = stale
 * (no heartbeat within peer_timeout) and sees up/down, `i` = live,
 * isolated, sees down, `-` = live but does not watch the IP.
 */
type Code = "u" | "d" | "U" | "D" | "i" | "-";

function agent(id: string, code: Code): AgentView & { live: boolean } {
  const verdict = code.toLowerCase() === "u" ? "up" : "down";
  return {
    nodeId: id,
    live: code !== "U" && code !== "D",
    isolated: code === "i",
    view: code === "-" ? {} : { [IP]: { verdict, since: 0, consecutive: 3 } },
  };
}

/** Scenario: first char = self, the rest = peers. */
function scenario(codes: string): { self: AgentView; live: AgentView[] } {
  const all = [...codes].map((c, i) =>
    agent(`10.0.0.${i + 1}:7947`, c as Code)
  );
  const [self, ...peers] = all;
  assert.ok(self);
  return { self, live: peers.filter((p) => p.live) };
}

function intentOf(codes: string, minPeersAgree: number): Intent {
  const { self, live } = scenario(codes);
  return decide(IP, self, live, minPeersAgree).intent;
}

Deno.test("decide() follows the rule table for clusters of 1 to 5", () => {
  // [agents (self first), min_peers_agree, intent]
  const table: [string, number, Intent][] = [
    // single node: own verdict decides
    ["u", 0, "present"],
    ["d", 0, "absent"],
    ["-", 0, "hold"],
    // two nodes
    ["dd", 1, "absent"],
    ["du", 1, "hold"],
    ["ud", 1, "hold"], // one vote either way is no quorum: no change
    ["uu", 1, "present"],
    ["dD", 1, "hold"], // a stale peer's down vote does not count
    ["uD", 1, "hold"], // restoring needs an up quorum too
    ["di", 1, "hold"], // an isolated peer's vote does not count
    ["du", 0, "absent"], // min 0: own down verdict removes
    ["ud", 0, "hold"], // ...but restore waits until nobody sees it down
    ["uU", 0, "present"],
    // three nodes
    ["ddu", 1, "absent"],
    ["duu", 1, "hold"],
    ["udd", 1, "hold"],
    ["udu", 1, "present"],
    ["ddd", 2, "absent"],
    ["ddu", 2, "hold"],
    ["ddD", 2, "hold"],
    ["uuu", 2, "present"],
    ["d--", 1, "hold"],
    ["dd-", 1, "absent"],
    // four nodes
    ["dduu", 1, "absent"],
    ["dduu", 2, "hold"],
    ["ddDD", 2, "hold"],
    ["dddu", 2, "absent"],
    ["uddd", 2, "hold"],
    ["uddu", 2, "hold"],
    ["uudu", 2, "present"],
    ["dddd", 3, "absent"],
    ["dddi", 3, "hold"],
    // five nodes
    ["ddduu", 2, "absent"],
    ["dduuu", 2, "hold"],
    ["uuddd", 2, "hold"],
    ["uuudd", 2, "present"],
    ["ddDDD", 2, "hold"],
    ["ddddd", 4, "absent"],
    ["dddDd", 4, "hold"],
    ["uUUUU", 4, "hold"],
    ["uuuuu", 4, "present"],
    ["iddd-", 2, "hold"], // an isolated self never acts
    ["idddd", 3, "hold"], // even when every other agent agrees
  ];
  for (const [codes, min, want] of table) {
    assert.equal(intentOf(codes, min), want, `${codes} min=${min}`);
  }
});

function* assignments(n: number): Generator<string> {
  const codes: Code[] = ["u", "d", "U", "D", "i", "-"];
  const total = codes.length ** n;
  for (let k = 0; k < total; k++) {
    let s = "";
    let x = k;
    for (let j = 0; j < n; j++) {
      s += codes[x % codes.length];
      x = Math.floor(x / codes.length);
    }
    yield s;
  }
}

Deno.test("decide() matches the rule over every scenario of 1 to 5 agents", () => {
  let checked = 0;
  for (let n = 1; n <= 5; n++) {
    for (const codes of assignments(n)) {
      if (codes[0] === "U" || codes[0] === "D") continue; // self is never stale
      for (let min = 0; min <= n; min++) {
        const { self, live } = scenario(codes);
        const counted = [self, ...live].filter((a) => !a.isolated);
        const votes = counted.filter((a) => a.view[IP]?.verdict === "down")
          .length;
        const ups = counted.filter((a) => a.view[IP]?.verdict === "up").length;
        const down = votes >= min + 1;
        const mine = self.view[IP]?.verdict;
        const want: Intent = self.isolated
          ? "hold"
          : mine === "down" && down
          ? "absent"
          : mine === "up" && !down && ups >= min + 1
          ? "present"
          : "hold";
        const d = decide(IP, self, live, min);
        assert.equal(d.intent, want, `${codes} min=${min}`);
        assert.equal(d.downVotes, votes);
        assert.equal(clusterDown(IP, self, live, min), down);
        checked++;
      }
    }
  }
  assert.ok(checked > 30_000);
});

Deno.test("decide() never lets two agents want opposite changes", () => {
  for (let n = 2; n <= 5; n++) {
    for (const codes of assignments(n)) {
      if (/[UD]/.test(codes)) continue; // every agent sees the same live set
      const all = [...codes].map((c, i) => agent(`n${i}`, c as Code));
      for (let min = 0; min < n; min++) {
        const intents = all.map((self) =>
          decide(IP, self, all.filter((a) => a !== self), min).intent
        );
        assert.ok(
          !(intents.includes("absent") && intents.includes("present")),
          `${codes} min=${min}: ${intents}`,
        );
      }
    }
  }
});

Deno.test("decide() never lets two agents want opposite changes across an asymmetric partition, with a majority quorum", () => {
  // Every agent sees up or down; each hears an arbitrary subset of the
  // others (A may hear B while B does not hear A). Found in the namespace
  // lab: a0+a1 removed, a2 (cut from a0 only) restored, every pass.
  let checked = 0;
  for (let n = 2; n <= 4; n++) {
    const others = n - 1;
    for (let verdicts = 0; verdicts < 2 ** n; verdicts++) {
      const all = Array.from(
        { length: n },
        (_, i) => agent(`n${i}`, (verdicts >> i) & 1 ? "d" : "u"),
      );
      for (let hear = 0; hear < 2 ** (n * others); hear++) {
        const intents = all.map((self, i) => {
          const mask = (hear >> (i * others)) & (2 ** others - 1);
          const peers = all.filter((a) => a !== self).filter((_, j) =>
            (mask >> j) & 1
          );
          return (min: number) => decide(IP, self, peers, min).intent;
        });
        for (let min = Math.floor(n / 2); min < n; min++) {
          const got = intents.map((f) => f(min));
          assert.ok(
            !(got.includes("absent") && got.includes("present")),
            `n=${n} verdicts=${verdicts} hear=${hear} min=${min}: ${got}`,
          );
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 10_000);
});

Deno.test("decide() lists the agents allowed to write, sorted", () => {
  const { self, live } = scenario("ddud");
  const d = decide(IP, self, live, 1);
  assert.equal(d.intent, "absent");
  assert.deepEqual(d.writers, [
    "10.0.0.1:7947",
    "10.0.0.2:7947",
    "10.0.0.4:7947",
  ]);
  const h = decide(IP, self, live, 3);
  assert.equal(h.intent, "hold");
  assert.deepEqual(h.writers, []);
  const p = scenario("uudi");
  assert.deepEqual(decide(IP, p.self, p.live, 1).writers, [
    "10.0.0.1:7947",
    "10.0.0.2:7947",
  ]);
});

Deno.test("decideAll() decides every IP", () => {
  const self: AgentView = {
    nodeId: "a",
    isolated: false,
    view: {
      "192.0.2.1": { verdict: "down", since: 0, consecutive: 3 },
      "192.0.2.2": { verdict: "up", since: 0, consecutive: 9 },
    },
  };
  const m = decideAll(["192.0.2.1", "192.0.2.2", "192.0.2.3"], self, [], 0);
  assert.deepEqual([...m.values()].map((d) => d.intent), [
    "absent",
    "present",
    "hold",
  ]);
});

Deno.test("isPreferredWriter() picks the lowest id among writers", () => {
  const ids = ["10.0.0.3:7947", "10.0.0.1:7947", "10.0.0.2:7947"];
  assert.equal(isPreferredWriter("10.0.0.1:7947", ids), true);
  assert.equal(isPreferredWriter("10.0.0.2:7947", ids), false);
  assert.equal(isPreferredWriter("10.0.0.9:7947", ids), false);
  assert.equal(isPreferredWriter("solo", ["solo"]), true);
  assert.equal(writerRank("10.0.0.3:7947", ids), 2);
});

Deno.test("writerDelayMs() staggers non-preferred writers by the grace period", () => {
  const ids = ["b", "a", "c"];
  const grace = defaultGraceMs(1);
  assert.equal(grace, 2000);
  assert.equal(writerDelayMs("a", ids, grace), 0);
  assert.equal(writerDelayMs("b", ids, grace), 2000);
  assert.equal(writerDelayMs("c", ids, grace), 4000);
  assert.equal(writerDelayMs("z", ids, grace), null);
});

Deno.test("quorumWarning() warns when fewer than a majority can act", () => {
  // [cluster size, min_peers_agree, warns]
  const table: [number, number, boolean][] = [
    [1, 0, false],
    [2, 0, true],
    [2, 1, false],
    [3, 0, true],
    [3, 1, false],
    [3, 2, false],
    [4, 1, true],
    [4, 2, false],
    [5, 1, true],
    [5, 2, false],
    [5, 4, false],
    [3, 3, true], // more votes needed than agents: never removes
  ];
  for (const [size, min, warns] of table) {
    const w = quorumWarning(size, min);
    assert.equal(w !== null, warns, `size=${size} min=${min}: ${w}`);
  }
  assert.match(quorumWarning(5, 1) ?? "", /minority partition/);
  assert.match(quorumWarning(3, 3) ?? "", /no IP can ever be removed/);
});

Deno.test("clusterSecurityProblem() refuses cluster mode without a key", () => {
  const base = {
    peers: ["10.0.0.2:7947"],
    cryptoKeys: [],
    insecurePlaintext: false,
  };
  assert.match(clusterSecurityProblem(base) ?? "", /crypto_key/);
  assert.equal(
    clusterSecurityProblem({ ...base, insecurePlaintext: true }),
    null,
  );
  assert.equal(clusterSecurityProblem({ ...base, cryptoKeys: ["k"] }), null);
  assert.equal(clusterSecurityProblem({ ...base, peers: [] }), null);
});
