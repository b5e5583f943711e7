/**
 * Which owned neighbors stay although no node asks for them this pass. The router is someone's
 * production network: a typo in a label, a flapping kubelet or a bad annotation must not tear
 * down working peers.
 * - invalid input: the node is still enrolled but its input turned bad → keep the last good neighbor;
 * - removal grace: the node left the selector or was deleted moments ago → keep it until the grace ends;
 * - deletion guard: the pass would remove more than MAX_DELETE_FRACTION of the owned neighbors
 *   (or all of them) → remove none until the operator confirms by raising the setting.
 */
import type { Config } from "../config/types.ts";
import type { Neighbor } from "../domain/types.ts";
import { nodeOfKey } from "../domain/ownership.ts";
import type { DeletionGuard, DesiredNeighbor, HeldNeighbor, HoldReason, RouterFacts } from "./types.ts";

export type Retention = {
  readonly neighbors: readonly DesiredNeighbor[];
  readonly held: readonly HeldNeighbor[];
  readonly deletionGuard: DeletionGuard | null;
};

/** Whether removing `removing` of `owned` neighbors needs the operator's confirmation. */
export function deletionNeedsConfirmation(owned: number, removing: number, maxFraction: number): boolean {
  if (owned === 0 || removing === 0) return false;
  if (removing === owned) return maxFraction < 1;
  return removing / owned > maxFraction;
}

export function retainNeighbors(
  wanted: readonly DesiredNeighbor[],
  input: { readonly invalidKeys: ReadonlySet<string>; readonly skippedKeys: ReadonlySet<string> },
  facts: RouterFacts,
  config: Config,
  prefixLink: string,
): Retention {
  const wantedKeys = new Set(wanted.map((d) => d.key));
  const wantedAddresses = new Set(wanted.map((d) => d.spec.address));
  const held: { key: string; neighbor: Neighbor; reason: HoldReason }[] = [];
  const removing: { key: string; neighbor: Neighbor }[] = [];
  // Key order, not the router's (uuid) order: reports and logs stay stable between runs.
  const byKey = [...facts.ownedNeighbors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, neighbor] of byKey) {
    if (wantedKeys.has(key)) continue;
    // Another node now legitimately peers at this address: keeping the old one would duplicate it.
    if (wantedAddresses.has(neighbor.address)) continue;
    if (input.invalidKeys.has(key)) held.push({ key, neighbor, reason: "invalid-input" });
    else if (input.skippedKeys.has(key)) continue;
    else if (facts.inGrace.has(key)) held.push({ key, neighbor, reason: "removal-grace" });
    else removing.push({ key, neighbor });
  }

  let deletionGuard: DeletionGuard | null = null;
  const owned = facts.ownedNeighbors.size;
  const maxFraction = config.safety.maxDeleteFraction;
  // Under upsert-only and create-only nothing is deleted anyway: no confirmation to ask for.
  if (config.policy === "sync" && deletionNeedsConfirmation(owned, removing.length, maxFraction)) {
    deletionGuard = {
      owned,
      removing: removing.length,
      maxFraction,
      message:
        `this pass would delete ${removing.length} of ${owned} BGP neighbors (more than MAX_DELETE_FRACTION=${maxFraction}${removing.length === owned ? ", or all of them" : ""}); ` +
        `none deleted. Check NODE_SELECTOR (${config.nodeSelector}) and the nodes' labels; if the deletions are intended, set MAX_DELETE_FRACTION=1 until they are done`,
    };
    for (const r of removing) held.push({ ...r, reason: "deletion-guard" });
  }

  // Stable order whatever order the router lists its neighbors in.
  held.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const kept: DesiredNeighbor[] = held.map(({ key, neighbor }) => {
    const { uuid: _uuid, ...spec } = neighbor;
    // Kept as it is, except that every owned neighbor carries the agent's inbound filter.
    return { key, node: nodeOfKey(key), ownAddress: false, spec: { ...spec, prefixListIn: prefixLink } };
  });
  return {
    neighbors: [...wanted, ...kept],
    held: held.map(({ key, neighbor, reason }) => ({ key, address: neighbor.address, reason })),
    deletionGuard,
  };
}
