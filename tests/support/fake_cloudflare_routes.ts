/**
 * The Cloudflare v4 routes of the fake API: zones (`fake_cloudflare_zones.ts`), DNS records (list with
 * filters and pagination, get, create, edit, delete) and the batch endpoint.
 * @module
 */

import type { Hono } from "hono";
import {
  envelope,
  type FakeRecordInput,
  FakeState,
  filterRecords,
} from "./fake_cloudflare_state.ts";
import { zoneRoutes } from "./fake_cloudflare_zones.ts";

/** Registers the API routes on `api` (mounted at `/client/v4`). */
export function routes(api: Hono, state: FakeState): void {
  zoneRoutes(api, state, page);
  api.get("/zones/:zone/dns_records", (c) => {
    const zone = state.zone(c.req.param("zone"));
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
    const body = await c.req.json() as {
      deletes?: { id: string }[];
      posts?: Partial<FakeRecordInput>[];
    };
    const deletes = body.deletes ?? [];
    const posts = body.posts ?? [];
    // All or nothing, like Cloudflare: validate every operation first.
    for (const d of deletes) state.get(zone, d.id);
    const staged = new FakeState([{
      id: zone.id,
      name: zone.name,
      records: [...zone.records.values()].filter((r) =>
        !deletes.some((d) => d.id === r.id)
      ),
    }]);
    for (const p of posts) staged.create(staged.zone(zone.id), p);
    const deleted = deletes.map((d) => state.delete(zone, d.id));
    const created = posts.map((p) => state.create(zone, p));
    state.track([...deleted, ...created].map((r) => r.name));
    return c.json(
      envelope({ deletes: deleted, posts: created, patches: [], puts: [] }),
    );
  });
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
