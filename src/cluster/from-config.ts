import type { Config } from "../config/types.ts";
import type { ClusterWatchOptions } from "./watch.ts";

/**
 * What to watch, from the configuration: one mapping for the agent and every CLI command, so a
 * `plan` sees the same nodes, Services and Cilium pools as the running agent.
 */
export function clusterWatchSelection(config: Config): Pick<ClusterWatchOptions, "nodeSelector" | "serviceSelector" | "ciliumPools"> {
  return {
    nodeSelector: config.nodeSelector,
    // No LB rules configured: Services do not matter, and are not watched.
    serviceSelector: config.lb.clientNetworks.length > 0 ? config.serviceSelector : null,
    ciliumPools: config.ciliumPools === "auto",
  };
}
