/**
 * Signal handling of `goavail monitor`, registered before anything else so
 * no signal finds the process without a handler: SIGTERM/SIGINT stop (a
 * second one, not a copy of the first, exits at once), SIGHUP reloads — or
 * is ignored while starting (the config is being read anyway) and while
 * stopping (its default action would kill the process before the state is
 * flushed). SIGXFSZ is ignored (see {@linkcode ignoreFileSizeSignal}).
 * @module
 */
import type { Logger } from "../observe/log.ts";

/** Copies of one Ctrl-C (`deno task` forwards it too) arrive within this. */
const SAME_SIGNAL_MS = 500;

/** The monitor's signal listeners. */
export class Signals {
  /** Resolves on the first SIGTERM/SIGINT. */
  readonly stopped: Promise<void>;
  #log: () => Logger;
  #reload: (() => Promise<unknown>) | null = null;
  #stoppingAt: number | null = null;
  #resolve: () => void;
  readonly #onStop = () => this.#stop();
  readonly #onHup = () => this.#hup();

  /** @param log returns the logger in force (it changes once the config is read) */
  constructor(log: () => Logger) {
    this.#log = log;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.stopped = promise;
    this.#resolve = resolve;
    Deno.addSignalListener("SIGTERM", this.#onStop);
    Deno.addSignalListener("SIGINT", this.#onStop);
    Deno.addSignalListener("SIGHUP", this.#onHup);
    ignoreFileSizeSignal();
  }

  /** From now on SIGHUP runs `reload`. */
  onReload(reload: () => Promise<unknown>): void {
    this.#reload = reload;
  }

  #stop(): void {
    const now = Date.now();
    if (this.#stoppingAt !== null && now - this.#stoppingAt < SAME_SIGNAL_MS) {
      return;
    }
    if (this.#stoppingAt !== null) {
      this.#log().warn("second stop signal: exiting now");
      Deno.exit(1);
    }
    this.#stoppingAt = now;
    this.#log().info("stopping");
    this.#resolve();
  }

  #hup(): void {
    if (this.#stoppingAt !== null) {
      return this.#log().info("SIGHUP ignored: stopping");
    }
    if (!this.#reload) {
      return this.#log().info("SIGHUP ignored: still starting");
    }
    this.#log().info("SIGHUP: reloading config");
    this.#reload().catch((e) =>
      this.#log().error("reload failed", { error: e })
    );
  }
}

let fileSizeSignalIgnored = false;

/**
 * Handles SIGXFSZ by doing nothing, once per process. Its default action
 * kills the process when a write passes the file-size limit (`ulimit -f`,
 * systemd's `LimitFSIZE=`); handled, the write fails with EFBIG instead,
 * and the state store reports it and sends no delete.
 */
export function ignoreFileSizeSignal(): void {
  if (fileSizeSignalIgnored) return;
  fileSizeSignalIgnored = true;
  Deno.addSignalListener("SIGXFSZ", () => {});
}
