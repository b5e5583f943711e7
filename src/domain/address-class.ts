/**
 * Addresses that can never be a LoadBalancer address or a BGP peer: a rule or alias entry for
 * them would either match nothing or match far more than one host (0.0.0.0 in pf is "this
 * host", 255.255.255.255 every broadcast). Kubernetes objects are edited by people the router
 * admin does not vet, so these are refused by class rather than trusted.
 */
import { ipv4Value, networkContains, parseNetwork, type ParsedIp, type ParsedNetwork } from "./net.ts";

export type SpecialAddressReason =
  | "unspecified"
  | "this-network"
  | "loopback"
  | "link-local"
  | "multicast"
  | "broadcast"
  | "reserved"
  | "ipv4-mapped";

/** First match wins, so the more specific block comes before the one containing it. */
const SPECIAL: readonly (readonly [string, SpecialAddressReason])[] = [
  ["0.0.0.0/32", "unspecified"],
  ["0.0.0.0/8", "this-network"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["224.0.0.0/4", "multicast"],
  ["255.255.255.255/32", "broadcast"],
  ["240.0.0.0/4", "reserved"],
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["fe80::/10", "link-local"],
  ["ff00::/8", "multicast"],
  // An IPv4 address dressed as IPv6: never a real IPv6 destination or peer.
  ["::ffff:0:0/96", "ipv4-mapped"],
];

const SPECIAL_NETWORKS: readonly (readonly [ParsedNetwork, SpecialAddressReason])[] = SPECIAL.map(([cidr, reason]) => {
  const net = parseNetwork(cidr);
  if (net === null) throw new Error(`bad built-in network ${cidr}`);
  return [net, reason] as const;
});

// IPv4 blocks as numeric ranges: this runs for every node and ingress IP on every pass.
const SPECIAL_V4: readonly (readonly [number, number, SpecialAddressReason])[] = SPECIAL_NETWORKS.flatMap(([net, reason]) => {
  if (net.family !== "inet") return [];
  const size = 2 ** (32 - (net.prefix ?? 32));
  const lo = ipv4Value(net.address);
  return [[lo, lo + size - 1, reason] as const];
});

/** Why `ip` is unusable as a unicast host address (e.g. "loopback"), or null for an ordinary address. */
export function specialAddressReason(ip: ParsedIp): SpecialAddressReason | null {
  if (ip.family === "inet") {
    const v = ipv4Value(ip.address);
    for (const [lo, hi, reason] of SPECIAL_V4) if (v >= lo && v <= hi) return reason;
    return null;
  }
  for (const [net, reason] of SPECIAL_NETWORKS) if (networkContains(net, ip)) return reason;
  return null;
}
