/**
 * The zone routes of the fake Cloudflare API: `GET /zones` (filters `name`,
 * `status`, `account.id`; every status and account listed unless filtered,
 * as the real listing does) and `GET /zones/{id}`. A zone object carries
 * `id`, `name`, `status` and `account: {id, name}` (cloudflare-typescript
 * `src/resources/zones/zones.ts`, `Zone`).
 * @module
 */

import type { Hono } from "hono";
import {
  envelope,
  type FakeState,
  type FakeZone,
} from "./fake_cloudflare_state.ts";

/** The zone as the API returns it. */
export function apiZone(z: FakeZone): Record<string, unknown> {
  return {
    id: z.id,
    name: z.name,
    status: z.status,
    account: { ...z.account },
    paused: false,
    type: "full",
  };
}

/**
 * Registers the zone routes on `api`.
 * @param page turns the matching zones into one page of the listing
 */
export function zoneRoutes(
  api: Hono,
  state: FakeState,
  page: (items: unknown[], query: Record<string, string>) => unknown,
): void {
  api.get("/zones", (c) => {
    const q = c.req.query();
    const zones = [...state.zones.values()].filter((z) =>
      (!q.name || z.name === q.name.toLowerCase()) &&
      (!q.status || z.status === q.status) &&
      (!q["account.id"] || z.account.id === q["account.id"])
    ).map(apiZone);
    return c.json(page(zones, q));
  });
  api.get("/zones/:zone", (c) => {
    return c.json(envelope(apiZone(state.zone(c.req.param("zone")))));
  });
}
