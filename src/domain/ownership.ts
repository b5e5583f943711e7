/**
 * Ownership markers. Every object the agent writes carries, in its description, one line
 * `opnsense-bgp-agent:<owner-id> <key>`. Neighbors have no category field, so for them the
 * marker is the whole proof of ownership; rules and aliases also need the agent's category.
 */
import { createHash } from "node:crypto";
import { AGENT_NAME, OWNER_ID_PATTERN } from "./names.ts";
import type { IpFamily } from "./net.ts";

export type Marker = { readonly owner: string; readonly key: string };

export const MARKER_PREFIX = `${AGENT_NAME}:`;

/** FRR's CLI documents neighbor descriptions as "up to 80 characters"; os-frr ≥ 1.52 renders them into frr.conf. */
export const NEIGHBOR_DESCRIPTION_MAX_LENGTH = 80;
/** OPNsense `DescriptionField` (rules, aliases): 1–255 bytes. */
export const DESCRIPTION_MAX_BYTES = 255;

// Exact: no surrounding whitespace, one space, a key without line breaks or edge blanks. A hand-made
// description that merely starts with the marker ("  opnsense-bgp-agent:default   copy  ") is not ours.
const MARKER_RE = /^opnsense-bgp-agent:([a-z0-9](?:[a-z0-9-]*[a-z0-9])?) (\S(?:[^\r\n]*\S)?)$/;

export function formatMarker(owner: string, key: string): string {
  return `${MARKER_PREFIX}${owner} ${key}`;
}

/**
 * The marker in a description, or null for anything else (free text, empty, other tools).
 * Never throws: descriptions come from a router that users edit by hand.
 */
export function parseMarker(description: unknown): Marker | null {
  if (typeof description !== "string" || description.length > 4096) return null;
  const m = MARKER_RE.exec(description);
  if (m === null) return null;
  const owner = m[1];
  const key = m[2];
  if (owner === undefined || key === undefined || !OWNER_ID_PATTERN.test(owner) || key.includes("  ")) return null;
  return { owner, key };
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Short, stable digest used to keep shortened keys unique. */
export function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 10);
}

/**
 * `key` unchanged when `formatMarker(owner, key)` fits `maxBytes`; otherwise the longest prefix
 * that fits followed by `~<hash of the full key>`, so distinct keys stay distinct and the
 * result is the same on every pass. `~` never appears in Kubernetes names or our own keys.
 */
export function fitKey(owner: string, key: string, maxBytes: number): string {
  if (byteLength(formatMarker(owner, key)) <= maxBytes) return key;
  const suffix = `~${shortHash(key)}`;
  const room = maxBytes - byteLength(formatMarker(owner, "")) - suffix.length;
  let prefix = "";
  for (const ch of key) {
    if (byteLength(prefix + ch) > room) break;
    prefix += ch;
  }
  return prefix.trimEnd() + suffix;
}

const ADOPTED_SUFFIX = " adopted";

/**
 * Marks the key of a node's IPv6 neighbor. The IPv4 key stays `node=<name>` as it always was, so
 * routers the agent already manages see no change; a node peering over both families
 * (BGP_ADDRESS_FAMILY=dual) has two neighbors with two distinct keys.
 */
const IPV6_KEY_SUFFIX = " ipv6";

/**
 * Key of a node's neighbor of one address family: `node=<node-name>` (IPv4) or
 * `node=<node-name> ipv6`, the name shortened to keep the description ≤ 80 characters even with
 * the ` adopted` flag appended.
 */
export function neighborKey(owner: string, nodeName: string, family: IpFamily = "inet"): string {
  const room = NEIGHBOR_DESCRIPTION_MAX_LENGTH - ADOPTED_SUFFIX.length;
  if (family === "inet") return fitKey(owner, `node=${nodeName}`, room);
  return fitKey(owner, `node=${nodeName}`, room - IPV6_KEY_SUFFIX.length) + IPV6_KEY_SUFFIX;
}

/** Both keys a node's neighbors can have (for "is this node still there" questions). */
export function neighborKeys(owner: string, nodeName: string): readonly [string, string] {
  return [neighborKey(owner, nodeName, "inet"), neighborKey(owner, nodeName, "inet6")];
}

/** The address family a neighbor key is for. */
export function familyOfKey(key: string): IpFamily {
  return key.endsWith(IPV6_KEY_SUFFIX) ? "inet6" : "inet";
}

/** The node a neighbor key names (`node=worker-1 ipv6` → `worker-1`; a shortened key stays as it is). */
export function nodeOfKey(key: string): string {
  const k = key.endsWith(IPV6_KEY_SUFFIX) ? key.slice(0, -IPV6_KEY_SUFFIX.length) : key;
  return k.startsWith("node=") ? k.slice("node=".length) : k;
}

/** A node name as Kubernetes allows it (RFC 1123 subdomain), or its shortened `~hash` form. */
const NEIGHBOR_KEY_RE = /^node=([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?|[a-z0-9][-a-z0-9.]*~[0-9a-f]{10})( ipv6)?( adopted)?$/;

export type NeighborMarker = {
  /** `node=<name>` or `node=<name> ipv6`: what the planner matches desired neighbors by. */
  readonly key: string;
  /** The neighbor was hand-made and adopted (ADOPT_EXISTING): when its node goes it is handed back, never deleted. */
  readonly adopted: boolean;
};

/**
 * The neighbor marker of `owner`, or null. Only the exact form counts: `opnsense-bgp-agent:<owner>
 * node=<valid node name>[ ipv6][ adopted]`; anything else (free text after the prefix, a second marker
 * in one description) is a foreign neighbor the agent never touches.
 */
export function parseNeighborMarker(description: string, owner: string): NeighborMarker | null {
  const m = parseMarker(description);
  if (m === null || m.owner !== owner) return null;
  const k = NEIGHBOR_KEY_RE.exec(m.key);
  if (k === null || k[1] === undefined || k[1].length > 253) return null;
  return { key: `node=${k[1]}${k[2] ?? ""}`, adopted: k[3] !== undefined };
}

/** The description of a neighbor the agent adopted: its marker plus the ` adopted` flag. */
export function adoptedNeighborDescription(owner: string, key: string): string {
  return formatMarker(owner, key) + ADOPTED_SUFFIX;
}

/** What an adopted neighbor says after it was handed back: not a marker, so nobody owns it again. */
export function releasedNeighborDescription(key: string): string {
  return `released by ${AGENT_NAME} (was ${key})`.slice(0, NEIGHBOR_DESCRIPTION_MAX_LENGTH);
}

/** Key of a rule or alias, shortened to keep the description ≤ 255 bytes. */
export function objectKey(owner: string, key: string): string {
  return fitKey(owner, key, DESCRIPTION_MAX_BYTES);
}
