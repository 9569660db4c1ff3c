/** The value checks of config keys (lib/config/rules.ts), as tables. */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { oneOf } from "../../lib/config/rules.ts";

Deno.test("oneOf() accepts the choices and the aliases' own keys only, not Object.prototype names", () => {
  const probeType = oneOf(["icmp", "tcp"] as const, { ip: "icmp" });
  const choices = 'must be one of "icmp", "tcp", got ';
  const table: [unknown, ReturnType<typeof probeType>][] = [
    ["icmp", { ok: true, value: "icmp" }],
    ["tcp", { ok: true, value: "tcp" }],
    ["ip", { ok: true, value: "icmp" }],
    ["toString", { ok: false, error: choices + '"toString"' }],
    ["constructor", { ok: false, error: choices + '"constructor"' }],
    ["__proto__", { ok: false, error: choices + '"__proto__"' }],
    ["hasOwnProperty", { ok: false, error: choices + '"hasOwnProperty"' }],
    ["ICMP", { ok: false, error: choices + '"ICMP"' }],
    ["", { ok: false, error: choices + '""' }],
    [1, { ok: false, error: choices + "1" }],
    [null, { ok: false, error: choices + "null" }],
  ];
  for (const [raw, want] of table) {
    assertEquals(probeType(raw), want, String(raw));
  }
});
