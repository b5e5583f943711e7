import type { Capabilities } from "../domain/types.ts";
import type { ClusterView } from "../cluster/types.ts";
import type { Config } from "../config/types.ts";
import type { DesiredState, RouterFacts } from "./types.ts";
import { categoryName } from "../domain/names.ts";
import { bgpRules, hasIpv6Neighbors, nodeAlias } from "./bgp-firewall.ts";
import { desiredLb } from "./lb.ts";
import { desiredNeighbors } from "./neighbors.ts";
import { desiredPrefixLink, desiredPrefixRows } from "./prefix-list.ts";
import { retainNeighbors } from "./retention.ts";
import { passSettings } from "./pass-config.ts";

/**
 * What OPNsense should hold for this cluster. Pure and total: broken input (a node without
 * address, a bad annotation, a hostname-only service) becomes a Problem on that object and
 * everything else is still computed. `facts` are what the router holds now: who peers at which
 * address decides contested addresses, and owned neighbors may be kept (see retention.ts).
 */
export function computeDesired(view: ClusterView, loaded: Config, caps: Capabilities, facts: RouterFacts): DesiredState {
  // Cilium's pools and AS fill in what the configuration leaves open (pass-config.ts).
  const settings = passSettings(loaded, view);
  const config = settings.config;
  const prefixLink = desiredPrefixLink(config);
  const holderOfAddress = new Map([...facts.ownedNeighbors].map(([key, n]) => [n.address, key] as const));
  const bgp = desiredNeighbors(view.nodes, config, caps, { holderOfAddress, prefixLink, routerAddresses: facts.routerAddresses ?? [] });
  const kept = retainNeighbors(bgp.neighbors, bgp, facts, config, prefixLink);
  const lb = desiredLb(view.services, config, caps, settings.lb.label);
  const nodes = nodeAlias(kept.neighbors, config, facts.clusterClaim);
  const ipv6Peers = hasIpv6Neighbors(kept.neighbors);
  return {
    categoryName: categoryName(config.ownerId),
    neighbors: kept.neighbors,
    prefixRows: desiredPrefixRows(config, { ipv6Peers }),
    aliases: lb.alias === null ? [nodes] : [nodes, lb.alias],
    rules: [...bgpRules(config, caps, kept.neighbors), ...lb.rules],
    problems: [...settings.lb.problems, ...bgp.problems, ...lb.problems],
    held: kept.held,
    deletionGuard: kept.deletionGuard,
    lbAddresses: lb.addresses,
    settings,
  };
}
