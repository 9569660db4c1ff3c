/** The value checks of config keys (lib/config/rules.ts), as tables. */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  boolean,
  type Checked,
  cloudflareId,
  domain,
  fraction,
  hostOptionalPort,
  hostPort,
  integer,
  ip,
  list,
  number,
  oneOf,
  recordName,
  type Rule,
  secret,
  show,
  SLACK_HOOKS_BASE,
  slackAddr,
  string,
  url,
} from "../../lib/config/rules.ts";

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
    // A list whose text is an alias ("ip") is still not a string.
    [["ip"], { ok: false, error: choices + '["ip"]' }],
    [1, { ok: false, error: choices + "1" }],
    [null, { ok: false, error: choices + "null" }],
  ];
  for (const [raw, want] of table) {
    assertEquals(probeType(raw), want, String(raw));
  }
});

type Row = [raw: unknown, want: Checked<unknown>];

function check(rule: Rule<unknown>, rows: readonly Row[]): void {
  for (const [raw, want] of rows) {
    assertEquals(rule(raw), want, `input ${show(raw)}`);
  }
}

const yes = (value: unknown): Checked<unknown> => ({ ok: true, value });
const no = (error: string): Checked<unknown> => ({ ok: false, error });

Deno.test("show() writes values as TOML would, long tables cut at 57 characters", () => {
  const long = { k: "x".repeat(60) };
  const rows: [unknown, string][] = [
    ["a b", '"a b"'],
    [new Date("2026-12-02T10:00:00Z"), "2026-12-02T10:00:00.000Z"],
    [[1, 2], "[1,2]"],
    [{ a: 1 }, '{"a":1}'],
    [long, JSON.stringify(long).slice(0, 57) + "..."],
    [{ k: "x".repeat(52) }, JSON.stringify({ k: "x".repeat(52) })],
    [null, "null"],
    [3.5, "3.5"],
    [true, "true"],
    [undefined, "undefined"],
  ];
  for (const [raw, want] of rows) assertEquals(show(raw), want);
  assertEquals(JSON.stringify({ k: "x".repeat(52) }).length, 60);
});

Deno.test("integer() takes whole numbers in range, both ends included", () => {
  check(integer(1, 10), [
    [1, yes(1)],
    [10, yes(10)],
    [5, yes(5)],
    [0, no("must be an integer from 1 to 10, got 0")],
    [11, no("must be an integer from 1 to 10, got 11")],
    [2.5, no("must be an integer from 1 to 10, got 2.5")],
    ["3", no('must be an integer from 1 to 10, got "3"')],
  ]);
  check(integer(0), [
    [0, yes(0)],
    [Number.MAX_SAFE_INTEGER, yes(Number.MAX_SAFE_INTEGER)],
    [-1, no("must be an integer ≥ 0, got -1")],
    [Infinity, no("must be an integer ≥ 0, got Infinity")],
  ]);
});

Deno.test("number() takes finite numbers in range, both ends included, and names the unit", () => {
  check(number(0.5, 2, " s"), [
    [0.5, yes(0.5)],
    [2, yes(2)],
    [1, yes(1)],
    [0.4, no("must be a number from 0.5 to 2 s, got 0.4")],
    [2.1, no("must be a number from 0.5 to 2 s, got 2.1")],
    [NaN, no("must be a number from 0.5 to 2 s, got NaN")],
    ["1", no('must be a number from 0.5 to 2 s, got "1"')],
  ]);
  check(number(-Infinity, Infinity), [
    [Infinity, no("must be a number from -Infinity to Infinity, got Infinity")],
    [-5, yes(-5)],
  ]);
});

Deno.test("fraction() takes (0, 1]", () => {
  const error = "must be a number greater than 0 and at most 1, got ";
  check(fraction, [
    [1, yes(1)],
    [0.25, yes(0.25)],
    [Number.MIN_VALUE, yes(Number.MIN_VALUE)],
    [0, no(error + "0")],
    [1.0001, no(error + "1.0001")],
    [-0.5, no(error + "-0.5")],
    ["0.5", no(error + '"0.5"')],
  ]);
});

Deno.test("boolean() takes true and false only", () => {
  check(boolean, [
    [true, yes(true)],
    [false, yes(false)],
    ["true", no('must be true or false, got "true"')],
    [0, no("must be true or false, got 0")],
  ]);
});

Deno.test("string() takes strings; non-empty ones unless told otherwise", () => {
  check(string(), [
    ["a", yes("a")],
    [" a ", yes(" a ")],
    ["", no('must be a non-empty string, got ""')],
    ["  ", no('must be a non-empty string, got "  "')],
    [1, no("must be a non-empty string, got 1")],
  ]);
  check(string(false), [
    ["", yes("")],
    ["  ", yes("  ")],
    [1, no("must be a string, got 1")],
  ]);
});

Deno.test("secret() takes strings of at least min characters and never shows the value", () => {
  check(secret(4), [
    ["abcd", yes("abcd")],
    ["abcde", yes("abcde")],
    [
      "abc",
      no(
        'must be at least 4 characters long, got 3 (value hidden); make one with "goavail keygen"',
      ),
    ],
    [1234, no("must be a string, got a number")],
    [["a", "b", "c", "d"], no("must be a string, got a object")],
  ]);
});

Deno.test("url() takes http and https URLs only", () => {
  const error = "must be an http:// or https:// URL, got ";
  check(url, [
    ["https://example.com/x", yes("https://example.com/x")],
    ["http://192.0.2.1:8080/", yes("http://192.0.2.1:8080/")],
    ["ftp://example.com/", no(error + "an invalid one")],
    ["example.com", no(error + "an invalid one")],
    [7, no(error + "7")],
    [["https://example.com/"], no(error + '["https://example.com/"]')],
  ]);
});

