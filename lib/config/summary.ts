/**
 * The `check-config` summary of a resolved config.
 * @module
 */
import type { Config, DnsProviderName } from "./types.ts";

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
  return [
    `${file}: OK`,
    `  targets:    ${cf.ipAddresses.length} (${cf.ipAddresses.join(", ")})`,
    `  probing:    ${probe} every ${config.interval} s, ${timeout}; down after ${config.failureThreshold} misses, ` +
    `up after ${config.recoveryThreshold} replies`,
    `  hostnames:  ${names.join(", ")} (zone ${cf.dnsDomain})`,
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
