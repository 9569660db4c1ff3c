import assert from "node:assert/strict";
import {
  classifyConnectError,
  connectErrorCode,
} from "../../lib/probe/connect_errors.ts";

// What each code means on Linux, by whether the kernel has a route to the
// target (null = it cannot tell). Measured in a namespace: REJECT of every
// kind on the target or a router, and unreachable/prohibit/blackhole routes
// and no route on the agent.
const TABLE: [code: string, routed: boolean | null, want: string][] = [
  ["ECONNREFUSED", true, "target"], // RST, icmp-port-unreachable
  ["ECONNRESET", true, "target"],
  ["ECONNABORTED", true, "target"],
  ["ETIMEDOUT", true, "target"],
  ["EHOSTDOWN", true, "target"],
  ["ENONET", true, "target"],
  ["ENOPROTOOPT", true, "target"],
  ["TimeoutError", true, "target"],
  ["ConnectionRefused", true, "target"],
  ["ESOMETHINGNEW", true, "target"],
  ["EHOSTUNREACH", true, "target"], // host/admin prohibited, host unreachable, ARP failure
  ["ENETUNREACH", true, "target"], // net prohibited or unreachable from a router
  ["HostUnreachable", true, "target"],
  ["NetworkUnreachable", true, "target"],
  ["EHOSTUNREACH", false, "local"], // `ip route add unreachable`
  ["ENETUNREACH", false, "local"], // no route at all
  ["EHOSTUNREACH", null, "local"],
  ["ENETUNREACH", null, "local"],
  ["EACCES", true, "local"], // `ip route add prohibit`
  ["EINVAL", true, "local"], // `ip route add blackhole`
  ["EPERM", true, "local"],
  ["EADDRNOTAVAIL", true, "local"],
  ["ENETDOWN", true, "local"],
  ["ENOBUFS", true, "local"],
  ["EMFILE", true, "local"],
  ["NotCapable", true, "local"],
  ["PermissionDenied", true, "local"],
];

Deno.test("classifyConnectError() follows the table of errno × route", () => {
  for (const [code, routed, want] of TABLE) {
    assert.equal(
      classifyConnectError(code, () => routed),
      want,
      `${code} with route ${routed}`,
    );
  }
});

Deno.test("classifyConnectError() looks the route up only for the unreachable codes", () => {
  let asked = 0;
  const lookup = () => (asked++, true);
  for (const code of ["ECONNREFUSED", "EACCES", "TimeoutError"]) {
    classifyConnectError(code, lookup);
  }
  assert.equal(asked, 0);
  classifyConnectError("EHOSTUNREACH", lookup);
  assert.equal(asked, 1);
});

Deno.test("connectErrorCode() prefers the errno code, else the class name", () => {
  const withCode = Object.assign(new Error("No route to host"), {
    code: "EHOSTUNREACH",
  });
  assert.equal(connectErrorCode(withCode), "EHOSTUNREACH");
  assert.equal(
    connectErrorCode(new Deno.errors.ConnectionRefused("x")),
    "ConnectionRefused",
  );
  assert.equal(connectErrorCode("oops"), "Error");
});
