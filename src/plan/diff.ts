/**
 * Field-by-field comparison of canonical values. Equal objects must produce no change, or
 * the agent would rewrite them on every pass (each write is a config backup on OPNsense).
 */
import type { AliasSpec, Capabilities, NeighborSpec, RuleSpec } from "../domain/types.ts";

/** OPNsense field name of each canonical neighbor field (to consult `caps.neighborFields`). */
const NEIGHBOR_FIELD_NAMES: Readonly<Record<keyof NeighborSpec, string>> = {
  enabled: "enabled",
  address: "address",
  remoteAs: "remoteas",
  updateSource: "updatesource",
  linkLocalInterface: "linklocalinterface",
  description: "description",
  keepalive: "keepalive",
  holddown: "holddown",
  connectTimer: "connecttimer",
  bfd: "bfd",
  multihop: "multihop",
  password: "password",
  peerGroup: "peergroup",
  prefixListIn: "linkedPrefixlistIn",
};
const NEIGHBOR_FIELDS = Object.keys(NEIGHBOR_FIELD_NAMES) as (keyof NeighborSpec)[];

/**
 * Names of the fields where `actual` differs from `desired`. A field the installed os-frr
 * does not know is skipped: the router drops it on write, so it could never converge.
 */
export function neighborChanges(desired: NeighborSpec, actual: NeighborSpec, caps: Capabilities): string[] {
  const known = new Set(caps.neighborFields);
  return NEIGHBOR_FIELDS.filter((f) => {
    if (known.size > 0 && f !== "description" && f !== "enabled" && f !== "address" && !known.has(NEIGHBOR_FIELD_NAMES[f])) return false;
    const d = desired[f];
    const a = actual[f];
    if (f === "address") return String(d).toLowerCase() !== String(a).toLowerCase();
    return d !== a;
  });
}

function sortedSet(items: readonly string[]): string[] {
  return [...new Set(items.map((s) => s.trim()).filter((s) => s !== ""))].sort();
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = sortedSet(a);
  const y = sortedSet(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function commaItems(s: string): string[] {
  return s.split(",");
}

export function aliasChanges(desired: AliasSpec, actual: AliasSpec): string[] {
  const changed: string[] = [];
  if (desired.type !== actual.type) changed.push("type");
  if (desired.enabled !== actual.enabled) changed.push("enabled");
  if (!sameSet(desired.content, actual.content)) changed.push("content");
  if (desired.description !== actual.description) changed.push("description");
  if (desired.name !== actual.name) changed.push("name");
  return changed;
}

export function ruleChanges(desired: RuleSpec, actual: RuleSpec): string[] {
  const changed: string[] = [];
  const exact = ["enabled", "action", "quick", "direction", "ipprotocol", "description"] as const;
  for (const f of exact) if (desired[f] !== actual[f]) changed.push(f);
  if (!sameSet(desired.interfaces, actual.interfaces)) changed.push("interfaces");
  if (desired.protocol.toUpperCase() !== actual.protocol.toUpperCase()) changed.push("protocol");
  if (!sameSet(commaItems(desired.sourceNet), commaItems(actual.sourceNet))) changed.push("sourceNet");
  if (desired.sourcePort.trim() !== actual.sourcePort.trim()) changed.push("sourcePort");
  if (!sameSet(commaItems(desired.destinationNet), commaItems(actual.destinationNet))) changed.push("destinationNet");
  if (desired.destinationPort.trim() !== actual.destinationPort.trim()) changed.push("destinationPort");
  // null = this OPNsense has no statetype field; nothing to compare.
  if (desired.statetype !== null && desired.statetype !== actual.statetype) changed.push("statetype");
  return changed;
}

/** Names of the aliases a rule references (source or destination). */
export function referencedNames(spec: RuleSpec): string[] {
  return [...commaItems(spec.sourceNet), ...commaItems(spec.destinationNet)].map((s) => s.trim()).filter((s) => s !== "");
}
