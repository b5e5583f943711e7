/**
 * The LoadBalancer prefixes of one pass: LB_ADDRESSES merged with Cilium's pools (when read),
 * and the route filter that follows from them unless BGP_ACCEPT_PREFIXES says otherwise. Pure;
 * decided per pass because pools come and go with the cluster.
 */
import type { ClusterView } from "../cluster/types.ts";
import type { Config } from "../config/types.ts";
import { alignNetwork, parseNetwork, sortNetworks } from "../domain/net.ts";
import { poolCidrs } from "./cilium-pools.ts";
import type { Problem } from "./types.ts";

export type LbPrefixes = {
  /** LB_ADDRESSES as written, then the pools' CIDRs (deduplicated, sorted). */
  readonly prefixes: readonly string[];
  /** Names of the enabled pools that contributed. */
  readonly pools: readonly string[];
  /** Names of pools ignored because `spec.disabled: true`. */
  readonly disabledPools: readonly string[];
  /** How messages name the list, e.g. `LB_ADDRESSES and the Cilium pools (blue)`. */
  readonly label: string;
  readonly problems: readonly Problem[];
};

export type AcceptPrefixes = {
  readonly prefixes: readonly string[];
  readonly from: "BGP_ACCEPT_PREFIXES" | "LB_ADDRESSES" | "Cilium pools" | "LB_ADDRESSES and Cilium pools" | "none";
};

export function effectiveLbPrefixes(config: Config, view: ClusterView): LbPrefixes {
  const pools = view.cilium?.pools ?? [];
  const problems: Problem[] = [];
  const used: string[] = [];
  const cidrs: string[] = [];
  for (const pool of pools) {
    const r = poolCidrs(pool);
    for (const message of r.problems) problems.push({ kind: "config", object: `CiliumLoadBalancerIPPool ${pool.name}`, message: `${message}; block ignored` });
    if (r.cidrs.length > 0) used.push(pool.name);
    cidrs.push(...r.cidrs);
  }
  const prefixes = sortNetworks(new Set([...config.lb.addresses, ...cidrs]));
  const label =
    used.length === 0 ? "LB_ADDRESSES" : config.lb.addresses.length === 0 ? `the Cilium pools (${used.join(", ")})` : `LB_ADDRESSES and the Cilium pools (${used.join(", ")})`;
  return { prefixes, pools: used, disabledPools: pools.filter((p) => p.disabled).map((p) => p.name), label, problems };
}

/** Explicit BGP_ACCEPT_PREFIXES wins (a list, or `none` = no filter); otherwise the LB prefixes, network-aligned. */
export function effectiveAcceptPrefixes(config: Config, view: ClusterView, lb: LbPrefixes = effectiveLbPrefixes(config, view)): AcceptPrefixes {
  if (config.bgp.acceptPrefixesFrom === "BGP_ACCEPT_PREFIXES") return { prefixes: config.bgp.acceptPrefixes, from: config.bgp.acceptPrefixes.length > 0 ? "BGP_ACCEPT_PREFIXES" : "none" };
  const prefixes = sortNetworks(
    new Set(
      lb.prefixes.flatMap((a) => {
        const net = parseNetwork(a);
        return net === null ? [] : [alignNetwork(net).text];
      }),
    ),
  );
  const from = prefixes.length === 0 ? "none" : lb.pools.length === 0 ? "LB_ADDRESSES" : config.lb.addresses.length === 0 ? "Cilium pools" : "LB_ADDRESSES and Cilium pools";
  return { prefixes, from };
}
