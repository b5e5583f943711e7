import type { Capabilities } from "../domain/types.ts";
import type { Config } from "../config/types.ts";
import type { DesiredAlias, DesiredNeighbor, DesiredRule } from "./types.ts";
import { formatMarker } from "../domain/ownership.ts";
import { nodeAliasName } from "../domain/names.ts";

export const NODE_ALIAS_KEY = "bgp-nodes";
export const BGP_RULE_KEY = "bgp-peers";

/** Sorted like the OPNsense client sorts alias content, so desired and read-back compare equal. */
export function canonicalContent(items: Iterable<string>): string[] {
  return [...new Set(items)].sort();
}

/**
 * The host alias of the nodes' addresses. It exists even when empty so the TCP 179 rule
 * always references a valid alias (and is not recreated when the last node leaves).
 */
export function nodeAlias(neighbors: readonly DesiredNeighbor[], config: Config, clusterClaim: string | null): DesiredAlias {
  return {
    key: NODE_ALIAS_KEY,
    spec: {
      name: nodeAliasName(config.ownerId),
      type: "host",
      enabled: true,
      content: canonicalContent(neighbors.map((n) => n.spec.address)),
      description: formatMarker(config.ownerId, nodeAliasMarkerKey(clusterClaim)),
    },
  };
}

/**
 * The node alias also records which cluster owns this OWNER_ID on the router (categories have
 * no description field): `bgp-nodes cluster=<kube-system namespace UID>`.
 */
export function nodeAliasMarkerKey(clusterClaim: string | null): string {
  return clusterClaim === null ? NODE_ALIAS_KEY : `${NODE_ALIAS_KEY} ${CLUSTER_FIELD}${clusterClaim}`;
}

const CLUSTER_FIELD = "cluster=";

/** The cluster recorded in a node alias marker key, or null when none is recorded. */
export function clusterOfNodeAliasKey(key: string): string | null {
  if (!key.startsWith(`${NODE_ALIAS_KEY} ${CLUSTER_FIELD}`)) return null;
  const id = key.slice(NODE_ALIAS_KEY.length + 1 + CLUSTER_FIELD.length);
  return id === "" ? null : id;
}

/** Lets the nodes reach FRR on the router: TCP 179 from the node alias to the firewall itself. */
export function bgpRule(config: Config, caps: Capabilities): DesiredRule {
  return {
    key: BGP_RULE_KEY,
    spec: {
      enabled: true,
      action: "pass",
      quick: true,
      interfaces: [config.firewallInterface],
      direction: "in",
      ipprotocol: "inet",
      protocol: "TCP",
      sourceNet: nodeAliasName(config.ownerId),
      sourcePort: "",
      destinationNet: "(self)",
      destinationPort: "179",
      statetype: caps.ruleStatetype ? "keep" : null,
      description: formatMarker(config.ownerId, BGP_RULE_KEY),
    },
  };
}
