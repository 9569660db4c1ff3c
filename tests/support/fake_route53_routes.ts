/**
 * The fake Route 53's API routes: request → XML reply, in the shapes of
 * the Route 53 API reference (API_ListHostedZonesByName, API_GetHostedZone,
 * API_ListResourceRecordSets, API_ChangeResourceRecordSets, API_GetChange).
 * @module
 */
import {
  type ChangeRequest,
  compareSets,
  dotted,
  type FakeRecordSet,
  type FakeRoute53State,
  type FakeZone,
  reversedName,
  Route53Failure,
} from "./fake_route53_state.ts";
import {
  child,
  children,
  doc,
  el,
  esc,
  parseXml,
  textOf,
  type XmlNode,
} from "./fake_route53_xml.ts";

const V = "/2013-04-01";

/**
 * @param state the fake's data
 * @returns a function answering one API request with an XML document
 * @throws {Route53Failure} for API errors
 */
export function route53Routes(
  state: FakeRoute53State,
): (method: string, url: URL, body: string) => string {
  return (method, url, body) => {
    const p = url.pathname.replace(/\/$/, "");
    const q = url.searchParams;
    let m: RegExpMatchArray | null;
    if (method === "GET" && p === `${V}/hostedzonesbyname`) {
      return listZones(state, q);
    }
    if (
      method === "GET" && (m = p.match(/^\/2013-04-01\/hostedzone\/([^/]+)$/))
    ) {
      const zone = state.zone(m[1]!);
      return doc(
        "GetHostedZoneResponse",
        el("HostedZone", zoneXml(zone)) +
          el(
            "DelegationSet",
            el("NameServers", el("NameServer", "ns-1.awsdns-00.com")),
          ),
      );
    }
    if ((m = p.match(/^\/2013-04-01\/hostedzone\/([^/]+)\/rrset$/))) {
      const zone = state.zone(m[1]!);
      if (method === "GET") return listSets(zone, q);
      if (method === "POST") return change(state, zone, body);
    }
    if (method === "GET" && (m = p.match(/^\/2013-04-01\/change\/([^/]+)$/))) {
      const info = state.changes.get(m[1]!.replace(/^\/change\//, ""));
      if (!info) {
        throw new Route53Failure(
          404,
          "NoSuchChange",
          `A change with the specified change ID does not exist.`,
        );
      }
      if (info.pendingReads-- <= 0) info.status = "INSYNC";
      return doc("GetChangeResponse", changeInfoXml(info));
    }
    throw new Route53Failure(
      404,
      "UnknownOperationException",
      `${method} ${p}`,
    );
  };
}

function zoneXml(z: FakeZone): string {
  return el("Id", `/hostedzone/${z.id}`) + el("Name", esc(z.name)) +
    el("CallerReference", z.id) +
    el("Config", el("PrivateZone", z.private)) +
    el("ResourceRecordSetCount", z.sets.length);
}

function maxItems(q: URLSearchParams, fallback: number): number {
  const raw = q.get("maxitems");
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new Route53Failure(400, "InvalidInput", `Invalid maxitems: ${raw}`);
  }
  return Math.min(n, 300);
}

function listZones(state: FakeRoute53State, q: URLSearchParams): string {
  const dnsName = q.get("dnsname");
  const startId = q.get("hostedzoneid");
  if (startId && !dnsName) {
    throw new Route53Failure(
      400,
      "InvalidInput",
      "The DNSName is required when the HostedZoneId is specified.",
    );
  }
  const max = maxItems(q, 100);
  // "sorts hosted zones by name with the labels reversed", then by id
  // (API_ListHostedZonesByName): compared as a pair, so "example.com" comes
  // before "a.example.com".
  const order = (a: [string, string], b: [string, string]) =>
    a[0] !== b[0]
      ? (a[0] < b[0] ? -1 : 1)
      : a[1] < b[1]
      ? -1
      : a[1] > b[1]
      ? 1
      : 0;
  const key = (z: FakeZone): [string, string] => [reversedName(z.name), z.id];
  const zones = [...state.zones.values()].sort((a, b) => order(key(a), key(b)));
  const from: [string, string] = [
    dnsName ? reversedName(dnsName) : "",
    startId ?? "",
  ];
  const rest = zones.filter((z) => order(key(z), from) >= 0);
  const page = rest.slice(0, max);
  const next = rest[max];
  return doc(
    "ListHostedZonesByNameResponse",
    el("HostedZones", page.map((z) => el("HostedZone", zoneXml(z))).join("")) +
      (dnsName ? el("DNSName", esc(dotted(dnsName))) : "") +
      (startId ? el("HostedZoneId", startId) : "") +
      el("IsTruncated", next !== undefined) +
      (next
        ? el("NextDNSName", esc(next.name)) + el("NextHostedZoneId", next.id)
        : "") +
      el("MaxItems", max),
  );
}

function listSets(zone: FakeZone, q: URLSearchParams): string {
  const name = q.get("name");
  const type = q.get("type");
  const identifier = q.get("identifier");
  if (type && !name) {
    throw new Route53Failure(
      400,
      "InvalidInput",
      "The input is not valid: type requires name",
    );
  }
  const max = maxItems(q, 300);
  const start: FakeRecordSet = {
    Name: name ?? "",
    Type: type ?? "",
    ...(identifier ? { SetIdentifier: identifier } : {}),
  };
  const rest = name
    ? zone.sets.filter((s) => compareSets(s, start) >= 0)
    : zone.sets;
  const page = rest.slice(0, max);
  const next = rest[max];
  return doc(
    "ListResourceRecordSetsResponse",
    el("ResourceRecordSets", page.map(setXml).join("")) +
      el("IsTruncated", next !== undefined) +
      (next
        ? el("NextRecordName", esc(next.Name)) +
          el("NextRecordType", next.Type) +
          (next.SetIdentifier !== undefined
            ? el("NextRecordIdentifier", esc(next.SetIdentifier))
            : "")
        : "") +
      el("MaxItems", max),
  );
}

function setXml(s: FakeRecordSet): string {
  return el(
    "ResourceRecordSet",
    el("Name", esc(s.Name)) + el("Type", s.Type) +
      (s.SetIdentifier !== undefined
        ? el("SetIdentifier", esc(s.SetIdentifier))
        : "") +
      (s.Weight !== undefined ? el("Weight", s.Weight) : "") +
      (s.TTL !== undefined ? el("TTL", s.TTL) : "") +
      (s.ResourceRecords
        ? el(
          "ResourceRecords",
          s.ResourceRecords.map((v) =>
            el("ResourceRecord", el("Value", esc(v)))
          )
            .join(""),
        )
        : "") +
      (s.AliasTarget
        ? el(
          "AliasTarget",
          el("HostedZoneId", s.AliasTarget.HostedZoneId) +
            el("DNSName", esc(s.AliasTarget.DNSName)) +
            el("EvaluateTargetHealth", false),
        )
        : ""),
  );
}

function changeInfoXml(
  info: { id: string; status: string; submittedAt: string },
): string {
  return el(
    "ChangeInfo",
    el("Id", `/change/${info.id}`) + el("Status", info.status) +
      el("SubmittedAt", info.submittedAt),
  );
}

function change(state: FakeRoute53State, zone: FakeZone, body: string): string {
  let root: XmlNode;
  try {
    root = parseXml(body);
  } catch (e) {
    throw new Route53Failure(400, "MalformedInput", (e as Error).message);
  }
  const batch = child(root, "ChangeBatch");
  if (root.name !== "ChangeResourceRecordSetsRequest" || !batch) {
    throw new Route53Failure(
      400,
      "MalformedInput",
      "ChangeBatch is not valid, expected ChangeResourceRecordSetsRequest",
    );
  }
  const requests: ChangeRequest[] = children(child(batch, "Changes"), "Change")
    .map((c) => ({
      action: textOf(c, "Action") ?? "",
      set: parseSet(child(c, "ResourceRecordSet")),
    }));
  const info = state.apply(zone.id, requests);
  return doc("ChangeResourceRecordSetsResponse", changeInfoXml(info));
}

function parseSet(node: XmlNode | undefined): FakeRecordSet {
  if (!node) {
    throw new Route53Failure(
      400,
      "InvalidInput",
      "ResourceRecordSet is required",
    );
  }
  const ttl = textOf(node, "TTL");
  const weight = textOf(node, "Weight");
  const id = textOf(node, "SetIdentifier");
  const records = child(node, "ResourceRecords");
  const alias = child(node, "AliasTarget");
  return {
    Name: dotted(textOf(node, "Name") ?? ""),
    Type: textOf(node, "Type") ?? "",
    ...(id !== undefined ? { SetIdentifier: id } : {}),
    ...(weight !== undefined ? { Weight: Number(weight) } : {}),
    ...(ttl !== undefined ? { TTL: Number(ttl) } : {}),
    ...(records
      ? {
        ResourceRecords: children(records, "ResourceRecord").map((r) =>
          textOf(r, "Value") ?? ""
        ),
      }
      : {}),
    ...(alias
      ? {
        AliasTarget: {
          HostedZoneId: textOf(alias, "HostedZoneId") ?? "",
          DNSName: textOf(alias, "DNSName") ?? "",
        },
      }
      : {}),
  };
}
