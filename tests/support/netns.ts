/**
 * A network-namespace lab for root-only end-to-end tests.
 *
 * `Lab.create()` builds one "switch" namespace holding a bridge, and one
 * namespace per host, each wired to the bridge by a veth pair whose host end
 * is `eth0`. Hosts get their addresses (IPv6 with `nodad`, so they are usable
 * at once), loopback up, and optional routes and sysctls. Nothing touches the
 * root namespace's links, addresses or routes.
 *
 * ```ts
 * const lab = await Lab.create({
 *   hosts: [
 *     { name: "agent", addresses: ["192.0.2.1/24", "2001:db8::1/64"] },
 *     { name: "target", addresses: ["192.0.2.2/24", "2001:db8::2/64"] },
 *   ],
 * });
 * try {
 *   const child = lab.spawn("agent", [Deno.execPath(), "run", "-A", "x.ts"]);
 *   await lab.linkDown("target");
 * } finally {
 *   await lab.destroy(); // kills spawned children, deletes the namespaces
 * }
 * ```
 * Namespaces are named `gap-<random>-<host>`; a crashed run leaves them behind
 * (`ip netns list | grep ^gap-` shows them).
 * @module
 */

import {
  type ExecResult,
  labAvailable,
  labTest,
  must,
  run,
} from "./lab_exec.ts";

export { type ExecResult, labAvailable, labTest, run };

/** One host (network namespace) of a lab. */
export interface HostSpec {
  /** Short name, `[a-z0-9]{1,12}`; the namespace is `gap-<id>-<name>`. */
  name: string;
  /** Addresses with prefix length on `eth0`, IPv4 or IPv6. @default [] */
  addresses?: string[];
  /** Extra `ip route` argument lists, e.g. `["add", "unreachable", "203.0.113.0/24"]`. */
  routes?: string[][];
  /** Extra sysctls set inside the namespace, e.g. `{ "net.ipv4.icmp_ratelimit": "0" }`. */
  sysctls?: Record<string, string>;
}

/** Options of {@linkcode Lab.create}. */
export interface LabOptions {
  /** The hosts, each on the lab's bridge. */
  hosts: HostSpec[];
}

/** A set of namespaces on one bridge; see the module doc. */
export class Lab {
  /** Random id shared by this lab's namespaces. */
  readonly id: string;
  #hosts = new Map<string, number>();
  #namespaces: string[] = [];
  #children = new Set<Deno.ChildProcess>();
  #destroyed = false;

  private constructor(id: string) {
    this.id = id;
  }

  /**
   * Builds the lab. On any failure, what was made is removed again.
   * @param options the hosts
   * @returns the ready lab (call `destroy()` in `finally`)
   */
  static async create(options: LabOptions): Promise<Lab> {
    const id = crypto.randomUUID().slice(0, 6);
    const lab = new Lab(id);
    try {
      await lab.#makeSwitch();
      for (const host of options.hosts) await lab.#addHost(host);
    } catch (e) {
      await lab.destroy();
      throw e;
    }
    return lab;
  }

  /** @returns the switch namespace's name. */
  get switchNs(): string {
    return `gap-${this.id}-sw`;
  }

  /**
   * @param host a host name
   * @returns its namespace name
   * @throws Error for an unknown host
   */
  ns(host: string): string {
    if (!this.#hosts.has(host)) throw new Error(`no host "${host}" in lab`);
    return `gap-${this.id}-${host}`;
  }

  async #netns(name: string): Promise<void> {
    await must(["ip", "netns", "add", name]);
    this.#namespaces.push(name);
    await must(["ip", "-n", name, "link", "set", "lo", "up"]);
  }

