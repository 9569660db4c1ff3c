/**
 * A namespace lab for Route 53: targets (192.0.2.1…), agent hosts
 * (192.0.2.11…) and an "api" host (192.0.2.250) running the fake Route 53
 * API, on one bridge. Agents run `monitor --dns-provider route53
 * --no-dry-run` on the config the test gives, the AWS SDK pointed at the
 * fake only through the SDK's own `AWS_ENDPOINT_URL_ROUTE_53`, with canary
 * credentials in the environment.
 * @module
 */
import { Lab } from "./netns.ts";
import { pumpLines } from "./lab_api.ts";
import type {
  FakeRecordSet,
  FakeZone,
  Route53AuditEntry,
} from "./fake_route53.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const API_IP = "192.0.2.250";
/** The fake's port (distinct from the Cloudflare lab's 8443). */
const API_PORT = 8453;
/** The lab's hosted zone id. */
export const LAB_ZONE_ID = "Z0R53LAB";
/** Canary credentials: never in a log line. */
export const LAB_SECRET = "r53LabCanarySecretKey/DO+NOT+LOG";
export const LAB_SESSION = "r53LabCanarySessionTokenDONOTLOG";

/** Targets, an agent and the fake Route 53 in namespaces. */
export class Route53Lab {
  readonly lab: Lab;
  readonly dir: string;
  readonly targets: number;
  /** Each agent's log lines (JSON), by index. */
  readonly logs: string[][] = [];
  readonly #agents: (Deno.ChildProcess | null)[] = [];

  private constructor(lab: Lab, dir: string, targets: number) {
    this.lab = lab;
    this.dir = dir;
    this.targets = targets;
  }

  /**
   * Builds the lab and starts the fake with `sets` in example.com.
   * @param targets how many target hosts
   * @param sets the zone's record sets
   * @param agents how many agent hosts
   * @returns the lab; call `destroy()` in `finally`
   */
  static async create(
    targets: number,
    sets: FakeRecordSet[],
    agents = 1,
  ): Promise<Route53Lab> {
    const lab = await Lab.create({
      hosts: [
        { name: "api", addresses: [`${API_IP}/24`] },
        ...[...Array(targets).keys()].map((i) => ({
          name: `t${i}`,
          addresses: [`192.0.2.${i + 1}/24`],
        })),
        ...[...Array(agents).keys()].map((i) => ({
          name: `a${i}`,
          addresses: [`192.0.2.${i + 11}/24`],
        })),
      ],
    });
    const dir = await Deno.makeTempDir({ prefix: "goavail-r53-lab-" });
    const self = new Route53Lab(lab, dir, targets);
    try {
      await self.#startApi(sets);
    } catch (e) {
      await self.destroy();
      throw e;
    }
    return self;
  }

  async #startApi(sets: FakeRecordSet[]): Promise<void> {
    const setup = `${this.dir}/api.json`;
    await Deno.writeTextFile(
      setup,
      JSON.stringify({
        hostname: API_IP,
        port: API_PORT,
        zones: [{ id: LAB_ZONE_ID, name: "example.com", sets }],
      }),
    );
    const child = this.lab.spawn("api", [
      Deno.execPath(),
      "run",
      "--allow-all",
      `${ROOT}tests/support/fake_route53.ts`,
      setup,
    ], { stdout: "piped", stderr: "null" });
    const lines: string[] = [];
    pumpLines(child.stdout, lines);
    for (let i = 0; i < 150 && lines.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    if (lines.length === 0) throw new Error("the fake Route 53 is silent");
  }

  /** @returns target `i`'s IP */
  targetIp(i: number): string {
    return `192.0.2.${i + 1}`;
  }

  /** @returns agent `i`'s IP */
  agentIp(i: number): string {
    return `192.0.2.${i + 11}`;
  }

