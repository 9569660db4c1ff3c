import assert from "node:assert/strict";
import {
  baseSets,
  create,
  del,
  withRoute53,
  WWW,
  ZONE_ID,
} from "./route53_fixtures.ts";

Deno.test("Route53Provider.list() reads each name's sets across pages, one record per value", async () => {
  await withRoute53(baseSets(), async (fake, provider) => {
    const listed = await provider.list([WWW, "example.com"]);
    const www = listed.get(WWW) ?? [];
    assert.deepEqual(
      www.map((r) => `${r.type} ${r.content} ${r.ttl}`),
      [
        "A 192.0.2.10 30",
        "A 192.0.2.11 30",
        "A 192.0.2.12 30",
        "AAAA 2001:db8::10 30",
      ],
    );
    assert.deepEqual(www[0]?.recordSet, {
      zoneId: ZONE_ID,
      values: ["192.0.2.10", "192.0.2.11", "192.0.2.12"],
    });
    assert.deepEqual(listed.get("example.com")?.map((r) => r.content), [
      "198.51.100.1",
    ]);
    const pages = fake.audit.filter((x) => x.path.endsWith("/rrset"));
    // www has A and AAAA: two pages of one set, and a third that shows the
    // next name; the apex needs one page and its next.
    assert.ok(pages.length >= 3, JSON.stringify(pages.map((p) => p.query)));
    assert.ok(
      pages.some((p) => p.query.includes("type=AAAA")),
      "followed NextRecordType",
    );
  }, { perPage: 1 });
});

Deno.test("Route53Provider finds the one public zone by name, and names the key when none matches", async () => {
  await withRoute53(baseSets(), async (fake, provider) => {
    await provider.list([WWW]);
    assert.ok(fake.audit.some((x) => x.path.endsWith("/hostedzonesbyname")));
    assert.ok(
      fake.audit.some((x) => x.path.includes(`/hostedzone/${ZONE_ID}/rrset`)),
    );
  });
  await withRoute53(baseSets(), async (_fake, provider) => {
    await assert.rejects(
      () => provider.list(["www.example.net"]),
      /route53\.aws_domain/,
    );
  }, { config: { awsDomain: "example.net" } });
  await withRoute53(baseSets(), async (_fake, provider) => {
    await assert.rejects(
      () => provider.list([WWW]),
      /route53\.aws_zoneid.*example\.org/,
    );
  }, { config: { zoneId: "Z0OTHER" } });
  await withRoute53(baseSets(), async (_fake, provider) => {
    await assert.rejects(
      () => provider.list([WWW]),
      /2 public hosted zones "example\.com" \(Z0FAKE53ZONE, Z0SECOND\).*route53\.aws_zoneid/,
    );
  }, { extraZones: [{ id: "Z0SECOND", name: "example.com" }] });
});

Deno.test("Route53Provider.apply() withdraws a value with one DELETE of the set as listed + CREATE that keeps TTL and the other values", async () => {
  await withRoute53(baseSets(), async (fake, provider, lines) => {
    const result = await provider.apply([del("192.0.2.12")]);
    assert.deepEqual(result.outcomes.map((o) => o.result), ["done"]);
    assert.equal(result.requests, 1);
    assert.deepEqual(fake.state.values(ZONE_ID, WWW, "A"), [
      "192.0.2.10",
      "192.0.2.11",
    ]);
    const set = fake.state.zones.get(ZONE_ID)!.sets.find((s) =>
      s.Name === `${WWW}.` && s.Type === "A"
    );
    assert.equal(set?.TTL, 30);
    const writes = fake.writes();
    assert.equal(writes.length, 1);
    assert.match(
      writes[0]!.body,
      /<Action>DELETE<\/Action>.*<TTL>30<\/TTL>.*192\.0\.2\.12.*<Action>CREATE<\/Action>/s,
    );
    assert.doesNotMatch(writes[0]!.body, /UPSERT/);
    assert.ok(
      lines.some((l) =>
        l.includes("Route 53 change submitted") && l.includes("C0000")
      ),
      lines.join("\n"),
    );
    fake.assertNeverEmpty();
  });
});

Deno.test("Route53Provider.apply() restores a value with its set's TTL, merging a pass's changes into one DELETE + CREATE per set", async () => {
  const sets = baseSets();
  sets[1]!.ResourceRecords = ["192.0.2.10"];
  await withRoute53(sets, async (fake, provider) => {
    const result = await provider.apply([
      create("192.0.2.11", { ttl: 999 }),
      create("192.0.2.12"),
      create("2001:db8::11"),
    ]);
    assert.deepEqual(result.outcomes.map((o) => o.result), [
      "done",
      "done",
      "done",
    ]);
    assert.equal(fake.writes().length, 1, "one call for the zone");
    assert.deepEqual(fake.state.values(ZONE_ID, WWW, "A"), [
      "192.0.2.10",
      "192.0.2.11",
      "192.0.2.12",
    ]);
    assert.deepEqual(fake.state.values(ZONE_ID, WWW, "AAAA"), [
      "2001:db8::10",
      "2001:db8::11",
    ]);
    const set = fake.state.zones.get(ZONE_ID)!.sets.find((s) =>
      s.Name === `${WWW}.` && s.Type === "A"
    );
    assert.equal(set?.TTL, 30, "the set's TTL, not the snapshot's");
    assert.deepEqual(fake.state.values(ZONE_ID, "api.example.com", "A"), [
      "192.0.2.10",
    ]);
  });
});

