/**
 * The fake Route 53 API itself, over HTTP as any client sees it: GetChange,
 * zone listing by name with pagination, the audit log and authentication.
 */
import assert from "node:assert/strict";
import { startFakeRoute53 } from "../support/fake_route53.ts";

const AUTH = {
  authorization:
    "AWS4-HMAC-SHA256 Credential=AKIDFAKE/20260101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=00",
};

async function get(url: string, headers: Record<string, string> = AUTH) {
  const res = await fetch(url, { headers });
  return { status: res.status, text: await res.text() };
}

Deno.test("fake Route 53 GetChange answers PENDING, then INSYNC; an unknown id is NoSuchChange", async () => {
  const fake = startFakeRoute53({
    zones: [{
      id: "Z1",
      name: "example.com",
      sets: [{
        Name: "www.example.com",
        Type: "A",
        TTL: 60,
        ResourceRecords: ["192.0.2.1"],
      }],
    }],
  });
  try {
    const info = fake.state.apply("Z1", [{
      action: "UPSERT",
      set: {
        Name: "www.example.com.",
        Type: "A",
        TTL: 60,
        ResourceRecords: ["192.0.2.1", "192.0.2.2"],
      },
    }]);
    const url = `${fake.url}/2013-04-01/change/${info.id}`;
    assert.match((await get(url)).text, /<Status>PENDING<\/Status>/);
    assert.match((await get(url)).text, /<Status>INSYNC<\/Status>/);
    const missing = await get(`${fake.url}/2013-04-01/change/CNOPE`);
    assert.equal(missing.status, 404);
    assert.match(missing.text, /<Code>NoSuchChange<\/Code>/);
  } finally {
    await fake.close();
  }
});

Deno.test("fake Route 53 lists zones by name in Route 53's order, a page at a time", async () => {
  const fake = startFakeRoute53({
    zones: [
      { id: "Z2", name: "example.com" },
      { id: "Z1", name: "example.com", private: true },
      { id: "Z3", name: "a.example.com" },
      { id: "Z4", name: "example.net" },
    ],
  });
  try {
    const base = `${fake.url}/2013-04-01/hostedzonesbyname`;
    const first = await get(`${base}?dnsname=example.com&maxitems=1`);
    assert.match(first.text, /<Id>\/hostedzone\/Z1<\/Id>.*<PrivateZone>true/);
    assert.match(
      first.text,
      /<IsTruncated>true<\/IsTruncated><NextDNSName>example\.com\.<\/NextDNSName><NextHostedZoneId>Z2</,
    );
    const second = await get(
      `${base}?dnsname=example.com&hostedzoneid=Z2&maxitems=1`,
    );
    assert.match(second.text, /<Id>\/hostedzone\/Z2<\/Id>/);
    // a.example.com sorts after example.com (labels reversed: com.example.a).
    assert.match(second.text, /<NextDNSName>a\.example\.com\.<\/NextDNSName>/);
  } finally {
    await fake.close();
  }
});

Deno.test("fake Route 53 refuses unsigned requests and audits every call", async () => {
  const fake = startFakeRoute53({ zones: [{ id: "Z1", name: "example.com" }] });
  try {
    const r = await get(`${fake.url}/2013-04-01/hostedzone/Z1`, {});
    assert.equal(r.status, 403);
    assert.match(r.text, /<Code>InvalidClientTokenId<\/Code>/);
    const ok = await get(`${fake.url}/2013-04-01/hostedzone/Z1`);
    assert.equal(ok.status, 200);
    assert.match(ok.text, /<Name>example\.com\.<\/Name>/);
    const none = await get(`${fake.url}/2013-04-01/hostedzone/Z9`);
    assert.equal(none.status, 404);
    assert.match(none.text, /<Code>NoSuchHostedZone<\/Code>/);
    assert.deepEqual(fake.audit.map((a) => a.status), [403, 200, 404]);
  } finally {
    await fake.close();
  }
});