  /**
   * Starts agent `i` on `toml` (written to the lab's directory).
   * @param toml the config
   * @param i the agent @default 0
   */
  async startAgent(toml: string, i = 0): Promise<void> {
    const path = `${this.dir}/a${i}.toml`;
    await Deno.writeTextFile(path, toml);
    await Deno.chmod(path, 0o600);
    const child = this.lab.spawn(`a${i}`, [
      "env",
      "NO_COLOR=1",
      "AWS_ACCESS_KEY_ID=AKIDFAKE",
      `AWS_SECRET_ACCESS_KEY=${LAB_SECRET}`,
      `AWS_SESSION_TOKEN=${LAB_SESSION}`,
      `AWS_ENDPOINT_URL_ROUTE_53=http://${API_IP}:${API_PORT}`,
      `AWS_CONFIG_FILE=${this.dir}/no-aws-config`,
      `AWS_SHARED_CREDENTIALS_FILE=${this.dir}/no-aws-credentials`,
      Deno.execPath(),
      "run",
      "--allow-all",
      `${ROOT}main.ts`,
      "monitor",
      "-f",
      path,
      "--dns-provider",
      "route53",
      "--no-dry-run",
      "--log-format",
      "json",
    ], { stdout: "null", stderr: "piped" });
    this.#agents[i] = child;
    this.logs[i] = [];
    pumpLines(child.stderr, this.logs[i]!);
  }

  /** Kills agent `i` at once (SIGKILL), as a lost host. */
  async killAgent(i: number): Promise<void> {
    const child = this.#agents[i];
    if (!child) return;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    this.#agents[i] = null;
  }

  /** @returns every agent's log lines */
  allLogs(): string[] {
    return this.logs.flat();
  }

  /** Takes target `i` off the network. */
  targetDown(i: number): Promise<void> {
    return this.lab.linkDown(`t${i}`);
  }

  /** Puts target `i` back. */
  targetUp(i: number): Promise<void> {
    return this.lab.linkUp(`t${i}`);
  }

  async #curl(path: string): Promise<string> {
    const r = await this.lab.exec("api", [
      "curl",
      "-s",
      "-m",
      "2",
      `http://${API_IP}:${API_PORT}${path}`,
    ]);
    if (r.code !== 0) throw new Error(`curl ${path} failed: ${r.stderr}`);
    return r.stdout;
  }

  /** @returns the zone as the fake holds it */
  async zone(): Promise<FakeZone> {
    const zones = JSON.parse(await this.#curl("/__state")) as FakeZone[];
    return zones.find((z) => z.id === LAB_ZONE_ID)!;
  }

  /** @returns the set of `name` and `type`, if any */
  async set(name: string, type = "A"): Promise<FakeRecordSet | undefined> {
    return (await this.zone()).sets.find((s) =>
      s.Name === `${name}.` && s.Type === type
    );
  }

  /** @returns the fake's audit log and the sets that ever disappeared */
  async audit(): Promise<{ audit: Route53AuditEntry[]; emptied: string[] }> {
    return JSON.parse(await this.#curl("/__audit"));
  }

  /** @returns agent `i`'s /status document, or null when it does not answer */
  async status(i = 0): Promise<Record<string, unknown> | null> {
    const r = await this.lab.exec(`a${i}`, [
      "curl",
      "-s",
      "-m",
      "2",
      "http://127.0.0.1:8000/status",
    ]);
    return r.code === 0 && r.stdout.startsWith("{")
      ? JSON.parse(r.stdout)
      : null;
  }

  /** Polls `check` every 200 ms for at most `ms`. */
  async waitFor(
    check: () => Promise<boolean> | boolean,
    what: string,
    ms = 20_000,
  ): Promise<void> {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) {
        throw new Error(
          `timed out waiting for ${what}\n${
            this.allLogs().slice(-20).join("\n")
          }`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Stops everything and removes the namespaces and files. */
  async destroy(): Promise<void> {
    await this.lab.destroy();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}
