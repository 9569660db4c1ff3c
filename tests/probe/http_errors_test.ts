import assert from "node:assert/strict";
import { httpErrorCode } from "../../lib/probe/http_errors.ts";

function fetchFailed(message: string): TypeError {
  return new TypeError("fetch failed", { cause: new Error(message) });
}

Deno.test("httpErrorCode() reads Node codes, fetch's errno and class names", () => {
  const table: [unknown, string][] = [
    [
      Object.assign(new Error("connect ECONNREFUSED"), {
        code: "ECONNREFUSED",
      }),
      "ECONNREFUSED",
    ],
    [
      Object.assign(new Error("self-signed certificate"), {
        code: "DEPTH_ZERO_SELF_SIGNED_CERT",
      }),
      "DEPTH_ZERO_SELF_SIGNED_CERT",
    ],
    [
      fetchFailed(
        "error sending request for url (http://127.0.0.1:1/): client error (Connect): " +
          "tcp connect error: Connection refused (os error 111)",
      ),
      "ECONNREFUSED",
    ],
    [
      fetchFailed(
        "client error (Connect): tcp bind local error: Cannot assign requested address (os error 99)",
      ),
      "EADDRNOTAVAIL",
    ],
    [
      fetchFailed("tcp connect error: Network is unreachable (os error 101)"),
      "ENETUNREACH",
    ],
    [
      fetchFailed("tcp connect error: No route to host (os error 113)"),
      "EHOSTUNREACH",
    ],
    [fetchFailed("Too many open files (os error 24)"), "EMFILE"],
    [fetchFailed("Connection reset by peer (os error 104)"), "ECONNRESET"],
    [fetchFailed("Something odd (os error 4242)"), "errno 4242"],
    [
      new TypeError("Fetch failed: Requests to port 25 are blocked"),
      "BlockedPort",
    ],
    [fetchFailed("connection closed before message completed"), "Error"],
    [new TypeError("fetch failed"), "TypeError"],
    [Object.assign(new Error("denied"), { name: "NotCapable" }), "NotCapable"],
    ["a string", "Error"],
  ];
  for (const [error, want] of table) {
    assert.equal(httpErrorCode(error), want, String(error));
  }
});
