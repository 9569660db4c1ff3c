/**
 * The fake Cloudflare API of an {@linkcode AgentLab}: started on the lab's
 * "api" host (192.0.2.250:8443) with one A record of www.example.com per
 * target, read and scripted with curl from inside that namespace.
 * @module
 */
import type { Lab } from "./netns.ts";
import type { AuditEntry, FakeZoneInput } from "./fake_cloudflare.ts";
import { type RecordIds, type WriteOp, writeOps } from "./lab_audit.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
/** The API host's IP on the lab bridge. */
export const API_IP = "192.0.2.250";
/** The API's port. */
export const API_PORT = 8443;
/** The token the fake accepts and the agents send. */
export const LAB_TOKEN = "lab-token-0123456789";
/** Id of the lab's active example.com zone. */
export const LAB_ZONE_ID = "ab000000000000000000000000000001";
const API = "/client/v4";

/** The fake API running in a lab. */
export class LabApi {
  readonly #lab: Lab;
  /** Every record id seen at the fake API, with its IP. */
  readonly recordIds: RecordIds = new Map();

  private constructor(lab: Lab) {
    this.#lab = lab;
  }

  /**
   * Starts the fake on the "api" host (the lab kills it on destroy).
   * @param lab the lab, with an "api" host at {@linkcode API_IP}
   * @param dir a scratch directory for the setup file
   * @param ips one A record of www.example.com per IP, each with its own
   *   ttl, proxied flag, comment and tags
   * @param zonesBefore zones listed before the active example.com
   */
  static async start(
    lab: Lab,
    dir: string,
    ips: string[],
    zonesBefore: FakeZoneInput[] = [],
    extraRecords: Record<string, unknown>[] = [],
  ): Promise<LabApi> {
    const setup = `${dir}/api.json`;
    await Deno.writeTextFile(
      setup,
      JSON.stringify({
        hostname: API_IP,
        port: API_PORT,
        token: LAB_TOKEN,
        zones: [...zonesBefore, {
          id: LAB_ZONE_ID,
          name: "example.com",
          records: ips.map((ip, i) => ({
            type: "A",
            name: "www.example.com",
            content: ip,
            ttl: 300 + i,
            proxied: i % 2 === 1,
            comment: `target ${i}`,
            tags: [`idx:${i}`],
          })).concat(extraRecords as never[]),
        }],
      }),
    );
    const child = lab.spawn("api", [
      Deno.execPath(),
      "run",
      "--allow-all",
      `${ROOT}tests/support/fake_cloudflare.ts`,
      setup,
    ], { stdout: "piped", stderr: "null" });
    const lines: string[] = [];
    pumpLines(child.stdout, lines);
    const end = Date.now() + 15_000;
    while (lines.length === 0) {
      if (Date.now() > end) {
        throw new Error("the fake Cloudflare API is silent");
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return new LabApi(lab);
  }

  /** @returns the fake API's audit log. */
  async audit(): Promise<{ audit: AuditEntry[]; emptied: string[] }> {
    return JSON.parse(await this.#curl("GET", "/__audit"));
  }

  /** @returns the write requests the fake API received. */
  async writes(): Promise<AuditEntry[]> {
    return (await this.audit()).audit.filter((a) =>
      a.method !== "GET" && a.path.startsWith(API)
    );
  }

  /**
   * @returns every write, one operation per record (a batch counts once
   *   per record it touches), IPs resolved through {@linkcode recordIds}
   */
  async writeOps(): Promise<WriteOp[]> {
    return writeOps(await this.writes(), this.recordIds);
  }

  /** @returns the API's GET requests (reads), oldest first. */
  async reads(): Promise<AuditEntry[]> {
    return (await this.audit()).audit.filter((a) =>
      a.method === "GET" && a.path.startsWith(API)
    );
  }

  /**
   * @returns full A records of www.example.com in the lab's zone (ids noted
   *   in `recordIds`)
   */
  async records(
    zoneId = LAB_ZONE_ID,
    name = "www.example.com",
  ): Promise<Record<string, unknown>[]> {
    const zones = JSON.parse(await this.#curl("GET", "/__state")) as {
      id: string;
      records: Record<string, unknown>[];
    }[];
    const records = zones.filter((z) => z.id === zoneId).flatMap((z) =>
      z.records
    ).filter((r) => r.name === name && r.type === "A");
    for (const r of records) {
      this.recordIds.set(String(r.id), String(r.content));
    }
    return records;
  }

  /** @returns the IPs published under www.example.com, sorted. */
  async published(): Promise<string[]> {
    return (await this.records()).map((r) => String(r.content)).sort();
  }

  /**
   * @returns the fewest A/AAAA records `name` had of `type` at any state the
   *   fake's edge passed through (each single change of a batch is a state)
   */
  async minRecordsSeen(name: string, type: string): Promise<number> {
    const { edge } = JSON.parse(await this.#curl("GET", "/__edge")) as {
      edge: { name: string; type: string }[][];
    };
    let min = Infinity;
    for (const state of edge) {
      const n = state.filter((r) => r.name === name && r.type === type).length;
      min = Math.min(min, n);
    }
    return min === Infinity ? 0 : min;
  }

  /** Scripts faults at the fake API (see `Fault` in fake_cloudflare.ts). */
  async faults(faults: unknown): Promise<void> {
    await this.#curl("POST", "/__faults", JSON.stringify(faults));
  }

  async #curl(method: string, path: string, body?: string): Promise<string> {
    const args = [
      "curl",
      "-s",
      "-m",
      "3",
      "-X",
      method,
      `http://${API_IP}:${API_PORT}${path}`,
    ];
    if (body) args.push("-H", "content-type: application/json", "--data", body);
    const r = await this.#lab.exec("api", args);
    if (r.code !== 0) throw new Error(`curl ${path} failed: ${r.stderr}`);
    return r.stdout;
  }
}

/**
 * Splits a byte stream into lines, appending each to `into` as it arrives.
 * @returns resolves when the stream ends or is cancelled
 */
export async function pumpLines(
  stream: ReadableStream<Uint8Array>,
  into: string[],
): Promise<void> {
  let rest = "";
  try {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      into.push(...parts);
    }
  } catch { /* stream cancelled */ }
  if (rest) into.push(rest);
}