Deno.test("slackAddr() takes the original's path (sent as a form) or a full URL (JSON), and hides the value", () => {
  const error = "must be the path after https://hooks.slack.com/services/ " +
    '("T000/B000/XXXX") or an http:// or https:// URL, got ';
  check(slackAddr, [
    [
      "T000/B000/XXXX",
      yes({ url: SLACK_HOOKS_BASE + "T000/B000/XXXX", format: "form" }),
    ],
    [
      " /T0_0/B-0 ",
      yes({ url: SLACK_HOOKS_BASE + "T0_0/B-0", format: "form" }),
    ],
    [
      "https://example.com/hook",
      yes({ url: "https://example.com/hook", format: "json" }),
    ],
    ["T000", no(error + "neither (value hidden)")],
    ["T000/B000/", no(error + "neither (value hidden)")],
    ["x T000/B000", no(error + "neither (value hidden)")],
    ["T000/B000 x", no(error + "neither (value hidden)")],
    ["T0.0/B000", no(error + "neither (value hidden)")],
    [5, no(error + "5")],
  ]);
});

Deno.test("ip() takes IPv4 and IPv6, trimmed, in canonical form", () => {
  const error = "must be an IPv4 or IPv6 address, got ";
  check(ip, [
    [" 192.0.2.1 ", yes("192.0.2.1")],
    ["2001:DB8:0:0::1", yes("2001:db8::1")],
    ["192.0.2.256", no(error + '"192.0.2.256"')],
    [1, no(error + "1")],
  ]);
});

Deno.test("hostPort() takes host:port and [v6]:port, a bare host only with a default port", () => {
  const error = 'must be "host:port" (IPv6 as "[addr]:port"), got ';
  check(hostPort(), [
    [" 198.51.100.1:7947 ", yes("198.51.100.1:7947")],
    ["[2001:db8::1]:7947", yes("[2001:db8::1]:7947")],
    ["agent-1.example.com:80", yes("agent-1.example.com:80")],
    ["198.51.100.1", no(error + '"198.51.100.1"')],
    [7947, no(error + "7947")],
  ]);
  check(hostPort(9000), [
    ["198.51.100.1", yes("198.51.100.1:9000")],
    ["2001:db8::1", yes("[2001:db8::1]:9000")],
  ]);
});

Deno.test("domain() takes dotted names without wildcards, lower-cased, without the final dot", () => {
  const error = 'must be a domain name such as "example.com", got ';
  check(domain, [
    ["Example.COM.", yes("example.com")],
    ["a.example.com", yes("a.example.com")],
    ["localhost", no(error + '"localhost"')],
    ["*.example.com", no(error + '"*.example.com"')],
    ["exa mple.com", no(error + '"exa mple.com"')],
    [1, no(error + "1")],
  ]);
});

Deno.test("recordName() takes '@', relative and full names, lower-cased, without the final dot", () => {
  const error = 'must be a DNS name ("www", "@" for the zone apex), got ';
  check(recordName, [
    ["@", yes("@")],
    ["WWW", yes("www")],
    ["www.example.com.", yes("www.example.com")],
    ["*.api", yes("*.api")],
    ["a b", no(error + '"a b"')],
    ["@x", no(error + '"@x"')],
    [null, no(error + "null")],
  ]);
});

Deno.test("cloudflareId() takes exactly 32 lowercase hex characters", () => {
  const error = "must be a 32-character lowercase hex id, got ";
  const id = "0123456789abcdef0123456789abcdef";
  check(cloudflareId, [
    [id, yes(id)],
    [id.toUpperCase(), no(error + show(id.toUpperCase()))],
    [id + "0", no(error + show(id + "0"))],
    ["x" + id, no(error + show("x" + id))],
    [id.slice(1), no(error + show(id.slice(1)))],
    [32, no(error + "32")],
    [[id], no(error + show([id]))],
  ]);
});

Deno.test("list() checks every item, names bad indexes, and rejects repeats and emptiness when asked", () => {
  check(list(ip), [
    [[], yes([])],
    [["192.0.2.1", "192.0.2.1"], yes(["192.0.2.1", "192.0.2.1"])],
    [
      ["x", "192.0.2.1", 3],
      no(
        '[0] must be an IPv4 or IPv6 address, got "x"; [2] must be an IPv4 or IPv6 address, got 3',
      ),
    ],
    ["192.0.2.1", no('must be a list such as ["a", "b"], got "192.0.2.1"')],
  ]);
  check(list(ip, { unique: true, nonEmpty: true }), [
    [[], no("must list at least one entry")],
    [
      ["2001:db8::1", "2001:DB8:0::1", "192.0.2.1"],
      no('[1] repeats "2001:db8::1"'),
    ],
    [["192.0.2.1", "192.0.2.2"], yes(["192.0.2.1", "192.0.2.2"])],
  ]);
});

Deno.test("hostOptionalPort() keeps a given port and leaves a bare host bare, IPv6 in brackets", () => {
  const error = 'must be "host:port" (IPv6 as "[addr]:port"), got ';
  check(hostOptionalPort, [
    ["198.51.100.1:7000", yes("198.51.100.1:7000")],
    [" 198.51.100.1 ", yes("198.51.100.1")],
    ["2001:DB8::1", yes("[2001:DB8::1]")],
    ["[2001:db8::1]", yes("[2001:db8::1]")],
    ["[2001:db8::1]:1", yes("[2001:db8::1]:1")],
    ["agent.example.com", yes("agent.example.com")],
    ["198.51.100.1:0", no(error + '"198.51.100.1:0"')],
    ["198.51.100.1:65536", no(error + '"198.51.100.1:65536"')],
    ["a b", no(error + '"a b"')],
    [1, no(error + "1")],
  ]);
});
