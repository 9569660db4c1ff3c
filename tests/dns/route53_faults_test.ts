import assert from "node:assert/strict";
import { DnsProviderError } from "../../lib/dns/provider.ts";
import { Route53Failure } from "../support/fake_route53_state.ts";
import {
  baseSets,
  create,
  del,
  withRoute53,
  WWW,
  ZONE_ID,
} from "./route53_fixtures.ts";

function errorOf(o: { result: string; error?: DnsProviderError } | undefined) {
  assert.equal(o?.result, "failed");
  return o!.error!;
}

Deno.test("Route53Provider maps Throttling to rate_limited with a back-off that grows while it lasts", async () => {
  await withRoute53(baseSets(), async (fake, provider) => {
    await provider.list([WWW]);
    fake.faults.push({ kind: "throttle", match: { method: "POST" }, times: 2 });
    const first = errorOf(
      (await provider.apply([del("192.0.2.12")])).outcomes[0],
    );
    assert.equal(first.kind, "rate_limited");
    assert.equal(first.retryAfterMs, 1000);
    assert.match(first.message, /Throttling/);
    const second = errorOf(
      (await provider.apply([del("192.0.2.12")])).outcomes[0],
    );
    assert.equal(second.retryAfterMs, 2000);
    const ok = await provider.apply([del("192.0.2.12")]);
    assert.equal(ok.outcomes[0]?.result, "done");
    fake.faults.push({ kind: "throttle", match: { method: "GET" } });
    await assert.rejects(
      () => provider.list([WWW]),
      (e: DnsProviderError) => e.retryAfterMs === 1000,
    );
  });
});

Deno.test("Route53Provider maps PriorRequestNotComplete to rate_limited", async () => {
  await withRoute53(baseSets(), async (fake, provider) => {
    fake.faults.push({ kind: "prior", match: { method: "POST" } });
    const e = errorOf((await provider.apply([del("192.0.2.12")])).outcomes[0]);
    assert.equal(e.kind, "rate_limited");
    assert.match(e.message, /PriorRequestNotComplete/);
    assert.deepEqual(fake.state.values(ZONE_ID, WWW, "A"), [
      "192.0.2.10",
      "192.0.2.11",
      "192.0.2.12",
    ]);
  });
});

Deno.test("Route53Provider maps 500 and 503 to server errors; nothing is committed", async () => {
  for (const status of [500, 503] as const) {
    await withRoute53(baseSets(), async (fake, provider) => {
      fake.faults.push({ kind: "status", status, match: { method: "POST" } });
      const e = errorOf(
        (await provider.apply([del("192.0.2.12")])).outcomes[0],
      );
      assert.equal(e.kind, "server");
      assert.equal(e.status, status);
      assert.equal(fake.state.values(ZONE_ID, WWW, "A")?.length, 3);
    });
  }
});

Deno.test("Route53Provider after a lost reply: the change landed, and the retry sees it done without sending", async () => {
  await withRoute53(baseSets(), async (fake, provider) => {
    fake.faults.push({ kind: "drop", match: { method: "POST" } });
    const lost = await provider.apply([del("192.0.2.12")]);
    assert.equal(errorOf(lost.outcomes[0]).kind, "server");
    assert.deepEqual(fake.state.values(ZONE_ID, WWW, "A"), [
      "192.0.2.10",
      "192.0.2.11",
    ]);
    const again = await provider.apply([del("192.0.2.12")]);
    assert.deepEqual(again.outcomes.map((o) => o.result), ["already"]);
    assert.equal(again.requests, 0);
    assert.equal(fake.writes().length, 1);
  });
});

Deno.test("Route53Provider times out a slow reply as a server error", async () => {
  await withRoute53(baseSets(), async (fake, provider) => {
    await provider.list([WWW]);
    fake.faults.push({ kind: "slow", delayMs: 1500, match: { method: "GET" } });
    await assert.rejects(
      () => provider.list([WWW]),
      (e: DnsProviderError) => e.kind === "server",
    );
    // Let the slow handler finish before the fake closes.
    await new Promise((r) => setTimeout(r, 700));
  }, { timeoutMs: 800 });
});

Deno.test("Route53Provider maps refused credentials to auth", async () => {
  await withRoute53(baseSets(), async (_fake, provider) => {
    await assert.rejects(() => provider.list([WWW]), (e: DnsProviderError) => {
      assert.equal(e.kind, "auth");
      assert.match(e.message, /InvalidClientTokenId/);
      assert.match(e.hint ?? "", /AWS_ACCESS_KEY_ID.*IAM policy/);
      assert.doesNotMatch(e.hint ?? "", /canarySecretKey/);
      return true;
    });
  }, {
    client: {
      credentials: {
        accessKeyId: "AKIDWRONG",
        secretAccessKey: "canarySecretKey-other",
        sessionToken: "x",
      },
    },
  });
});

