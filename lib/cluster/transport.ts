/**
 * How heartbeats leave this agent. The real transport POSTs the sealed
 * frame to `http://<peer>/v1/heartbeat`; tests pass a fake.
 * @module
 */

import { COMPACT_VIEW, VIEW_FORMATS_HEADER } from "./compact_view.ts";
import type { PeerAddr } from "./addr.ts";

/** Path peers serve heartbeats on. */
export const HEARTBEAT_PATH = "/v1/heartbeat";
/** Header carrying the sender node id (bound by the AAD). */
export const FROM_HEADER = "x-goavail-from";

/** Outcome of one send. */
export type SendOutcome =
  | { ok: true; status: number }
  | { ok: false; status: number | null; error: string };

/** Sends one sealed frame to one peer. */
export interface PeerTransport {
  /**
   * Delivers `frame`. Must settle promptly once `signal` aborts (timeout
   * or shutdown) and must not throw: failures are outcomes.
   * @param peer the destination
   * @param frame the sealed heartbeat
   * @param from this agent's node id, for the `x-goavail-from` header
   * @param signal aborts on timeout or stop
   */
  send(
    peer: PeerAddr,
    frame: Uint8Array,
    from: string,
    signal: AbortSignal,
  ): Promise<SendOutcome>;
  /** Releases connections; idempotent. */
  close(): void;
}

/** Options of {@linkcode HttpPeerTransport}. */
export interface HttpTransportOptions {
  /**
   * Local IP to send from, so peers see the address they expect
   * (`local_addr`'s host when it is an IP literal). @default the OS choice
   */
  localAddress?: string;
}

/** The real transport: `fetch` POST with the caller's abort signal. */
export class HttpPeerTransport implements PeerTransport {
  #client: Deno.HttpClient | undefined;

  /** @param options see {@linkcode HttpTransportOptions} */
  constructor(options: HttpTransportOptions = {}) {
    const local = options.localAddress;
    const bindable = local !== undefined && local !== "0.0.0.0" &&
      local !== "::";
    this.#client = Deno.createHttpClient(
      bindable ? { localAddress: local, http2: false } : { http2: false },
    );
  }

  /** POSTs `frame`; a 2xx is success. Never throws. */
  async send(
    peer: PeerAddr,
    frame: Uint8Array,
    from: string,
    signal: AbortSignal,
  ): Promise<SendOutcome> {
    const host = peer.host.includes(":") ? `[${peer.host}]` : peer.host;
    const url = `http://${host}:${peer.port}${HEARTBEAT_PATH}`;
    try {
      const res = await fetch(url, {
        method: "POST",
        body: frame as Uint8Array<ArrayBuffer>,
        headers: {
          "content-type": "application/octet-stream",
          [FROM_HEADER]: from,
          [VIEW_FORMATS_HEADER]: COMPACT_VIEW,
        },
        signal,
        client: this.#client,
      });
      await res.body?.cancel();
      if (res.ok) return { ok: true, status: res.status };
      return { ok: false, status: res.status, error: `HTTP ${res.status}` };
    } catch (e) {
      const error = signal.aborted
        ? "timeout"
        : e instanceof Error
        ? e.message
        : String(e);
      return { ok: false, status: null, error };
    }
  }

  /** Closes the HTTP client. */
  close(): void {
    this.#client?.close();
    this.#client = undefined;
  }
}
