/**
 * One provider over several zones: pools may live in different zones of
 * one account ([[pool]] `dns_domain` / `zone_id`). Each zone has a provider
 * of its own (its own zone lookup); a name goes to the zone it is in (the
 * longest zone that is a suffix of it). A listing fails whole when any
 * zone's listing fails, so the plan never acts on a partial picture;
 * changes are applied zone by zone in the order of their first change, so
 * a name's creates still go before its deletes (a name is in one zone).
 * @module
 */
import {
  type ApiCallKind,
  type ApplyOptions,
  type ApplyResult,
  type Change,
  type ChangeOutcome,
  type DnsProvider,
  DnsProviderError,
  type DnsRecord,
  notContinued,
  type RateLimitState,
} from "./provider.ts";

/** A zone and the provider that writes it. */
export interface ZoneProvider {
  /** The zone's name, e.g. "example.com". */
  zone: string;
  provider: DnsProvider;
  /**
   * Who uses the zone, for messages (its provider's say "cloudflare.…"),
   * e.g. `pool[0] "shop"`. @default none
   */
  label?: string;
}

/** {@linkcode DnsProvider} that routes each name to its zone's provider. */
export class ZoneRouter implements DnsProvider {
  readonly #zones: ZoneProvider[];
  #onRequest?: (kind: ApiCallKind) => void;
  #onRateLimit?: (state: RateLimitState) => void;

  /** @param zones one provider per zone (names distinct) */
  constructor(zones: readonly ZoneProvider[]) {
    this.#zones = zones.map((z) => ({
      zone: z.zone.toLowerCase().replace(/\.$/, ""),
      provider: z.provider,
      ...(z.label ? { label: z.label } : {}),
    }));
  }

  /** @inheritdoc */
  get onRequest(): ((kind: ApiCallKind) => void) | undefined {
    return this.#onRequest;
  }

  set onRequest(f: ((kind: ApiCallKind) => void) | undefined) {
    this.#onRequest = f;
    for (const z of this.#zones) z.provider.onRequest = f;
  }

  /** @inheritdoc */
  get onRateLimit(): ((state: RateLimitState) => void) | undefined {
    return this.#onRateLimit;
  }

  set onRateLimit(f: ((state: RateLimitState) => void) | undefined) {
    this.#onRateLimit = f;
    for (const z of this.#zones) z.provider.onRateLimit = f;
  }

  /**
   * @param name a fully qualified name
   * @returns the index of the zone `name` is in
   * @throws {DnsProviderError} kind "config" when it is in none
   */
  #zoneOf(name: string): number {
    const n = name.toLowerCase().replace(/\.$/, "");
    let best = -1;
    this.#zones.forEach((z, i) => {
      const inZone = n === z.zone || n.endsWith(`.${z.zone}`);
      if (
        inZone && (best < 0 || z.zone.length > this.#zones[best]!.zone.length)
      ) {
        best = i;
      }
    });
    if (best < 0) {
      throw new DnsProviderError(
        "config",
        `"${name}" is in none of the zones ${
          this.#zones.map((z) => z.zone).join(", ")
        }`,
      );
    }
    return best;
  }

  /** Lists each zone's names with its provider; fails if any zone fails. */
  async list(names: readonly string[]): Promise<Map<string, DnsRecord[]>> {
    const byZone = new Map<number, string[]>();
    for (const name of names) {
      const i = this.#zoneOf(name);
      byZone.set(i, [...byZone.get(i) ?? [], name]);
    }
    const out = new Map<string, DnsRecord[]>(names.map((n) => [n, []]));
    for (const [i, subset] of byZone) {
      const z = this.#zones[i]!;
      const listed = await z.provider.list(subset).catch((e: unknown) => {
        throw z.label && e instanceof DnsProviderError ? labelled(e, z) : e;
      });
      for (const name of subset) out.set(name, listed.get(name) ?? []);
    }
    return out;
  }

  /**
   * Applies each zone's changes with its provider, zone by zone in the
   * order of their first change; one outcome per change, in input order
   * (a change of a name in no zone fails, kind "config").
   */
  async apply(
    changes: readonly Change[],
    options: ApplyOptions = {},
  ): Promise<ApplyResult> {
    const byZone = new Map<number, number[]>();
    const outcomes: ChangeOutcome[] = new Array(changes.length);
    changes.forEach((c, k) => {
      try {
        const i = this.#zoneOf(c.record.name);
        byZone.set(i, [...byZone.get(i) ?? [], k]);
      } catch (e) {
        // Never thrown for a name of the config: each pool's zone is here.
        outcomes[k] = {
          change: c,
          result: "failed",
          error: e as DnsProviderError,
        };
      }
    });
    let requests = 0;
    let first = true;
    // The API's limit is per user, and a refused token blocks every write
    // anyway (the reconciler stops on it): after either, later zones are
    // not sent to.
    let stop: DnsProviderError | null = null;
    for (const [i, at] of byZone) {
      if (!stop && !first && options.mayContinue && !options.mayContinue()) {
        stop = notContinued();
      }
      if (stop) {
        for (const k of at) {
          outcomes[k] = { change: changes[k]!, result: "failed", error: stop };
        }
        continue;
      }
      first = false;
      const r = await this.#zones[i]!.provider.apply(
        at.map((k) => changes[k]!),
        options,
      );
      requests += r.requests;
      r.outcomes.forEach((o, j) => (outcomes[at[j]!] = o));
      for (const o of r.outcomes) {
        if (
          o.result === "failed" &&
          (o.error.kind === "rate_limited" || o.error.kind === "auth")
        ) {
          stop = o.error;
          break;
        }
      }
    }
    return { outcomes, requests };
  }
}

/** @returns `e` with the zone and who uses it in front of its message */
function labelled(e: DnsProviderError, z: ZoneProvider): DnsProviderError {
  return new DnsProviderError(
    e.kind,
    `zone "${z.zone}" of ${z.label}: ${e.message}`,
    {
      ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
      ...(e.status !== undefined ? { status: e.status } : {}),
      codes: e.codes,
      ...(e.hint !== undefined ? { hint: e.hint } : {}),
      cause: e,
    },
  );
}
