/**
 * Addresses that can never be a node or a LoadBalancer address. Used to refuse peering addresses
 * and ingress IPs that come from the cluster (which the agent does not trust).
 */
import { networkContains, parseNetwork, type ParsedIp, type ParsedNetwork } from "./net.ts";

const SPECIAL: readonly { readonly net: ParsedNetwork; readonly reason: string }[] = (
  [
    ["0.0.0.0/8", "unspecified (0.0.0.0/8)"],
    ["127.0.0.0/8", "loopback"],
    ["169.254.0.0/16", "link-local"],
    ["224.0.0.0/4", "multicast"],
    ["255.255.255.255/32", "broadcast"],
    ["240.0.0.0/4", "reserved (240.0.0.0/4)"],
    ["::/128", "unspecified (::)"],
    ["::1/128", "loopback"],
    ["fe80::/10", "link-local"],
    ["ff00::/8", "multicast"],
  ] as const
).map(([cidr, reason]) => {
  const net = parseNetwork(cidr);
  if (net === null) throw new Error(`bad built-in network ${cidr}`);
  return { net, reason };
});

/** Why `ip` can never be a host's unicast address (e.g. "loopback"), or null for an ordinary address. */
export function specialAddressReason(ip: ParsedIp): string | null {
  return SPECIAL.find((s) => networkContains(s.net, ip))?.reason ?? null;
}
