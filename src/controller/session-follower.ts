/**
 * The BGP sessions of the agent's neighbors across passes: what `/status` shows, the per-node
 * metrics, and the log lines and Events on a change. The decisions are in sessions.ts (pure);
 * this module keeps their memory and does the one extra read a long-down session needs.
 */
import type { Logger } from "pino";
import type { NodeEvent } from "../cluster/events.ts";
import type { Config } from "../config/types.ts";
import { bgpRuleKey } from "../desired/bgp-firewall.ts";
import { mismatchMessage, type Mismatch } from "../desired/cilium-check.ts";
import type { DesiredState } from "../desired/types.ts";
import { nodeAliasName } from "../domain/names.ts";
import type { Neighbor, RouterSnapshot } from "../domain/types.ts";
import { errorMessage } from "../apply/errors.ts";
import type { Metrics } from "../server/metrics.ts";
import type { StatusView } from "../server/status.ts";
import { familyOfKey, nodeOfKey } from "../domain/ownership.ts";
import { parseIp } from "../domain/net.ts";
import type { Router } from "./ports.ts";
import { NO_SESSIONS_SEEN, downCauses, observeSessions, type DownTooLong, type SessionMemory, type SessionObservation } from "./sessions.ts";

/** Mismatches that keep a session from coming up (timers and graceful restart do not). */
const SESSION_BLOCKING: ReadonlySet<string> = new Set(["local-as", "peer-as", "peer-address", "not-peered-by-cilium"]);

export type PassContext = {
  readonly snapshot: RouterSnapshot;
  /** The agent's neighbors by key, as the pass found them (RouterFacts.ownedNeighbors). */
  readonly owned: ReadonlyMap<string, Neighbor>;
  readonly desired: DesiredState;
  /** This pass's Cilium mismatches: a session that stays down is most often one of them. */
  readonly mismatches: readonly Mismatch[];
  readonly firewallSuspended: boolean;
};

export type SessionFollower = {
  /** Observe this pass's sessions; returns the counts for the summary line and the Events to raise. */
  follow(pass: PassContext): Promise<{ readonly counts: SessionObservation["counts"]; readonly events: readonly NodeEvent[] }>;
  /** What `/status` shows. */
  view(): StatusView;
};

