import type { Capabilities, Neighbor, NeighborSpec } from "../domain/types.ts";
import type { DesiredNeighbor } from "../desired/types.ts";
import type { Conflict, Operation } from "./types.ts";
import { parseMarker } from "../domain/ownership.ts";
import { byUuid, ownedNeighborKey, type Owner } from "./ownership.ts";
import { neighborChanges } from "./diff.ts";

export type SubPlan = { readonly operations: readonly Operation[]; readonly conflicts: readonly Conflict[]; readonly unchanged: number };

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function specOf(n: Neighbor): NeighborSpec {
  const { uuid: _uuid, ...spec } = n;
  return spec;
}

function describeForeign(n: Neighbor): string {
  return n.description === "" ? "no description" : `description ${JSON.stringify(n.description)}`;
}

/**
 * Neighbors: match owned ones by marker key; otherwise reuse an owned neighbor at the same
 * address (node renamed), adopt an unmarked hand-made one when allowed, refuse a foreign one,
 * or create. Owned neighbors nobody wants are deleted.
 */
export function planNeighbors(
  desired: readonly DesiredNeighbor[],
  actual: readonly Neighbor[],
  owner: Owner,
  opts: { readonly adoptExisting: boolean; readonly caps: Capabilities },
): SubPlan {
  const operations: Operation[] = [];
  const conflicts: Conflict[] = [];
  let unchanged = 0;

  const ownedByKey = new Map<string, Neighbor[]>();
  const foreignByAddress = new Map<string, Neighbor[]>();
  for (const n of [...actual].sort(byUuid)) {
    const key = ownedNeighborKey(n, owner);
    if (key === null) push(foreignByAddress, n.address.toLowerCase(), n);
    else push(ownedByKey, key, n);
  }

  const desiredKeys = new Set(desired.map((d) => d.key));
  // Owned neighbors not kept for their own key (stale keys and duplicates): reused for a
  // desired neighbor at the same address (node renamed), else deleted. Duplicates are spare
  // too, so a policy that suppresses their deletion cannot make the next pass differ.
  const spare = new Map<string, Neighbor>();
  const spareByAddress = new Map<string, Neighbor[]>();
  for (const [key, list] of ownedByKey) {
    for (const n of desiredKeys.has(key) ? list.slice(1) : list) {
      spare.set(n.uuid, n);
      push(spareByAddress, n.address.toLowerCase(), n);
    }
  }

  const update = (d: DesiredNeighbor, current: Neighbor, adopt: boolean): void => {
    const changed = neighborChanges(d.spec, specOf(current), opts.caps);
    if (changed.length === 0 && !adopt) {
      unchanged++;
      return;
    }
    operations.push({ kind: "update-neighbor", key: d.key, uuid: current.uuid, spec: d.spec, changed, adopt });
  };

  for (const d of desired) {
    const address = d.spec.address.toLowerCase();
    const mine = ownedByKey.get(d.key)?.[0];
    if (mine !== undefined) {
      const occupant = mine.address.toLowerCase() === address ? undefined : foreignByAddress.get(address)?.[0];
      if (occupant === undefined) update(d, mine, false);
      else {
        // Moving ours onto a foreign neighbor's address would give FRR two neighbors for one peer.
        conflicts.push({
          objectKind: "neighbor",
          key: d.key,
          subject: d.node,
          foreignUuid: occupant.uuid,
          reason: `node ${d.node} moved to ${d.spec.address}, which a neighbor the agent does not own already uses (${describeForeign(occupant)}); the agent's neighbor for ${mine.address} is left unchanged`,
        });
      }
      continue;
    }
    const reusable = spareByAddress.get(address)?.find((n) => spare.has(n.uuid));
    if (reusable !== undefined) {
      spare.delete(reusable.uuid);
      update(d, reusable, false);
      continue;
    }
    const sameAddress = foreignByAddress.get(address) ?? [];
    if (sameAddress.length === 0) {
      operations.push({ kind: "create-neighbor", key: d.key, spec: d.spec });
      continue;
    }
    const adoptable = opts.adoptExisting ? sameAddress.find((n) => parseMarker(n.description) === null) : undefined;
    if (adoptable !== undefined) update(d, adoptable, true);
    for (const n of sameAddress) {
      if (n === adoptable) continue;
      const other = parseMarker(n.description);
      const reason =
        adoptable !== undefined
          ? `address ${d.spec.address} also has another neighbor the agent does not own (${describeForeign(n)}); remove the duplicate by hand`
          : other !== null
            ? `address ${d.spec.address} is already used by a neighbor of another opnsense-bgp-agent (owner "${other.owner}", ${describeForeign(n)})`
            : `address ${d.spec.address} is already used by a neighbor the agent does not own (${describeForeign(n)}); set ADOPT_EXISTING=true to take it over`;
      conflicts.push({ objectKind: "neighbor", key: d.key, subject: d.node, foreignUuid: n.uuid, reason });
    }
  }

  for (const n of [...spare.values()].sort(byUuid)) {
    operations.push({ kind: "delete-neighbor", key: ownedNeighborKey(n, owner) ?? "", uuid: n.uuid, address: n.address });
  }
  return { operations, conflicts, unchanged };
}
