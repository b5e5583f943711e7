/**
 * Which cluster owns this OWNER_ID on the router. Two clusters configured with the same OWNER_ID
 * would each delete the other's neighbors on every pass; the node alias records the owning
 * cluster (`bgp-nodes cluster=<kube-system namespace UID>`) so the second one refuses instead.
 */
import type { RouterSnapshot } from "../domain/types.ts";
import { nodeAliasName } from "../domain/names.ts";
import { clusterOfNodeAliasKey } from "../desired/bgp-firewall.ts";
import { makeOwner, ownedFirewallKey } from "./ownership.ts";

export type ClusterClaim =
  /** `claim` goes into the node alias description; null = leave the alias's record as it is. */
  | { readonly ok: true; readonly claim: string | null }
  | { readonly ok: false; readonly message: string; readonly otherCluster: string };

export function checkClusterClaim(snapshot: RouterSnapshot, ownerId: string, categoryName: string, clusterId: string | null): ClusterClaim {
  const owner = makeOwner(ownerId, categoryName, snapshot.categories);
  const alias = snapshot.aliases.find((a) => a.name === nodeAliasName(ownerId) && ownedFirewallKey(a, owner) !== null);
  const recorded = alias === undefined ? null : clusterOfNodeAliasKey(ownedFirewallKey(alias, owner) ?? "");
  if (clusterId === null) return { ok: true, claim: recorded };
  if (recorded === null || recorded === clusterId) return { ok: true, claim: clusterId };
  return {
    ok: false,
    otherCluster: recorded,
    message:
      `OWNER_ID "${ownerId}" on this router belongs to another cluster (kube-system UID ${recorded}; this cluster: ${clusterId}); ` +
      `nothing is written. Give each cluster its own OWNER_ID; if the other cluster is gone for good, delete the alias ${nodeAliasName(ownerId)}'s "cluster=" record by hand`,
  };
}
