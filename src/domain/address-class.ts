/**
 * Addresses that can never be a LoadBalancer address or a BGP peer: a rule or alias entry for
 * them would either match nothing or match far more than one host (0.0.0.0 in pf is "this
 * host", 255.255.255.255 every broadcast). Kubernetes objects are edited by people the router
 * admin does not vet, so these are refused by class rather than trusted.
 */
import { networkContains, parseNetwork, type ParsedIp, type ParsedNetwork } from "./net.ts";

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

/** Why `ip` is unusable as a unicast host address (e.g. "loopback"), or null for an ordinary address. */
export function specialAddressReason(ip: ParsedIp): SpecialAddressReason | null {
  for (const [net, reason] of SPECIAL_NETWORKS) if (networkContains(net, ip)) return reason;
  return null;
}
