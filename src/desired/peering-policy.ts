/**
 * What the router's owner allows a node to peer as. The cluster is not trusted: a kubelet may
 * label and annotate its own Node, so every address and AS a node asks for is checked here.
 */
import type { Config } from "../config/types.ts";
import { specialAddressReason } from "../domain/address-class.ts";
import { networkContains, parseIp, parseNetworks } from "../domain/net.ts";

/** Why an address may not be a peering address (null when it may), with the limits parsed once. */
export type PeeringCheck = (address: string) => string | null;

/** The owner's limits for one pass, parsed once: the check runs for every node. */
export function peeringAddressCheck(config: Config, routerAddresses: readonly string[] = []): PeeringCheck {
  const lbNets = parseNetworks([...config.bgp.acceptPrefixes, ...config.lb.addresses]);
  const limits = config.bgp.peerNetworks;
  const limitNets = limits === null ? null : parseNetworks(limits);
  const router = new Set(routerAddresses);
  return (address) => {
    const ip = parseIp(address);
    if (ip === null) return `${address} is not an IP address`;
    const special = specialAddressReason(ip);
    if (special !== null) return `${address} is ${special}, never a node's address`;
    if (router.has(ip.address)) return `${address} is the router's own address`;
    const lb = lbNets.find((net) => networkContains(net, ip));
    if (lb !== undefined) return `${address} lies in the LoadBalancer prefix ${lb.text}, which nodes announce and never peer from`;
    if (limits !== null && limitNets !== null && !limitNets.some((net) => networkContains(net, ip))) {
      return `${address} is outside BGP_PEER_NETWORKS (${limits.join(", ")})`;
    }
    return null;
  };
}

/** Why `address` may not be a peering address, or null when it may (one-off form of peeringAddressCheck). */
export function peeringAddressRefusal(address: string, config: Config, routerAddresses: readonly string[] = []): string | null {
  return peeringAddressCheck(config, routerAddresses)(address);
}

/** Why a node may not pick `asn`, or null when it may. */
export function asnRefusal(asn: number, config: Config): string | null {
  if (config.bgp.allowedAsns.includes(asn)) return null;
  const others = config.bgp.allowedAsns.filter((a) => a !== config.bgp.remoteAsn);
  return `AS ${asn} is not allowed (BGP_REMOTE_ASN ${config.bgp.remoteAsn ?? "unset"}${others.length > 0 ? `, BGP_ALLOWED_ASNS ${others.join(", ")}` : ""})`;
}
