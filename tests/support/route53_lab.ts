/**
 * A namespace lab for Route 53: targets (192.0.2.1…), one agent host
 * (192.0.2.11) and an "api" host (192.0.2.250) running the fake Route 53
 * API, on one bridge. The agent runs the original goavail.toml layout
 * (`[Cloudflare]` and `[Route53]`) with `--dns-provider route53
 * --no-dry-run`, the AWS SDK pointed at the fake only through the SDK's own
 * `AWS_ENDPOINT_URL_ROUTE_53`, with canary credentials in the environment.
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
  logs: string[] = [];
  #agent: Deno.ChildProcess | null = null;

  private constructor(lab: Lab, dir: string, targets: number) {
    this.lab = lab;
    this.dir = dir;
    this.targets = targets;
  }

  /**
   * Builds the lab and starts the fake with `sets` in example.com.
   * @param targets how many target hosts
   * @param sets the zone's record sets
   * @returns the lab; call `destroy()` in `finally`
   */
  static async create(
    targets: number,
    sets: FakeRecordSet[],
  ): Promise<Route53Lab> {
    const lab = await Lab.create({
      hosts: [
        { name: "api", addresses: [`${API_IP}/24`] },
        ...[...Array(targets).keys()].map((i) => ({
          name: `t${i}`,
          addresses: [`192.0.2.${i + 1}/24`],
        })),
        { name: "a0", addresses: ["192.0.2.11/24"] },
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

  /**
   * Starts the agent on `toml` (written to the lab's directory).
   * @param toml the config
   */
  async startAgent(toml: string): Promise<void> {
    const path = `${this.dir}/goavail.toml`;
    await Deno.writeTextFile(path, toml);
    await Deno.chmod(path, 0o600);
    this.#agent = this.lab.spawn("a0", [
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
    pumpLines(this.#agent.stderr, this.logs);
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

  /** @returns whether the agent's /status answers */
  async agentUp(): Promise<boolean> {
    const r = await this.lab.exec("a0", [
      "curl",
      "-s",
      "-m",
      "2",
      "http://127.0.0.1:8000/status",
    ]);
    return r.code === 0 && r.stdout.startsWith("{");
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
          `timed out waiting for ${what}\n${this.logs.slice(-20).join("\n")}`,
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
