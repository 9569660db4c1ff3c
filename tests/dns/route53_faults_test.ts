import assert from "node:assert/strict";
import { DnsProviderError } from "../../lib/dns/provider.ts";
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

Deno.test("Route53Provider.apply() reports InvalidChangeBatch as bad_request naming AWS's reason", async () => {
  await withRoute53(baseSets(), async (fake, provider) => {
    await provider.list([WWW]);
    // Another writer creates the AAAA set between our listing and our write.
    const missing = baseSets().filter((s) =>
      !(s.Name === WWW && s.Type === "AAAA")
    );
    fake.state.zones.get(ZONE_ID)!.sets = missing.map((s) => ({
      ...s,
      Name: `${s.Name}.`,
    }));
    const realList = fake.state.apply.bind(fake.state);
    let first = true;
    fake.state.apply = (zone, reqs) => {
      if (first) {
        first = false;
        realList(zone, [{
          action: "CREATE",
          set: {
            Name: `${WWW}.`,
            Type: "AAAA",
            TTL: 30,
            ResourceRecords: ["2001:db8::99"],
          },
        }]);
      }
      return realList(zone, reqs);
    };
    const e = errorOf(
      (await provider.apply([create("2001:db8::10")])).outcomes[0],
    );
    assert.equal(e.kind, "bad_request");
    assert.match(e.message, /InvalidChangeBatch.*already exists/);
  });
});
