/**
 * Operator notifications: one message per DNS change, guard trigger and peer
 * loss, sent to a generic JSON webhook and/or a Slack incoming webhook.
 *
 * Sending never blocks or throws: `notify()` queues (bounded, oldest dropped
 * with a counted warning), one worker sends each message with a timeout, and
 * failures are logged by channel name and HTTP status only. Webhook URLs are
 * secrets (they carry tokens) and never reach a log line.
 * @module
 */

import type { Clock } from "./clock.ts";
import { systemClock } from "./clock.ts";
import type { Logger } from "./log.ts";

/** What happened. */
export type NotifyEventKind =
  | "record_removed"
  | "record_restored"
  | "dns_error"
  | "guard_triggered"
  | "guard_cleared"
  | "peer_lost"
  | "peer_recovered";

/** One notification, as the agent reports it. */
export interface NotifyEvent {
  event: NotifyEventKind;
  /** The IP concerned, if any. */
  ip?: string | null;
  /** The record name concerned, if any. */
  hostname?: string | null;
  /** One human sentence: what and why. */
  detail: string;
}

/** The JSON body POSTed to `webhook_url`. */
export interface WebhookBody {
  event: NotifyEventKind;
  ip: string | null;
  hostname: string | null;
  detail: string;
  /** ISO 8601 time the event was queued. */
  at: string;
  /** Node id of the sending agent. */
  node: string;
}

/** Encoding of Slack messages: a JSON body, or the original's `payload` form. */
export type SlackFormat = "json" | "form";

/** A notification channel name, as logs and metrics show it. */
export type Channel = "webhook" | "slack";

/** Options of {@linkcode Notifier}. */
export interface NotifierOptions {
  /** Generic JSON webhook URL. @default null */
  webhookUrl?: string | null;
  /** Slack incoming webhook URL. @default null */
  slackWebhookUrl?: string | null;
  /** How Slack messages are encoded (see {@linkcode slackRequest}). @default "json" */
  slackFormat?: SlackFormat;
  /** This agent's node id, sent with every message. */
  node: string;
  logger: Logger;
  /**
   * Stamps `at` and rate-limits the queue-full warning. Send timeouts and
   * the close() drain use real timers: they bound real network I/O, and a
   * manual clock must never make shutdown hang.
   * @default systemClock
   */
  clock?: Clock;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Per-send timeout, ms. @default 5000 */
  timeoutMs?: number;
  /** Queued messages kept before the oldest is dropped. @default 100 */
  queueLimit?: number;
  /** How long `close()` waits for the queue to drain, ms. @default 1000 */
  drainMs?: number;
  /** Called after each send attempt (e.g. a metrics counter). */
  onResult?: (channel: Channel, ok: boolean) => void;
  /** Called for each message dropped because the queue was full. */
  onDrop?: () => void;
}

const WARN_EVERY_MS = 60_000;

/** Sends notifications in the background; see the module docs. */
export class Notifier {
  #urls: Partial<Record<Channel, string>> = {};
  #slackFormat: SlackFormat = "json";
  #queue: WebhookBody[] = [];
  #worker: Promise<void> | null = null;
  #inflight = new Set<AbortController>();
  #closed = false;
  #dropped = 0;
  #droppedSinceWarn = 0;
  #lastDropWarn = -Infinity;
  readonly #o: NotifierOptions;
  readonly #log: Logger;
  readonly #clock: Clock;

  /** @param options URLs, node id, logger and limits */
  constructor(options: NotifierOptions) {
    this.#o = options;
    this.#log = options.logger.child("notify");
    this.#clock = options.clock ?? systemClock;
    this.reconfigure(options);
  }

  /** Replaces the URLs (on reload); queued messages go to the new ones. */
  reconfigure(
    urls: {
      webhookUrl?: string | null;
      slackWebhookUrl?: string | null;
      slackFormat?: SlackFormat;
    },
  ): void {
    this.#urls = {};
    this.#slackFormat = urls.slackFormat ?? "json";
    if (urls.webhookUrl) this.#urls.webhook = urls.webhookUrl;
    if (urls.slackWebhookUrl) this.#urls.slack = urls.slackWebhookUrl;
  }

