import type { Capabilities } from "../domain/types.ts";
import type { ClusterView } from "../cluster/types.ts";
import type { Config } from "../config/types.ts";
import type { DesiredState } from "./types.ts";
import { categoryName } from "../domain/names.ts";
import { bgpRule, nodeAlias } from "./bgp-firewall.ts";
import { desiredLb } from "./lb.ts";
import { desiredNeighbors } from "./neighbors.ts";

/**
 * What OPNsense should hold for this cluster. Pure and total: broken input (a node without
 * IPv4, a bad annotation, a hostname-only service) becomes a Problem on that object and
 * everything else is still computed.
 */
export function computeDesired(view: ClusterView, config: Config, caps: Capabilities): DesiredState {
  const bgp = desiredNeighbors(view.nodes, config, caps);
  const lb = desiredLb(view.services, config, caps);
  return {
    categoryName: categoryName(config.ownerId),
    neighbors: bgp.neighbors,
    aliases: lb.alias === null ? [nodeAlias(bgp.neighbors, config)] : [nodeAlias(bgp.neighbors, config), lb.alias],
    rules: [bgpRule(config, caps), ...lb.rules],
    problems: [...bgp.problems, ...lb.problems],
    lbAddresses: lb.addresses,
  };
}
