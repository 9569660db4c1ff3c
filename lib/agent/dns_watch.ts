/**
 * A `DnsProvider` wrapper that remembers what it saw and did, for `/status`,
 * metrics and notifications: which managed IPs are published under each name,
 * and the last DNS actions. It changes nothing about the calls.
 * @module
 */
import type {
  ApiCallKind,
  ApplyOptions,
  ApplyResult,
  Change,
  DnsProvider,
  DnsRecord,
  RateLimitState,
} from "../dns/provider.ts";

/** One applied (or, in dry-run, intended) change. */
export interface WatchedAction {
  at: number;
  action: "remove" | "restore";
  hostname: string;
  type: string;
  ip: string;
  result: string;
}

/** Wraps a provider and keeps a bounded log of its effects. */
export class WatchedProvider implements DnsProvider {
  #inner: DnsProvider;
  #now: () => number;
  #published = new Map<string, Set<string>>();
  #actions: WatchedAction[] = [];
  /** Called for each finished change (set by the agent). */
  onAction: (a: WatchedAction) => void;
  /** Called for each API request of the wrapped provider (set by the agent). */
  onRequest: (kind: ApiCallKind) => void = () => {};
  /** Called with each rate-limit header reading (set by the agent). */
  onRateLimit: (state: RateLimitState) => void = () => {};
  #limit: number;

  /**
   * @param inner the real provider
   * @param options `now` (wall ms), `onAction` for each finished change,
   *   `limit` of actions kept (default 50)
   */
  constructor(
    inner: DnsProvider,
    options: {
      now: () => number;
      onAction?: (a: WatchedAction) => void;
      limit?: number;
    },
  ) {
    this.#inner = inner;
    this.#hook(inner);
    this.#now = options.now;
    this.onAction = options.onAction ?? (() => {});
    this.#limit = options.limit ?? 50;
  }

  /** Swaps the wrapped provider (reload), keeping what was seen. */
  setInner(inner: DnsProvider): void {
    this.#inner.onRequest = undefined;
    this.#inner.onRateLimit = undefined;
    this.#hook(inner);
    this.#inner = inner;
  }

  #hook(inner: DnsProvider): void {
    inner.onRequest = (k) => this.onRequest(k);
    inner.onRateLimit = (s) => this.onRateLimit(s);
  }

  /** Whether the wrapped provider only pretends. */
  get dryRun(): boolean {
    return this.#inner.dryRun === true;
  }

  /** Reads through, remembering which IPs each name publishes. */
  async list(names: readonly string[]): Promise<Map<string, DnsRecord[]>> {
    const result = await this.#inner.list(names);
    for (const [name, records] of result) {
      this.#published.set(name, new Set(records.map((r) => r.content)));
    }
    return result;
  }

  /** Applies through, logging each outcome. */
  async apply(
    changes: readonly Change[],
    options?: ApplyOptions,
  ): Promise<ApplyResult> {
    const result = await this.#inner.apply(changes, options);
    for (const outcome of result.outcomes) {
      const r = outcome.change.record;
      const removing = outcome.change.kind === "delete";
      const failed = outcome.result === "failed";
      if (!failed) {
        const set = this.#published.get(r.name) ?? new Set();
        if (removing) set.delete(r.content);
        else set.add(r.content);
        this.#published.set(r.name, set);
      }
      const action: WatchedAction = {
        at: this.#now(),
        action: removing ? "remove" : "restore",
        hostname: r.name,
        type: r.type,
        ip: r.content,
        result: failed
          ? `error: ${outcome.error.kind}`
          : this.dryRun
          ? "dry-run"
          : outcome.result === "already"
          ? "already"
          : "ok",
      };
      this.#actions.unshift(action);
      this.#actions.length = Math.min(this.#actions.length, this.#limit);
      this.onAction(action);
    }
    return result;
  }

  /**
   * @param ip the IP
   * @param names only these names (fully qualified); @default every name
   * @returns whether `ip` is published under one of the names, or null
   *   before the first read (of one of `names`)
   */
  inDns(ip: string, names?: readonly string[]): boolean | null {
    if (this.#published.size === 0) return null;
    if (names) {
      const read = names.filter((n) => this.#published.has(n));
      if (read.length === 0) return null;
      return read.some((n) => this.#published.get(n)!.has(ip));
    }
    for (const set of this.#published.values()) if (set.has(ip)) return true;
    return false;
  }

  /** @returns the last actions, newest first. */
  actions(): WatchedAction[] {
    return [...this.#actions];
  }
}