  async #makeSwitch(): Promise<void> {
    const sw = this.switchNs;
    await this.#netns(sw);
    await must(["ip", "-n", sw, "link", "add", "br0", "type", "bridge"]);
    await must(["ip", "-n", sw, "link", "set", "br0", "up"]);
  }

  async #addHost(spec: HostSpec): Promise<void> {
    if (!/^[a-z0-9]{1,12}$/.test(spec.name) || this.#hosts.has(spec.name)) {
      throw new Error(`bad or duplicate host name "${spec.name}"`);
    }
    const index = this.#hosts.size;
    this.#hosts.set(spec.name, index);
    const ns = this.ns(spec.name);
    const sw = this.switchNs;
    await this.#netns(ns);
    const sysctls = {
      "net.ipv6.conf.all.accept_dad": "0",
      "net.ipv6.conf.default.accept_dad": "0",
      ...spec.sysctls,
    };
    for (const [k, v] of Object.entries(sysctls)) {
      await this.sysctl(spec.name, k, v);
    }
    const port = `p${index}`;
    await must([
      "ip",
      "-n",
      sw,
      "link",
      "add",
      port,
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      ns,
    ]);
    await must(["ip", "-n", sw, "link", "set", port, "master", "br0", "up"]);
    await must(["ip", "-n", ns, "link", "set", "eth0", "up"]);
    await this.addAddresses(spec.name, spec.addresses ?? []);
    for (const r of spec.routes ?? []) {
      await this.ip(spec.name, ["route", ...r]);
    }
  }

  /**
   * Runs `ip -n <ns> <args>` and throws on failure.
   * @param host host name
   * @param args arguments after `ip -n NS`, e.g. `["-6", "route", "add", ...]`
   * @returns stdout
   */
  ip(host: string, args: string[]): Promise<string> {
    const family = args[0] === "-6" || args[0] === "-4" ? [args[0]] : [];
    const rest = family.length ? args.slice(1) : args;
    return must(["ip", ...family, "-n", this.ns(host), ...rest]);
  }

  /**
   * Sets a sysctl inside a host's namespace.
   * @param host host name
   * @param key e.g. "net.ipv4.icmp_ratelimit"
   * @param value e.g. "0"
   */
  async sysctl(host: string, key: string, value: string): Promise<void> {
    await this.exec(host, ["sysctl", "-q", "-w", `${key}=${value}`], {
      check: true,
    });
  }

  /**
   * Adds one address to a host's `eth0` (IPv6 without DAD).
   * @param host host name
   * @param cidr e.g. "192.0.2.7/24" or "2001:db8::7/64"
   */
  addAddress(host: string, cidr: string): Promise<void> {
    return this.addAddresses(host, [cidr]);
  }

  /**
   * Adds many addresses at once through `ip -batch` (fast for thousands).
   * @param host host name
   * @param cidrs addresses with prefix length
   * @param dev interface. @default "eth0"
   */
  async addAddresses(
    host: string,
    cidrs: string[],
    dev = "eth0",
  ): Promise<void> {
    if (cidrs.length === 0) return;
    const lines = cidrs.map((c) =>
      c.includes(":")
        ? `addr add ${c} dev ${dev} nodad`
        : `addr add ${c} dev ${dev}`
    );
    await must(
      ["ip", "-n", this.ns(host), "-batch", "-"],
      lines.join("\n") + "\n",
    );
  }

  /**
   * Takes a host's `eth0` down: it stops answering, and its neighbours see
   * silence (no error), like a dead machine.
   * @param host host name
   */
  async linkDown(host: string): Promise<void> {
    await this.ip(host, ["link", "set", "eth0", "down"]);
  }

  /**
   * Brings a host's `eth0` back up (its addresses are kept, IPv6 re-added
   * by the caller if the kernel dropped them).
   * @param host host name
   */
  async linkUp(host: string): Promise<void> {
    await this.ip(host, ["link", "set", "eth0", "up"]);
  }

  /**
   * Runs a command inside a host's namespace and waits for it.
   * @param host host name
   * @param cmd argv
   * @param opts `input` for stdin; `check` to throw on a non-zero exit
   * @returns exit code and output
   */
  async exec(
    host: string,
    cmd: string[],
    opts: { input?: string; check?: boolean } = {},
  ): Promise<ExecResult> {
    const full = ["ip", "netns", "exec", this.ns(host), ...cmd];
    if (opts.check) {
      const stdout = await must(full, opts.input);
      return { code: 0, stdout, stderr: "" };
    }
    return await run(full, opts.input);
  }

  /**
   * Starts a long-running command inside a host's namespace. The lab kills it
   * on `destroy()` if it is still running; the caller should still consume or
   * cancel its piped streams.
   * @param host host name
   * @param cmd argv (`ip netns exec` execs it, so `pid` is the command's)
   * @param opts stdio modes. @default stdin "null", stdout/stderr "piped"
   * @returns the child process
   */
  spawn(
    host: string,
    cmd: string[],
    opts: {
      stdin?: "piped" | "null";
      stdout?: "piped" | "null" | "inherit";
      stderr?: "piped" | "null" | "inherit";
    } = {},
  ): Deno.ChildProcess {
    const child = new Deno.Command("ip", {
      args: ["netns", "exec", this.ns(host), ...cmd],
      stdin: opts.stdin ?? "null",
      stdout: opts.stdout ?? "piped",
      stderr: opts.stderr ?? "piped",
    }).spawn();
    this.#children.add(child);
    child.status.finally(() => this.#children.delete(child));
    return child;
  }

  /**
   * Kills children still running and deletes every namespace (links go with
   * them). Safe to call twice and after a failed `create()`.
   */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const child of [...this.#children]) {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status.catch(() => {});
      for (const stream of ["stdout", "stderr"] as const) {
        try {
          const s = child[stream];
          if (!s.locked) await s.cancel();
        } catch { /* not piped */ }
      }
    }
    for (const ns of this.#namespaces.reverse()) {
      await run(["ip", "netns", "del", ns]);
    }
    this.#namespaces = [];
  }
}
