import { strict as assert } from "node:assert";
import { quorumWarning } from "../../lib/cluster/quorum_warning.ts";

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
