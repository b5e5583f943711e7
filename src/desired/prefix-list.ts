/**
 * Inbound route filtering (OPNsense API contract §3.7): one prefix list owned by the agent,
 * linked as `linkedPrefixlistIn` on every neighbor it owns, permitting only the accepted
 * prefixes. os-frr renders `no bgp ebgp-requires-policy`, so without it every route a node
 * announces (a default route, the LAN) would be installed.
 */
import { createHash } from "node:crypto";
import type { Config } from "../config/types.ts";
import type { PrefixRowSpec } from "../domain/types.ts";
import { AGENT_NAME, DEFAULT_OWNER_ID } from "../domain/names.ts";
import { formatMarker } from "../domain/ownership.ts";
import { parseNetwork } from "../domain/net.ts";
import type { DesiredPrefixRow } from "./types.ts";

/** The key of the final deny row, which every owned neighbor links (see anchorRowUuid). */
export const ANCHOR_ROW_KEY = "prefix-in deny-rest";
/** The key of the IPv6 list's final deny row (present while IPv6 neighbors exist). */
export const IPV6_DENY_ROW_KEY = "prefix-in deny-rest ipv6";
/** The contract's upper bound for `seqnumber`: the anchor comes after every permit row. */
const LAST_SEQ = 4294967294;

/** FRR prefix-list name (`^[a-zA-Z0-9._-]{1,64}$`), one per owner id. */
export function prefixListName(ownerId: string): string {
  return ownerId === DEFAULT_OWNER_ID ? `${AGENT_NAME}-in` : `${AGENT_NAME}-${ownerId}-in`;
}

/**
 * The uuid of the anchor row, derived from the owner id. Neighbors link this one row (linking
 * any row of a list applies the whole list); because it is fixed and never deleted while
 * filtering is on, a neighbor can link it in the same pass that creates it, and changing the
 * permitted prefixes never leaves a link pointing at a deleted row (which would silently unfilter
 * the neighbor). Shaped as a v4 uuid: `set<Item>/<uuid>` only upserts those (contract §2.1).
 */
export function anchorRowUuid(ownerId: string): string {
  const h = createHash("sha256").update(`${AGENT_NAME} prefix-list anchor ${ownerId}`).digest("hex");
  const variant = ((parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * `10.96.0.0/24 le 32`: the prefix and every more-specific inside it (Cilium announces /32s).
 * A host route takes no `le`: FRR refuses `le` equal to the prefix length.
 */
export function permitNetwork(cidr: string): string | null {
  const net = parseNetwork(cidr);
  if (net === null || net.prefix === null) return null;
  const width = net.family === "inet" ? 32 : 128;
  return net.prefix === width ? net.text : `${net.text} le ${width}`;
}

/**
 * The rows of the agent's prefix list; empty when filtering is off (no accepted prefixes).
 * An IPv6 neighbor applies the same name in `address-family ipv6 unicast`, where FRR reads the
 * `ipv6 prefix-list` of that name (the link names the list, not the row: contract §3.7). So while
 * IPv6 neighbors exist the IPv6 list gets its own final deny row: the filter then never depends on
 * how FRR treats a list name with no IPv6 rows, and the GUI shows what IPv6 peers may announce.
 */
export function desiredPrefixRows(config: Config, opts: { readonly ipv6Peers: boolean } = { ipv6Peers: false }): DesiredPrefixRow[] {
  const accepted = config.bgp.acceptPrefixes;
  if (accepted.length === 0) return [];
  const owner = config.ownerId;
  const name = prefixListName(owner);
  const rows: DesiredPrefixRow[] = [];
  accepted.forEach((cidr, i) => {
    const network = permitNetwork(cidr);
    const net = parseNetwork(cidr);
    if (network === null || net === null) return;
    const key = `prefix-in permit ${net.text}`;
    rows.push({
      key,
      uuid: null,
      spec: { enabled: true, description: formatMarker(owner, key), name, version: net.family === "inet" ? "IPv4" : "IPv6", seqnumber: (i + 1) * 10, action: "permit", network },
    });
  });
  const anchor: PrefixRowSpec = {
    enabled: true,
    description: formatMarker(owner, ANCHOR_ROW_KEY),
    name,
    version: "IPv4",
    seqnumber: LAST_SEQ,
    action: "deny",
    network: "0.0.0.0/0 le 32",
  };
  if (opts.ipv6Peers) {
    const spec: PrefixRowSpec = { ...anchor, description: formatMarker(owner, IPV6_DENY_ROW_KEY), version: "IPv6", network: "::/0 le 128" };
    rows.push({ key: IPV6_DENY_ROW_KEY, uuid: null, spec });
  }
  // The anchor is created first: until os-frr 1.51 the link field offers only the first row of
  // each list name (its options are grouped by name, contract §3.7), so it must be that row.
  return [{ key: ANCHOR_ROW_KEY, uuid: anchorRowUuid(owner), spec: anchor }, ...rows];
}

/** What every owned neighbor's `linkedPrefixlistIn` should hold. */
export function desiredPrefixLink(config: Config): string {
  return config.bgp.acceptPrefixes.length === 0 ? "" : anchorRowUuid(config.ownerId);
}
