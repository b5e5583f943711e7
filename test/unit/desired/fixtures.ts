import type { RouterFacts } from "../../../src/desired/types.ts";
/** Shared builders for the pure-core unit tests (config, capabilities per OPNsense version, cluster objects). */
import { loadConfig, type Env } from "../../../src/config/load.ts";
import type { Config } from "../../../src/config/types.ts";
import type { Capabilities } from "../../../src/domain/types.ts";
import type { NodeView, ServiceView } from "../../../src/cluster/types.ts";

export const BASE_ENV: Env = {
  OPNSENSE_URL: "https://opnsense.lan",
  OPNSENSE_API_KEY: "key",
  OPNSENSE_API_SECRET: "secret",
  BGP_REMOTE_ASN: "64555",
};

export function makeConfig(env: Env = {}): Config {
  const r = loadConfig({ ...BASE_ENV, ...env }, () => {
    throw new Error("no files in unit tests");
  });
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.config;
}

const NEIGHBOR_FIELDS = ["enabled", "description", "address", "remoteas", "updatesource", "password", "multihop", "bfd", "keepalive", "holddown", "connecttimer", "peergroup", "linkedPrefixlistIn"];

export type Version = "24.1" | "24.7" | "25.1" | "25.7" | "26.1" | "26.7";

/** Capabilities as the probe reports them per release (contract §0, §7.2). */
export const CAPS: Readonly<Record<Version, Capabilities>> = {
  "24.1": caps({ ruleStatetype: false, ruleDirectionAny: false, savepoint: true, serverRollback: true, frrRendersDescription: false, peerGroups: false }),
  "24.7": caps({ ruleStatetype: false, ruleDirectionAny: false, savepoint: true, serverRollback: true, frrRendersDescription: false, peerGroups: true }),
  "25.1": caps({ ruleStatetype: true, ruleDirectionAny: false, savepoint: true, serverRollback: true, frrRendersDescription: false, peerGroups: true }),
  "25.7": caps({ ruleStatetype: true, ruleDirectionAny: false, savepoint: true, serverRollback: false, frrRendersDescription: false, peerGroups: true }),
  "26.1": caps({ ruleStatetype: true, ruleDirectionAny: true, savepoint: true, serverRollback: false, frrRendersDescription: false, peerGroups: true }),
  "26.7": caps({ ruleStatetype: true, ruleDirectionAny: true, savepoint: false, serverRollback: false, frrRendersDescription: true, peerGroups: true }),
};

function caps(flags: Omit<Capabilities, "neighborFields">): Capabilities {
  return { neighborFields: flags.peerGroups ? NEIGHBOR_FIELDS : NEIGHBOR_FIELDS.filter((f) => f !== "peergroup"), ...flags };
}

export function node(name: string, internalIp: string | readonly { type: string; address: string }[], annotations: Record<string, string> = {}): NodeView {
  const addresses = typeof internalIp === "string" ? [{ type: "InternalIP", address: internalIp }] : internalIp;
  return { name, uid: `uid-${name}`, labels: { "homelab/role": "worker" }, annotations, addresses };
}

export function lbService(
  ns: string,
  name: string,
  ingress: readonly (string | { ip?: string; hostname?: string })[],
  opts: { ports?: readonly { port: number; protocol: string }[]; ranges?: readonly string[]; type?: string } = {},
): ServiceView {
  return {
    namespace: ns,
    name,
    uid: `uid-${ns}-${name}`,
    type: opts.type ?? "LoadBalancer",
    labels: { "homelab/public-service": "true" },
    annotations: {},
    ingress: ingress.map((i) => (typeof i === "string" ? { ip: i, hostname: "" } : { ip: i.ip ?? "", hostname: i.hostname ?? "" })),
    ports: (opts.ports ?? [{ port: 443, protocol: "TCP" }]).map((p) => ({ ...p, name: "" })),
    loadBalancerSourceRanges: opts.ranges ?? [],
  };
}

/** A router that holds nothing of the agent's: no owned neighbors, nothing in grace, no cluster record. */
export const NO_FACTS: RouterFacts = { ownedNeighbors: new Map(), inGrace: new Set(), clusterClaim: null };