  /** Whether any channel is configured. */
  get enabled(): boolean {
    return Object.keys(this.#urls).length > 0;
  }

  /** Messages dropped so far because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Messages queued or being sent. */
  get pending(): number {
    return this.#queue.length + (this.#worker ? 1 : 0);
  }

  /**
   * Queues one message for every configured channel. Returns at once; never
   * throws. Ignored when no channel is configured or after `close()`.
   */
  notify(event: NotifyEvent): void {
    if (this.#closed || !this.enabled) return;
    this.#queue.push({
      event: event.event,
      ip: event.ip ?? null,
      hostname: event.hostname ?? null,
      detail: event.detail,
      at: new Date(this.#clock.now()).toISOString(),
      node: this.#o.node,
    });
    if (this.#queue.length > (this.#o.queueLimit ?? 100)) this.#dropOldest();
    this.#worker ??= this.#drain().finally(() => this.#worker = null);
  }

  /**
   * Stops accepting messages, waits up to `drainMs` for the queue to empty,
   * then aborts what is still in flight and drops the rest.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    if (!worker) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const drained = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#o.drainMs ?? 1000);
    });
    await Promise.race([worker, drained]);
    clearTimeout(timer);
    const left = this.#queue.length + this.#inflight.size;
    this.#queue = [];
    for (const c of this.#inflight) c.abort();
    await worker;
    if (left > 0 || this.#droppedSinceWarn > 0) {
      this.#log.warn("Notifications abandoned at shutdown", {
        count: left,
        droppedTotal: this.#dropped,
      });
    }
  }

  #dropOldest(): void {
    this.#queue.shift();
    this.#dropped++;
    this.#droppedSinceWarn++;
    this.#o.onDrop?.();
    const now = this.#clock.now();
    if (now - this.#lastDropWarn >= WARN_EVERY_MS) {
      this.#log.warn("Notification queue full, dropped oldest", {
        dropped: this.#droppedSinceWarn,
        droppedTotal: this.#dropped,
      });
      this.#lastDropWarn = now;
      this.#droppedSinceWarn = 0;
    }
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const msg = this.#queue.shift()!;
      const sends = Object.entries(this.#urls).map(([ch, url]) =>
        this.#send(ch as Channel, url, msg)
      );
      await Promise.all(sends);
    }
  }

  async #send(channel: Channel, url: string, msg: WebhookBody): Promise<void> {
    const request = channel === "slack"
      ? slackRequest(slackText(msg), this.#slackFormat)
      : {
        headers: { "content-type": "application/json" },
        body: JSON.stringify(msg),
      };
    const ctrl = new AbortController();
    this.#inflight.add(ctrl);
    const timer = setTimeout(() => ctrl.abort(), this.#o.timeoutMs ?? 5000);
    try {
      const res = await (this.#o.fetch ?? fetch)(url, {
        method: "POST",
        ...request,
        signal: ctrl.signal,
      });
      await res.body?.cancel();
      this.#result(channel, res.ok, { status: res.status, event: msg.event });
    } catch (err) {
      const reason = ctrl.signal.aborted ? "timeout or shutdown" : kind(err);
      this.#result(channel, false, { error: reason, event: msg.event });
    } finally {
      clearTimeout(timer);
      this.#inflight.delete(ctrl);
    }
  }

  #result(channel: Channel, ok: boolean, fields: Record<string, unknown>) {
    this.#o.onResult?.(channel, ok);
    if (ok) this.#log.debug("Notification sent", { channel, ...fields });
    else this.#log.warn("Notification failed", { channel, ...fields });
  }
}

/** Error class name only: fetch messages include the URL, a secret. */
function kind(err: unknown): string {
  if (err instanceof TypeError) return "connection failed";
  return err instanceof Error ? err.name : "unknown error";
}

/**
 * The body of a Slack incoming-webhook POST. "json" sends `{"text": …}` as
 * `application/json` (Slack's documented form); "form" sends the same JSON in
 * a `payload` field of an `application/x-www-form-urlencoded` body, which
 * Slack also accepts and which the original goavail sent
 * (`http.PostForm(url, url.Values{"payload": …})` in bparli/goavail
 * notify/notify_slack.go).
 * @param text the message text
 * @param format the encoding
 * @returns headers and body for `fetch`
 */
export function slackRequest(
  text: string,
  format: SlackFormat,
): { headers: Record<string, string>; body: string } {
  const json = JSON.stringify({ text });
  return format === "form"
    ? {
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ payload: json }).toString(),
    }
    : { headers: { "content-type": "application/json" }, body: json };
}

/** Escapes Slack mrkdwn control characters (`&`, `<`, `>`). */
function slackEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Formats a message for Slack, e.g.
 * `[goavail 10.0.0.1:7947] record_removed www 192.0.2.1: 3 probes lost`.
 * @param m the message
 * @returns the Slack `text`
 */
export function slackText(m: WebhookBody): string {
  const subject = [m.event, m.hostname, m.ip].filter((x) => x).join(" ");
  return slackEscape(`[goavail ${m.node}] ${subject}: ${m.detail}`);
}