Deno.test("fake Route 53 refuses what the real API refuses, in AWS's words", async () => {
  await withRoute53(baseSets(), (fake) => {
    const st = fake.state;
    const set = (over = {}) => ({
      Name: `${WWW}.`,
      Type: "A",
      TTL: 30,
      ResourceRecords: ["192.0.2.10"],
      ...over,
    });
    const refuse = (action: string, s: ReturnType<typeof set>, re: RegExp) =>
      assert.throws(
        () => st.apply(ZONE_ID, [{ action, set: s }]),
        (e: Error) => re.test(e.message),
      );
    refuse(
      "CREATE",
      set(),
      /Tried to create resource record set \[name='www\.example\.com\.', type='A'\] but it already exists/,
    );
    refuse(
      "DELETE",
      set(),
      /but the values provided do not match the current values/,
    );
    refuse(
      "DELETE",
      set({ Name: "nope.example.com." }),
      /but it was not found/,
    );
    refuse(
      "UPSERT",
      set({ ResourceRecords: [] }),
      /Member must have length greater than or equal to 1/,
    );
    refuse(
      "UPSERT",
      set({ ResourceRecords: ["2001:db8::1"] }),
      /ARRDATAIllegalIPv4Address/,
    );
    assert.throws(
      () =>
        st.apply(ZONE_ID, [{ action: "UPSERT", set: set() }, {
          action: "UPSERT",
          set: set(),
        }]),
      /invalid set of changes for a resource record set 'A www\.example\.com\.'/,
    );
    assert.equal(st.values(ZONE_ID, WWW, "A")?.length, 3, "all or nothing");
    return Promise.resolve();
  });
});

Deno.test("Route53Provider.apply() reports an InvalidChangeBatch other than a stale listing as bad_request naming AWS's reason, without a re-read", async () => {
  await withRoute53(baseSets(), async (fake, provider, lines) => {
    await provider.list([WWW]);
    const reads = fake.audit.length;
    fake.state.apply = () => {
      throw new Route53Failure(
        400,
        "InvalidChangeBatch",
        "[RRSet of type A with DNS name www.example.com. is not permitted as it conflicts with other records with the same DNS name in zone example.com.]",
      );
    };
    const e = errorOf(
      (await provider.apply([create("192.0.2.13")])).outcomes[0],
    );
    assert.equal(e.kind, "bad_request");
    assert.match(e.message, /InvalidChangeBatch.*conflicts with other records/);
    assert.equal(fake.writes().length, 1, "not sent again");
    assert.equal(fake.audit.length - reads, 2, "one listing, one write");
    assert.ok(!lines.some((l) => l.includes("re-read")), lines.join("\n"));
  });
});

Deno.test("fake Route 53 replaces a set by DELETE exactly as it is + CREATE in one batch, and refuses a DELETE that differs in TTL or values", async () => {
  await withRoute53(baseSets(), (fake) => {
    const st = fake.state;
    const www = (TTL: number, ResourceRecords: string[]) => ({
      Name: `${WWW}.`,
      Type: "A",
      TTL,
      ResourceRecords,
    });
    const now = ["192.0.2.10", "192.0.2.11", "192.0.2.12"];
    const swap = (old: ReturnType<typeof www>) =>
      st.apply(ZONE_ID, [
        { action: "DELETE", set: old },
        { action: "CREATE", set: www(30, ["192.0.2.10"]) },
      ]);
    const mismatch =
      /Tried to delete resource record set \[name='www\.example\.com\.', type='A'\] but the values provided do not match the current values/;
    assert.throws(() => swap(www(31, now)), mismatch, "TTL differs");
    assert.throws(
      () => swap(www(30, now.slice(0, 2))),
      mismatch,
      "a value missing",
    );
    assert.throws(
      () => swap(www(30, [...now, "192.0.2.13"])),
      mismatch,
      "a value more",
    );
    assert.deepEqual(st.values(ZONE_ID, WWW, "A"), now, "nothing applied");
    assert.throws(
      () =>
        st.apply(ZONE_ID, [
          { action: "CREATE", set: www(30, ["192.0.2.10"]) },
          { action: "DELETE", set: www(30, now) },
        ]),
      /already exists.*invalid set of changes for a resource record set 'A www\.example\.com\.'/,
      "CREATE before DELETE",
    );
    // The values as a set: listed order does not matter to the compare.
    swap(www(30, [...now].reverse()));
    assert.deepEqual(st.values(ZONE_ID, WWW, "A"), ["192.0.2.10"]);
    assert.deepEqual(fake.state.emptied, [], "the set never went absent");
    return Promise.resolve();
  });
});
