/**
 * The `check-config` summary of a resolved config.
 * @module
 */
import type { Config, DnsProviderName, PoolConfig } from "./types.ts";

const PROVIDER_NAMES: Record<DnsProviderName, string> = {
  cloudflare: "Cloudflare",
  route53: "Route 53",
};

/**
 * @param config a resolved config
 * @param file where it came from
 * @returns the lines `goavail check-config` prints for a valid file
 */
export function summarize(config: Config, file: string): string[] {
  const cf = config.cloudflare;
  const m = config.members;
  const names = cf.hostnames.map((
    h,
  ) => (h === "@" ? cf.dnsDomain : `${h}.${cf.dnsDomain}`));
  const cluster = m.localAddr && m.peers.length
    ? `${
      m.peers.length + 1
    } agents (this one ${m.localAddr}); an IP is removed when ` +
      `${m.minPeersAgree + 1} of them see it down; heartbeats ${
        m.cryptoKeys.length ? "encrypted" : "NOT encrypted (insecure_plaintext)"
      }`
    : "single node (no peers)";
  const probe = config.probeType === "tcp" ? `tcp port ${config.port}` : "icmp";
  const timeout = config.probeTimeoutAdaptive && config.probeType === "icmp"
    ? `timeout adaptive (RTO in [0.05, ${config.interval}] s)`
    : `timeout ${config.probeTimeout} s`;
  const ips = [...new Set(config.pools.flatMap((p) => p.ipAddresses))];
  const allNames = config.pools.flatMap((p) =>
    p.hostnames.map((h) => qualify(h, p.dnsDomain))
  );
  const pooled = config.pools.some((p) => /^pool\[/i.test(p.path));
  return [
    `${file}: OK`,
    `  targets:    ${ips.length} (${ips.join(", ")})`,
    ...(pooled ? config.pools.map(poolLine) : []),
    `  probing:    ${probe} every ${config.interval} s, ${timeout}; down after ${config.failureThreshold} misses, ` +
    `up after ${config.recoveryThreshold} replies`,
    `  hostnames:  ${
      (pooled ? allNames : names).join(", ")
    } (zone ${cf.dnsDomain})`,
    `  cluster:    ${cluster}`,
    `  guards:     keep >= ${config.minRecords} record(s), remove <= ${
      config.maxRemovalsFraction * 100
    }% of a hostname's IPs`,
    `  dns:        ${
      config.dryRun
        ? "dry-run (logs changes, makes none)"
        : `LIVE: changes ${PROVIDER_NAMES[config.dnsProvider]} DNS`
    }`,
    `  state:      ${config.stateDir}`,
    `  status:     ${
      config.status.listen ? `http://${config.status.listen}/` : "disabled"
    }`,
    `  logs:       ${config.logLevel}, ${
      config.summaryInterval === 0
        ? "no summary"
        : `a summary every ${config.summaryInterval} s`
    }`,
  ];
}

function qualify(h: string, zone: string): string {
  return h === "@" ? zone : h.endsWith(`.${zone}`) ? h : `${h}.${zone}`;
}

/** @returns e.g. `  pool web:   www.example.com ← 203.0.113.11; https :443/healthz (host www.example.com) every 1 s` */
function poolLine(p: PoolConfig): string {
  const c = p.check;
  const check = c.type === "icmp"
    ? "icmp"
    : c.type === "tcp"
    ? `tcp port ${c.port}`
    : `${c.type} port ${c.port} ${c.path} (host ${c.host}${
      c.expectStatus ? `, status ${c.expectStatus.join("/")}` : ""
    }${
      c.expectBody !== null ? `, body has ${JSON.stringify(c.expectBody)}` : ""
    }${c.type === "https" && !c.tlsVerify ? ", TLS not verified" : ""})`;
  const backups = p.backupIps.length
    ? ` (backups ${p.backupIps.join(", ")})`
    : "";
  return `  pool ${p.name}: ${
    p.hostnames.map((h) => qualify(h, p.dnsDomain)).join(", ")
  } <- ${
    p.ipAddresses.join(", ")
  }${backups}; ${check} every ${p.interval} s, down after ${p.failureThreshold}, up after ${p.recoveryThreshold}, keep >= ${p.minRecords}`;
}
