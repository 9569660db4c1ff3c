/**
 * Drives tests/support/probe_runner.ts inside a lab host: spawns it, feeds
 * commands on stdin, collects its observations and summary.
 * @module
 */

import type { Observation } from "../../lib/probe/types.ts";
import type { Lab } from "./netns.ts";
import type { Summary } from "./probe_runner.ts";

const RUNNER = new URL("../support/probe_runner.ts", import.meta.url).pathname;

/** A probe_runner process inside a lab host, fed commands on stdin. */
export class Runner {
  /** Observations received so far. */
  readonly observations: Observation[] = [];
  /** The final summary, once the runner has stopped. */
  summary: Summary | null = null;
  /** Everything the runner wrote to stderr. */
  stderr = "";
  #child: Deno.ChildProcess;
  #reading: Promise<void>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;

  /**
   * @param lab the lab
   * @param host host to run in
   * @param args runner flags and targets (`--json` is added)
   * @param prefix argv before deno, e.g. `setpriv ...` to drop privileges
   * @param runner path of probe_runner.ts (a copy readable by another user)
   */
  constructor(
    lab: Lab,
    host: string,
    args: string[],
    prefix: string[] = [],
    runner: string = RUNNER,
  ) {
    this.#child = lab.spawn(
      host,
      [...prefix, Deno.execPath(), "run", "-A", runner, "--json", ...args],
      { stdin: "piped" },
    );
    this.#writer = this.#child.stdin.getWriter();
    this.#reading = Promise.all([this.#readStdout(), this.#readStderr()])
      .then(() => {});
  }

  async #readStdout(): Promise<void> {
    let buffer = "";
    const stream = this.#child.stdout.pipeThrough(new TextDecoderStream());
    for await (const chunk of stream) {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const msg = JSON.parse(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        if (msg.type === "observation") {
          const { type: _, ...o } = msg;
          this.observations.push(o);
        }
        if (msg.type === "summary") this.summary = msg;
      }
    }
  }

  async #readStderr(): Promise<void> {
    const stream = this.#child.stderr.pipeThrough(new TextDecoderStream());
    for await (const chunk of stream) this.stderr += chunk;
  }

  /** Sends one command line (`targets ...`, `stop`). */
  async send(line: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(line + "\n"));
  }

  /** Waits (bounded, ~15 s) until `pred` holds over the observations. */
  async waitFor(pred: (obs: Observation[]) => boolean): Promise<boolean> {
    for (let i = 0; i < 750; i++) {
      if (pred(this.observations)) return true;
      if (this.summary) return pred(this.observations);
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }

  /** Stops the runner and waits for its summary and exit. */
  async finish(): Promise<{ code: number; summary: Summary | null }> {
    await this.send("stop").catch(() => {});
    await this.#writer.close().catch(() => {});
    const status = await this.#child.status;
    await this.#reading;
    return { code: status.code, summary: this.summary };
  }
}
