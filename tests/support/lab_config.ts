/**
 * The goavail.toml of one {@linkcode AgentLab} agent.
 * @module
 */

/** The cluster key every lab agent is configured with. */
export const LAB_CRYPTO_KEY = "lab-crypto-key-0123456789abcdef";
/** Heartbeat port of every lab agent. */
export const PEER_PORT = 7947;

/** The lab settings a config depends on. */
export interface LabSettings {
  agents: number;
  interval: number;
  failureThreshold: number;
  minPeersAgree: number;
  heartbeatInterval: number;
  extraToml: string;
  reconcileInterval: number;
  /** TOML after every section (`[[pool]]` tables). */
  tailToml?: string;
}

/** Where one agent sits in the lab. */
export interface AgentPlace {
  /** This agent's index. */
  self: number;
  /** Node ids (`local_addr`) of every agent, by index. */
  agentIds: string[];
  targetIps: string[];
  stateDir: string;
  /** The fake API's base URL. */
  apiUrl: string;
}

/**
 * @param o lab settings
 * @param at the agent's place
 * @returns the TOML text: cluster section only with several agents,
 *   status server on 127.0.0.1:8000 inside the agent's namespace
 */
export function agentToml(o: LabSettings, at: AgentPlace): string {
  const self = at.agentIds[at.self];
  const peers = at.agentIds.filter((_, j) => j !== at.self).map((id) =>
    `"${id}"`
  );
  const members = o.agents > 1
    ? `[members]
peers = [${peers.join(", ")}]
local_addr = "${self}"
min_peers_agree = ${o.minPeersAgree}
crypto_key = "${LAB_CRYPTO_KEY}"
heartbeat_interval = ${o.heartbeatInterval}
`
    : "";
  return `failure_threshold = ${o.failureThreshold}
interval = ${o.interval}
state_dir = "${at.stateDir}"
${o.extraToml}
${members}
[cloudflare]
dns_domain = "example.com"
hostnames = ["www"]
ip_addresses = [${at.targetIps.map((ip) => `"${ip}"`).join(", ")}]
api_url = "${at.apiUrl}"
reconcile_interval = ${o.reconcileInterval}

[status]
listen = "127.0.0.1:8000"
${o.tailToml ?? ""}`;
}
