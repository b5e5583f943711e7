import type { Capabilities, IpProtocol } from "../domain/types.ts";
import { parseIp } from "../domain/net.ts";
import type { Config } from "../config/types.ts";
import type { DesiredAlias, DesiredNeighbor, DesiredRule } from "./types.ts";
import { formatMarker } from "../domain/ownership.ts";
import { nodeAliasName } from "../domain/names.ts";

export const NODE_ALIAS_KEY = "bgp-nodes";
export const BGP_RULE_KEY = "bgp-peers";
/** The IPv6 twin of the TCP 179 rule (present while IPv6 neighbors exist). */
export const BGP_RULE_KEY_IPV6 = "bgp-peers ipv6";

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

/**
 * Lets the nodes reach FRR on the router: TCP 179 from the node alias to the firewall itself,
 * one rule per address family that has neighbors. The IPv4 rule always exists (as it always
 * has, so an upgrade writes nothing); the `inet6` one only while IPv6 neighbors exist. One
 * `inet46` rule (25.1+) would do for both, but changing the IPv4 rule would rewrite it on every
 * router, and two rules work on every supported release (the node alias holds both families and
 * pf uses the entries of the rule's family).
 */
export function bgpRules(config: Config, caps: Capabilities, neighbors: readonly DesiredNeighbor[]): DesiredRule[] {
  const rules = [bgpRule(config, caps, "inet")];
  if (hasIpv6Neighbors(neighbors)) rules.push(bgpRule(config, caps, "inet6"));
  return rules;
}

export function hasIpv6Neighbors(neighbors: readonly DesiredNeighbor[]): boolean {
  return neighbors.some((n) => parseIp(n.spec.address)?.family === "inet6");
}

/** The rule key of the TCP 179 rule of an address family. */
export function bgpRuleKey(family: IpProtocol): string {
  return family === "inet" ? BGP_RULE_KEY : BGP_RULE_KEY_IPV6;
}

function bgpRule(config: Config, caps: Capabilities, family: IpProtocol): DesiredRule {
  const key = bgpRuleKey(family);
  return {
    key,
    spec: {
      enabled: true,
      action: "pass",
      quick: true,
      interfaces: [config.firewallInterface],
      direction: "in",
      ipprotocol: family,
      protocol: "TCP",
      sourceNet: nodeAliasName(config.ownerId),
      sourcePort: "",
      destinationNet: "(self)",
      destinationPort: "179",
      statetype: caps.ruleStatetype ? "keep" : null,
      description: formatMarker(config.ownerId, key),
    },
  };
}
