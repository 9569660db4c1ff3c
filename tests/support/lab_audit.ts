/**
 * Reads the fake Cloudflare API's audit log as record operations, so lab
 * tests can say "this IP's record was deleted exactly once" whatever the
 * request shape: a single `DELETE …/dns_records/:id`, a single `POST
 * …/dns_records`, or a `POST …/dns_records/batch` carrying several deletes
 * and posts. Deletes name only a record id; {@linkcode RecordIds} maps ids
 * back to IPs (the lab fills it from every state read).
 * @module
 */
import type { AuditEntry } from "./fake_cloudflare.ts";

/** Record id → IP, for every record the lab has seen. */
export type RecordIds = Map<string, string>;

/** One record-level write, as the fake API received it. */
export interface WriteOp {
  /** Wall-clock ms the request arrived. */
  at: number;
  /** "edit" is any PUT/PATCH: goavail never edits records. */
  kind: "delete" | "create" | "edit";
  /** The record's IP; null when unknown (id never seen, body cut off). */
  ip: string | null;
  /** The request's HTTP reply status. */
  status: number;
}

const RECORDS = /\/dns_records(?:\/([^/]+))?$/;

/**
 * @param writes non-GET audit entries of the API
 * @param ids record id → IP
 * @returns one operation per record touched, in arrival order
 */
export function writeOps(
  writes: readonly AuditEntry[],
  ids: RecordIds,
): WriteOp[] {
  const out: WriteOp[] = [];
  for (const w of writes) {
    const m = RECORDS.exec(w.path);
    const base = { at: w.at, status: w.status };
    const id = m?.[1];
    if (w.method === "DELETE" && id) {
      out.push({ ...base, kind: "delete", ip: ids.get(id) ?? null });
    } else if (w.method === "POST" && id === "batch") {
      const { deletes, posts } = batchBody(w.body);
      for (const d of deletes) {
        out.push({ ...base, kind: "delete", ip: ids.get(d) ?? null });
      }
      for (const ip of posts) out.push({ ...base, kind: "create", ip });
    } else if (w.method === "POST" && m && !id) {
      out.push({ ...base, kind: "create", ip: contentOf(w.body) });
    } else if (w.method === "PUT" || w.method === "PATCH") {
      out.push({ ...base, kind: "edit", ip: id ? ids.get(id) ?? null : null });
    } else {
      out.push({ ...base, kind: "edit", ip: null });
    }
  }
  return out;
}

/**
 * @param ops from {@linkcode writeOps}
 * @returns "delete 192.0.2.2", "create 192.0.2.2"… for readable asserts
 */
export function describeOps(ops: readonly WriteOp[]): string[] {
  return ops.map((o) => `${o.kind} ${o.ip ?? "?"}`);
}

/** Parses a batch body (deletes by id, posts by content); tolerant of cuts. */
function batchBody(body: string): { deletes: string[]; posts: string[] } {
  try {
    const b = JSON.parse(body) as {
      deletes?: { id?: unknown }[];
      posts?: { content?: unknown }[];
    };
    return {
      deletes: (b.deletes ?? []).map((d) => String(d.id)),
      posts: (b.posts ?? []).map((p) => String(p.content)),
    };
  } catch {
    // The audit keeps 500 characters; fall back to scanning the text.
    const at = body.indexOf('"posts"');
    const head = at < 0 ? body : body.slice(0, at);
    const tail = at < 0 ? "" : body.slice(at);
    return {
      deletes: [...head.matchAll(/"id"\s*:\s*"([^"]+)"/g)].map((x) => x[1]!),
      posts: [...tail.matchAll(/"content"\s*:\s*"([^"]+)"/g)].map((x) => x[1]!),
    };
  }
}

function contentOf(body: string): string | null {
  try {
    const c = (JSON.parse(body) as { content?: unknown }).content;
    return typeof c === "string" ? c : null;
  } catch {
    return /"content"\s*:\s*"([^"]+)"/.exec(body)?.[1] ?? null;
  }
}
