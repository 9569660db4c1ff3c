/**
 * SIGHUP reload: read and validate the whole file first; on any error keep
 * the old config untouched and log every error; on success apply the
 * difference without losing state (a withdrawn record the new config
 * leaves out keeps its snapshot, with a warning naming it). Reloads are serialized, and the changes
 * to shared state are made synchronously, so they never interleave with a
 * probe observation.
 * @module
 */
import { formatIssues } from "../config/load.ts";
import { secretsOf } from "../config/resolve.ts";
import type { Config, DnsProviderName, ProbeType } from "../config/types.ts";
import { dnsProviderProblem, withDnsProvider } from "../config/dns_pool.ts";
import { reconcilerSettings } from "../dns/reconciler.ts";
import type { Agent } from "./agent.ts";
import { providerShape } from "./dns_provider_for.ts";
import { storedVerdicts, thresholdsOf, timingOf } from "./config_view.ts";
import {
  snapshotOrigin,
  unmanagedRecords,
  warnUnmanaged,
  withdrawnRecords,
} from "./withdrawn.ts";

/** Applies config reloads to an agent, one at a time. */
export class Reloader {
  #agent: Agent;
  #chain: Promise<unknown> = Promise.resolve();

  /** @param agent the agent to reload */
  constructor(agent: Agent) {
    this.#agent = agent;
  }

  /**
   * Reloads the config file.
   * @returns whether the new config is now in force
   */
  reload(): Promise<boolean> {
    const next = this.#chain.then(() => this.#reload());
    this.#chain = next.catch(() => {});
    return next;
  }

  async #reload(): Promise<boolean> {
    const agent = this.#agent;
    const { deps } = agent;
    const log = agent.log;
    const loaded = await deps.loadConfig(deps.configPath);
    if (!loaded.ok) {
      agent.metrics.configReloads.inc({ result: "error" });
      log.error(
        `Reload rejected: "${deps.configPath}" has errors; the old config stays in force`,
        {
          errors: formatIssues(loaded.errors).trim(),
        },
      );
      return false;
    }
    const next = withOverrides(loaded.value.config, deps.overrides);
    const unusable = dnsProviderProblem(next);
    if (unusable) {
      agent.metrics.configReloads.inc({ result: "error" });
      log.error(
        `Reload rejected: "${deps.configPath}" cannot be used; the old config stays in force`,
        { error: unusable },
      );
      return false;
    }
    for (const s of secretsOf(next)) deps.logSettings?.secrets.add(s);
    for (const w of loaded.value.warnings) log.warn(w);
    const prev = agent.config;
    try {
      // Refused credentials (a fixed api_token_file) or zone (activated
      // since) are looked at again, even when the config did not change.
      const renew = dnsChanged(prev, next) ||
        agent.reconciler.blockedBy !== null;
      const provider = renew ? await deps.createDnsProvider(next) : undefined;
      await agent.cluster.apply(next);
      if (provider) agent.dns.setInner(provider);
      agent.reconciler.update(
        reconcilerSettings(next),
        provider ? agent.dns : undefined,
      );
      deps.stateStore.setOrigin(snapshotOrigin(next, deps.hostname));
    } catch (e) {
      agent.metrics.configReloads.inc({ result: "error" });
      log.error(
        "Reload failed while applying; DNS and cluster settings may be partly new",
        { error: e },
      );
      return false;
    }
    // Records withdrawn under the old config and left out of the new one
    // are never restored by the agent: say so, record by record.
    warnUnmanaged(
      log,
      unmanagedRecords(withdrawnRecords(deps.stateStore), next, prev),
      deps.stateStore.path ?? null,
    );
    await this.#applyProbing(prev, next);
    applyLogging(agent, next);
    agent.notifier.reconfigure({
      webhookUrl: next.notify.webhookUrl,
      slackWebhookUrl: next.notify.slackWebhookUrl,
      slackFormat: next.notify.slackFormat,
    });
    agent.config = next;
    agent.driver.setInterval(next.cloudflare.reconcileInterval * 1000);
    agent.apiBudget.setShare(next.cloudflare.apiBudgetShare);
    agent.driver.invalidate();
    agent.metrics.configReloads.inc({ result: "ok" });
    log.info("config reloaded", {
      file: deps.configPath,
      targets: next.cloudflare.ipAddresses.length,
      dry_run: agent.dns.dryRun,
    });
    return true;
  }

  async #applyProbing(prev: Config, next: Config): Promise<void> {
    const agent = this.#agent;
    const now = agent.deps.clock.now();
    const ips = [...next.cloudflare.ipAddresses];
    const { added, removed } = agent.health.setTargets(
      ips,
      now,
      storedVerdicts(agent.deps.stateStore),
    );
    agent.health.setThresholds(thresholdsOf(next));
    agent.loss.retain(ips);
    for (const ip of removed) agent.trust.forget(ip);
    if (added.length || removed.length) {
      agent.log.info("targets changed", {
        added: added.join(","),
        removed: removed.join(","),
      });
    }
    if (JSON.stringify(prev.pools) !== JSON.stringify(next.pools)) {
      const old = agent.poolChecks;
      agent.poolChecks = agent.makePoolChecks(next);
      await old.stop();
      if (agent.running) agent.poolChecks.start();
    }
    if (prev.probeType !== next.probeType || prev.port !== next.port) {
      const old = agent.prober;
      agent.prober = agent.makeProber(next);
      await old.stop();
      if (agent.running) agent.prober.start();
    } else {
      agent.prober.setTargets(ips);
      agent.prober.setTiming(timingOf(next));
    }
  }
}

/** Command-line settings that outlive reloads. */
export interface ConfigOverrides {
  dryRun?: boolean;
  logFormat?: "text" | "json";
  logLevel?: "debug" | "info" | "warn" | "error";
  /** `-t/--type` (the original's flag): wins over `probe_type`. */
  probeType?: ProbeType;
  /** `-p/--dns-provider` (the original's flag). */
  dnsProvider?: DnsProviderName;
}

/** @returns `config` with the command line's overrides applied. */
export function withOverrides(
  config: Config,
  o: ConfigOverrides | undefined,
): Config {
  return withDnsProvider({
    ...config,
    dryRun: o?.dryRun ?? config.dryRun,
    logFormat: o?.logFormat ?? config.logFormat,
    logLevel: o?.logLevel ?? config.logLevel,
    probeType: o?.probeType ?? config.probeType,
  }, o?.dnsProvider ?? config.dnsProvider);
}

function dnsChanged(a: Config, b: Config): boolean {
  return a.dryRun !== b.dryRun || a.dnsProvider !== b.dnsProvider ||
    JSON.stringify(a.cloudflare) !== JSON.stringify(b.cloudflare) ||
    providerShape(a) !== providerShape(b) ||
    JSON.stringify(a.sections.route53) !== JSON.stringify(b.sections.route53);
}

function applyLogging(agent: Agent, next: Config): void {
  const s = agent.deps.logSettings;
  if (!s) return;
  s.level = next.logLevel;
  s.format = next.logFormat;
}