Deno.test("Route53Provider.apply() sends nothing when the sets already hold what is asked", async () => {
  await withRoute53(baseSets(), async (fake, provider) => {
    const result = await provider.apply([
      create("192.0.2.10"),
      del("192.0.2.99"),
    ]);
    assert.deepEqual(result.outcomes.map((o) => o.result), [
      "already",
      "already",
    ]);
    assert.equal(result.requests, 0);
    assert.equal(fake.writes().length, 0);
  });
});

Deno.test("Route53Provider.apply() never empties a set: the last value's delete is refused", async () => {
  await withRoute53(baseSets(), async (fake, provider) => {
    const result = await provider.apply([
      del("192.0.2.10", { name: "api.example.com" }),
      del("192.0.2.11"),
    ]);
    const [last, other] = result.outcomes;
    assert.equal(last?.result, "failed");
    assert.match(
      last?.result === "failed" ? last.error.message : "",
      /without a value/,
    );
    assert.equal(other?.result, "done");
    assert.deepEqual(fake.state.values(ZONE_ID, "api.example.com", "A"), [
      "192.0.2.10",
    ]);
    fake.assertNeverEmpty();
  });
});

Deno.test("Route53Provider.apply() refuses sets with a routing policy, by name", async () => {
  const sets = [
    ...baseSets().filter((s) => s.Name !== WWW),
    {
      Name: WWW,
      Type: "A",
      SetIdentifier: "blue",
      Weight: 10,
      TTL: 30,
      ResourceRecords: ["192.0.2.10", "192.0.2.11"],
    },
    {
      Name: WWW,
      Type: "A",
      SetIdentifier: "green",
      Weight: 10,
      TTL: 30,
      ResourceRecords: ["192.0.2.12"],
    },
  ];
  await withRoute53(sets, async (fake, provider) => {
    const listed = await provider.list([WWW]);
    assert.deepEqual(listed.get(WWW), []);
    const result = await provider.apply([
      del("192.0.2.10"),
      create("192.0.2.13"),
    ]);
    for (const o of result.outcomes) {
      assert.equal(o.result, "failed");
      assert.match(
        o.result === "failed" ? o.error.message : "",
        /SetIdentifier "blue".*simple record sets only/,
      );
    }
    assert.equal(fake.writes().length, 0);
  });
});

Deno.test("Route53Provider.apply() creates a missing set with CREATE and the snapshot's TTL", async () => {
  await withRoute53(
    baseSets().filter((s) => !(s.Name === WWW && s.Type === "AAAA")),
    async (fake, provider) => {
      const result = await provider.apply([
        create("2001:db8::10", { ttl: 45 }),
      ]);
      assert.deepEqual(result.outcomes.map((o) => o.result), ["done"]);
      assert.match(fake.writes()[0]!.body, /<Action>CREATE<\/Action>/);
      const set = fake.state.zones.get(ZONE_ID)!.sets.find((s) =>
        s.Name === `${WWW}.` && s.Type === "AAAA"
      );
      assert.equal(set?.TTL, 45);
    },
  );
});

Deno.test("Route53Provider lists many names in one walk over the zone, page by page", async () => {
  const hosts = Array.from({ length: 6 }, (_, i) => `h${i}.example.com`);
  const sets = [
    ...hosts.map((Name) => ({
      Name,
      Type: "A" as const,
      TTL: 60,
      ResourceRecords: ["192.0.2.10"],
    })),
    {
      Name: "other.example.com",
      Type: "A",
      TTL: 60,
      ResourceRecords: ["192.0.2.99"],
    },
    { Name: "h0.example.com", Type: "TXT", TTL: 60, ResourceRecords: ['"x"'] },
  ];
  await withRoute53(sets, async (fake, provider) => {
    await provider.list([hosts[0]!]); // warms the zone lookup
    const before = fake.audit.filter((x) => x.path.endsWith("/rrset")).length;
    const listed = await provider.list(hosts);
    const pages = fake.audit.filter((x) => x.path.endsWith("/rrset")).length -
      before;
    // 8 sets at 3 a page, with no name filter: 3 requests for 6 names.
    assert.equal(pages, 3);
    for (const h of hosts) {
      assert.deepEqual(listed.get(h)?.map((r) => r.content), ["192.0.2.10"]);
    }
    assert.equal(listed.has("other.example.com"), false);
  }, { perPage: 3 });
});
