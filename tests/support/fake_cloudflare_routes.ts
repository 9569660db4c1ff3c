/**
 * The Cloudflare v4 routes of the fake API: zones (`fake_cloudflare_zones.ts`), DNS records (list with
 * filters and pagination, get, create, edit, delete) and the batch endpoint.
 * @module
 */

import type { Hono } from "hono";
import {
  ApiFailure,
  envelope,
  type FakeRecordInput,
  FakeState,
  type FakeZone,
  filterRecords,
} from "./fake_cloudflare_state.ts";
import { zoneRoutes } from "./fake_cloudflare_zones.ts";

/** Registers the API routes on `api` (mounted at `/client/v4`). */
export function routes(api: Hono, state: FakeState): void {
  zoneRoutes(api, state, page);
  api.get("/zones/:zone/dns_records", (c) => {
    const zone = state.zone(c.req.param("zone"));
    checkRecordsPerPage(c.req.query().per_page);
    return c.json(page(filterRecords(zone, c.req.query()), c.req.query()));
  });
  api.post("/zones/:zone/dns_records", async (c) => {
    const zone = state.zone(c.req.param("zone"));
    const body = await c.req.json() as Partial<FakeRecordInput>;
    const record = state.create(zone, body);
    state.track([record.name]);
    return c.json(envelope(record));
  });
  api.get("/zones/:zone/dns_records/:id", (c) => {
    const zone = state.zone(c.req.param("zone"));
    return c.json(envelope(state.get(zone, c.req.param("id"))));
  });
  for (const method of ["patch", "put"] as const) {
    api[method]("/zones/:zone/dns_records/:id", async (c) => {
      const zone = state.zone(c.req.param("zone"));
      const before = state.get(zone, c.req.param("id")).name;
      const body = await c.req.json() as Partial<FakeRecordInput>;
      const record = state.edit(
        zone,
        c.req.param("id"),
        body,
        method === "put",
      );
      state.track([before, record.name]);
      return c.json(envelope(record));
    });
  }
  api.delete("/zones/:zone/dns_records/:id", (c) => {
    const zone = state.zone(c.req.param("zone"));
    const record = state.delete(zone, c.req.param("id"));
    state.track([record.name]);
    return c.json(envelope({ id: record.id }));
  });
  api.post("/zones/:zone/dns_records/batch", async (c) => {
    const zone = state.zone(c.req.param("zone"));
    const body = await c.req.json() as BatchBody;
    refuseOversized(zone, body);
    // All or nothing: run the whole batch on a copy first, so the first
    // error leaves the zone untouched ("If any of the individual action
    // fails, no changes are applied and the API returns the first error it
    // encountered").
    runBatch(stagedCopy(zone), body);
    const result = runBatch({ state, zone }, body);
    state.track(result.names);
    return c.json(envelope(result.reply));
  });
}

interface BatchBody {
  deletes?: { id: string }[];
  patches?: (Partial<FakeRecordInput> & { id: string })[];
  puts?: (Partial<FakeRecordInput> & { id: string })[];
  posts?: Partial<FakeRecordInput>[];
}

/**
 * Operations per batch: "Free: 200 / Pro: 3,500 / Business: 3,500 /
 * Enterprise: 3,500"
 * (https://developers.cloudflare.com/dns/manage-dns-records/how-to/batch-record-changes/#availability-and-limits).
 * The refusal's code is not documented; the fake answers 400 with 1004
 * "DNS Validation Error" and the limit in the message.
 */
function refuseOversized(zone: FakeZone, body: BatchBody): void {
  const limit = zone.plan === "free" ? 200 : 3500;
  const n = (body.deletes?.length ?? 0) + (body.patches?.length ?? 0) +
    (body.puts?.length ?? 0) + (body.posts?.length ?? 0);
  if (n > limit) {
    throw new ApiFailure(
      400,
      1004,
      `DNS Validation Error: a batch may hold at most ${limit} operations, got ${n}`,
    );
  }
}

function stagedCopy(zone: FakeZone): { state: FakeState; zone: FakeZone } {
  const state = new FakeState([{
    id: zone.id,
    name: zone.name,
    plan: zone.plan,
    ...(zone.recordQuota !== undefined
      ? { recordQuota: zone.recordQuota }
      : {}),
    records: [...zone.records.values()],
  }]);
  return { state, zone: state.zone(zone.id) };
}

/**
 * Runs a batch in the API's order: "Deletes, Patches, Puts, Posts", each
 * list in the order given
 * (https://developers.cloudflare.com/dns/manage-dns-records/how-to/batch-record-changes/).
 * Every single change is its own edge state (FakeState.edge).
 */
function runBatch(
  { state, zone }: { state: FakeState; zone: FakeZone },
  body: BatchBody,
): { reply: unknown; names: string[] } {
  const deletes = (body.deletes ?? []).map((d) => state.delete(zone, d.id));
  const patches = (body.patches ?? []).map((p) =>
    state.edit(zone, p.id, p, false)
  );
  const puts = (body.puts ?? []).map((p) => state.edit(zone, p.id, p, true));
  const posts = (body.posts ?? []).map((p) => state.create(zone, p));
  const names = [...deletes, ...patches, ...puts, ...posts].map((r) => r.name);
  return { reply: { deletes, patches, puts, posts }, names };
}

/**
 * Cloudflare's OpenAPI schema `dns-records_per_page`: "Number of DNS records
 * per page", default 100, minimum 1, maximum 5e+06. The code of the real
 * refusal is not documented; the fake answers 400 1004 and names the field.
 */
export const MAX_RECORDS_PER_PAGE = 5_000_000;

function checkRecordsPerPage(raw: string | undefined): void {
  if (raw === undefined) return;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_RECORDS_PER_PAGE) {
    throw new ApiFailure(
      400,
      1004,
      `per_page must be an integer from 1 to ${MAX_RECORDS_PER_PAGE}`,
    );
  }
}

function page<T>(items: T[], query: Record<string, string>): unknown {
  const perPage = Math.max(1, Number(query.per_page ?? 100) || 100);
  const pageNo = Math.max(1, Number(query.page ?? 1) || 1);
  const slice = items.slice((pageNo - 1) * perPage, pageNo * perPage);
  return envelope(slice, {
    page: pageNo,
    per_page: perPage,
    count: slice.length,
    total_count: items.length,
    total_pages: Math.ceil(items.length / perPage),
  });
}