export function createSessionFollower(opts: {
  readonly config: Config;
  readonly router: Pick<Router, "readPfTable">;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Ask for a pass at the moment a down session reaches SESSION_DOWN_WARN (null: no such moment). */
  readonly wakeUp: (reason: string, delayMs: number | null) => void;
}): SessionFollower {
  const { config, router, logger, metrics } = opts;
  let memory: SessionMemory = NO_SESSIONS_SEEN;
  let view: StatusView = { observedAt: null, sessions: "unknown", reason: "no pass has read the sessions yet", nodes: [] };
  /** The diagnostics endpoint failed and that was logged; said once until it answers again. */
  let unavailable = false;
  /** Label sets of the per-session series (node, family), so a session that is gone loses its own. */
  let series = new Map<string, { readonly node: string; readonly family: string }>();

  function publish(obs: SessionObservation, reason: string | null, now: number): void {
    metrics.sessionsKnown.set(obs.sessions ? 1 : 0);
    const current = new Map<string, { readonly node: string; readonly family: string }>((obs.sessions ?? []).map((s) => [`${s.node} ${s.family}`, { node: s.node, family: s.family }]));
    // Stale per-node numbers are worse than none: an alert on them would describe the past.
    for (const [id, labels] of series) {
      if (current.has(id)) continue;
      metrics.sessionUp.remove(labels);
      metrics.prefixesReceived.remove(labels);
      metrics.prefixesAccepted.remove(labels);
    }
    series = current;
    for (const s of obs.sessions ?? []) {
      const labels = { node: s.node, family: s.family };
      metrics.sessionUp.set(labels, s.established ? 1 : 0);
      metrics.prefixesReceived.set(labels, s.prefixesReceived);
      metrics.prefixesAccepted.set(labels, s.prefixesAccepted);
    }
    view = obs.sessions
      ? {
          observedAt: new Date(now).toISOString(),
          sessions: "known",
          nodes: obs.sessions.map((s) => ({
            node: s.node,
            address: s.address,
            remoteAs: s.remoteAs,
            state: s.state,
            uptimeSeconds: Math.floor(s.uptimeMs / 1000),
            prefixesReceived: s.prefixesReceived,
            prefixesAccepted: s.prefixesAccepted,
            lastChange: new Date(s.lastChangeAt).toISOString(),
          })),
        }
      : { observedAt: new Date(now).toISOString(), sessions: "unknown", reason: reason ?? "not read", nodes: [] };
  }

  async function causesOf(d: DownTooLong, pass: PassContext): Promise<string[]> {
    const family = parseIp(d.address)?.family ?? "inet";
    const ruleDescription = pass.desired.rules.find((r) => r.key === bgpRuleKey(family))?.spec.description;
    const table = pass.snapshot.aliasTablesRunning?.get(nodeAliasName(config.ownerId));
    // os-frr renders update-source for IPv4 neighbors only (contract §3.3).
    const us = family === "inet" ? config.bgp.updateSource : null;
    let networks: string[] | null = null;
    if (us) {
      try {
        networks = await router.readPfTable(`__${us}_network`);
      } catch (err) {
        logger.debug({ table: `__${us}_network`, error: errorMessage(err) }, "could not read the update-source network");
      }
    }
    return downCauses({
      address: d.address,
      state: d.state,
      firewallSuspended: pass.firewallSuspended,
      bgpRulePresent: pass.snapshot.rules.some((r) => r.enabled && r.description === ruleDescription),
      addressInNodeTable: table ? table.includes(d.address) : null,
      updateSource: us ? { interface: us, networks } : null,
      configMismatches: pass.mismatches.filter((m) => m.node === d.node && SESSION_BLOCKING.has(m.kind)).map(mismatchMessage),
    });
  }

  return {
    async follow(pass) {
      const read = pass.snapshot.bgpSessions;
      const now = Date.now();
      if (!read.ok) {
        if (!unavailable)
          logger.warn(
            { privilege: read.privilege ?? undefined, error: read.reason },
            read.privilege
              ? `BGP session status unavailable: the API user lacks the privilege ${read.privilege}; passes go on without session data`
              : "BGP session status unavailable; passes go on without session data",
          );
        unavailable = true;
      } else if (unavailable) {
        logger.info({}, "BGP session status readable again");
        unavailable = false;
      }
      const nodeByKey = new Map(pass.desired.neighbors.map((n) => [n.key, n.node]));
      const owned = [...pass.owned].filter(([, n]) => n.enabled).map(([key, n]) => ({
          key,
          node: nodeByKey.get(key) ?? nodeOfKey(key),
          family: familyOfKey(key) === "inet6" ? ("ipv6" as const) : ("ipv4" as const),
          address: n.address,
          remoteAs: n.remoteAs,
        }));
      const obs = observeSessions(memory, owned, read, now, config.sessionDownWarnMs);
      memory = obs.memory;
      publish(obs, read.ok ? null : read.reason, now);
      const events: NodeEvent[] = [...obs.events];
      for (const e of obs.events) {
        const s = obs.sessions?.find((x) => x.node === e.node);
        if (e.reason === "BGPSessionEstablished") logger.info({ node: e.node, address: s?.address, prefixes: s?.prefixesReceived }, "BGP session established");
        else logger.warn({ node: e.node, address: s?.address, state: s?.state }, "BGP session down");
      }
      for (const d of obs.downTooLong) {
        const causes = await causesOf(d, pass);
        logger.warn({ node: d.node, address: d.address, state: d.state, downForMs: d.downForMs, causes }, "BGP session down too long");
        events.push({
          node: d.node,
          type: "Warning",
          reason: "BGPSessionDownTooLong",
          message: `OPNsense's BGP session with ${d.address} has been down for ${Math.round(d.downForMs / 1000)}s (state ${d.state}); likely: ${causes.join("; ")}`,
        });
      }
      opts.wakeUp("BGP session down check", obs.nextWarnAt === null ? null : obs.nextWarnAt - now + 10);
      return { counts: obs.counts, events };
    },
    view: () => view,
  };
}
