/**
 * Names of the router objects the agent creates. They depend only on the owner id, so two
 * agents (two clusters) sharing one router never pick the same category or alias.
 */

export const AGENT_NAME = "opnsense-bgp-agent";
export const DEFAULT_OWNER_ID = "default";

/** Owner ids are DNS-label-like so they survive in descriptions, category names and (with `-` → `_`) alias names. */
export const OWNER_ID_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** OPNsense `AliasNameField`: ≤ 31 characters. */
export const ALIAS_NAME_MAX_LENGTH = 31;

const NODE_ALIAS_BASE = "k8s_bgp_nodes";
const LB_ALIAS_BASE = "k8s_lb_addresses";

/** The firewall category carried by every agent rule and alias (part of the ownership proof). */
export function categoryName(ownerId: string): string {
  return ownerId === DEFAULT_OWNER_ID ? AGENT_NAME : `${AGENT_NAME}-${ownerId}`;
}

function ownerAliasSuffix(ownerId: string): string {
  return ownerId === DEFAULT_OWNER_ID ? "" : `_${ownerId.replaceAll("-", "_")}`;
}

/** Host alias holding the enrolled nodes' peering addresses (source of the TCP 179 rule). */
export function nodeAliasName(ownerId: string): string {
  return NODE_ALIAS_BASE + ownerAliasSuffix(ownerId);
}

/** Network alias holding the LoadBalancer addresses (destination of the LB access rules). */
export function lbAliasName(ownerId: string): string {
  return LB_ALIAS_BASE + ownerAliasSuffix(ownerId);
}

/** Every alias name derived from an owner id. */
export function aliasNames(ownerId: string): readonly string[] {
  return [nodeAliasName(ownerId), lbAliasName(ownerId)];
}

/**
 * The longest OWNER_ID whose derived alias names still fit OPNsense's limit
 * (the longest base plus `_`). Computed, so a renamed alias updates the limit.
 */
export const OWNER_ID_MAX_LENGTH = ALIAS_NAME_MAX_LENGTH - Math.max(NODE_ALIAS_BASE.length, LB_ALIAS_BASE.length) - 1;

// pf keywords and /etc/services or /etc/protocols names OPNsense refuses as alias names (§5.5).
// Not the full list: the agent's names all start with `k8s_`, so this only guards future renames.
const RESERVED = new Set([
  "all", "any", "pass", "block", "in", "out", "table", "port", "proto", "group", "label", "from", "to", "self",
  "inet", "inet6", "keep", "state", "quick", "on", "log", "tcp", "udp", "icmp", "bgp", "http", "https", "ssh",
  "domain", "ntp", "snmp", "bogons", "bogonsv6", "virusprot", "sshlockout",
]);

/** Why `name` is not a valid OPNsense alias name, or null when it is. */
export function aliasNameProblem(name: string): string | null {
  if (name.length > ALIAS_NAME_MAX_LENGTH) {
    return `alias name "${name}" is ${name.length} characters long; OPNsense allows at most ${ALIAS_NAME_MAX_LENGTH}`;
  }
  if (!/^(?:[A-Za-z]|[A-Za-z_][A-Za-z0-9_]+)$/.test(name) || name.startsWith("__")) {
    return `alias name "${name}" must start with a letter or a single underscore and contain only letters, digits and underscores`;
  }
  if (RESERVED.has(name.toLowerCase())) return `alias name "${name}" is a reserved pf keyword or service name`;
  return null;
}
