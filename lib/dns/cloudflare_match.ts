/**
 * Pairs a batch reply's created records with the creates that asked for
 * them, by name, type and content. The docs say the operations of each list
 * are executed "following the DNS records order you provide"
 * (https://developers.cloudflare.com/dns/manage-dns-records/how-to/batch-record-changes/),
 * but nothing promises that the reply's `posts` come back in that order
 * (the SDK types them as a plain `Array<RecordResponse>`, cloudflare
 * 7.3.0 `resources/dns/records.d.ts` `RecordBatchResponse`), so position is
 * not trusted. Deletes need no pairing: their outcome carries no record,
 * and the batch is all or nothing ("If any of the individual action fails,
 * no changes are applied").
 * @module
 */

import { toDnsRecord } from "./cloudflare_map.ts";
import { canonicalIp, type Change, type DnsRecord } from "./provider.ts";

/**
 * @param creates the create changes sent in the batch
 * @param posted the reply's `posts`, any order
 * @returns each create's record as created, when the reply holds it
 */
export function matchPosts(
  creates: readonly Change[],
  posted: readonly unknown[],
): Map<Change, DnsRecord> {
  const left = posted.map(toDnsRecord).filter((r): r is DnsRecord =>
    r !== null
  );
  const out = new Map<Change, DnsRecord>();
  for (const change of creates) {
    const want = change.record;
    const i = left.findIndex((r) =>
      r.type === want.type && r.name === want.name &&
      r.content === canonicalIp(want.content)
    );
    if (i < 0) continue;
    out.set(change, left[i]!);
    left.splice(i, 1);
  }
  return out;
}
