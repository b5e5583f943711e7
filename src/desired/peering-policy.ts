/**
 * What the router's owner allows a node to peer as. The cluster is not trusted: a kubelet may
 * label and annotate its own Node, so every address and AS a node asks for is checked here.
 */
import type { Config } from "../config/types.ts";
import { specialAddressReason } from "../domain/address-class.ts";
import { networkContains, parseIp, parseNetwork, type ParsedNetwork } from "../domain/net.ts";

/** Why `address` may not be a peering address, or null when it may. */
export function peeringAddressRefusal(address: string, config: Config, routerAddresses: readonly string[] = []): string | null {
  const ip = parseIp(address);
  if (ip === null) return `${address} is not an IP address`;
  const special = specialAddressReason(ip);
  if (special !== null) return `${address} is ${special}, never a node's address`;
  if (routerAddresses.includes(ip.address)) return `${address} is the router's own address`;
  const lb = parsedList([...config.bgp.acceptPrefixes, ...config.lb.addresses]).find((net) => networkContains(net, ip));
  if (lb !== undefined) return `${address} lies in the LoadBalancer prefix ${lb.text}, which nodes announce and never peer from`;
  const limits = config.bgp.peerNetworks;
  if (limits !== null && !parsedList(limits).some((net) => networkContains(net, ip))) {
    return `${address} is outside BGP_PEER_NETWORKS (${limits.join(", ")})`;
  }
  return null;
}

// Parsed once per distinct list (the lists come from the frozen config), not once per node.
const parsed = new Map<string, readonly ParsedNetwork[]>();
const PARSED_CACHE_LIMIT = 64; // pools change over time; old lists must not pile up
function parsedList(items: readonly string[]): readonly ParsedNetwork[] {
  const key = items.join(",");
  if (parsed.size > PARSED_CACHE_LIMIT) parsed.clear();
  let nets = parsed.get(key);
  if (nets === undefined) {
    nets = items.flatMap((p) => {
      const net = parseNetwork(p);
      return net === null ? [] : [net];
    });
    parsed.set(key, nets);
  }
  return nets;
}

/** Why a node may not pick `asn`, or null when it may. */
export function asnRefusal(asn: number, config: Config): string | null {
  if (config.bgp.allowedAsns.includes(asn)) return null;
  const others = config.bgp.allowedAsns.filter((a) => a !== config.bgp.remoteAsn);
  return `AS ${asn} is not allowed (BGP_REMOTE_ASN ${config.bgp.remoteAsn ?? "unset"}${others.length > 0 ? `, BGP_ALLOWED_ASNS ${others.join(", ")}` : ""})`;
}
