import type { Capabilities, Neighbor, NeighborSpec } from "../domain/types.ts";
import type { DesiredNeighbor } from "../desired/types.ts";
import type { Conflict, Operation } from "./types.ts";
import { adoptedNeighborDescription, nodeOfKey, parseMarker, releasedNeighborDescription } from "../domain/ownership.ts";
import { byUuid, ownedNeighbor, ownedNeighborsByKey, type Owner } from "./ownership.ts";
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
 * address (node renamed), adopt an unmarked hand-made one at the node's own InternalIP when
 * allowed, refuse a foreign one, or create. Owned neighbors nobody wants are deleted, except
 * adopted ones, which are handed back. A key that two neighbors carry is never written.
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

  const { unique, duplicated } = ownedNeighborsByKey(actual, owner);
  const foreignByAddress = new Map<string, Neighbor[]>();
  for (const n of [...actual].sort(byUuid)) if (ownedNeighbor(n, owner) === null) push(foreignByAddress, n.address, n);
  const duplicatedUuids = new Set([...duplicated.values()].flat().map((n) => n.uuid));

  const desiredKeys = new Set(desired.map((d) => d.key));
  // Owned neighbors whose key nobody wants: reused for a desired neighbor at the same address
  // (node renamed), else deleted (or handed back when adopted).
  const spare = new Map<string, Neighbor>();
  const spareByAddress = new Map<string, Neighbor[]>();
  for (const [key, n] of unique) {
    if (desiredKeys.has(key)) continue;
    spare.set(n.uuid, n);
    push(spareByAddress, n.address, n);
  }

  const update = (d: DesiredNeighbor, current: Neighbor, adopt: boolean): void => {
    // An adopted neighbor keeps its flag, so that it is handed back instead of deleted.
    const adopted = adopt || ownedNeighbor(current, owner)?.adopted === true;
    const spec = adopted ? { ...d.spec, description: adoptedNeighborDescription(owner.ownerId, d.key) } : d.spec;
    const changed = neighborChanges(spec, specOf(current), opts.caps);
    if (changed.length === 0 && !adopt) {
      unchanged++;
      return;
    }
    operations.push({ kind: "update-neighbor", key: d.key, uuid: current.uuid, spec, changed, adopt });
  };

  for (const d of desired) {
    const address = d.spec.address;
    const copies = duplicated.get(d.key);
    if (copies !== undefined) {
      const atAddress = copies.filter((n) => n.address === address);
      const mine = atAddress.length === 1 ? atAddress[0] : undefined;
      if (mine !== undefined) update(d, mine, false);
      for (const n of copies) {
        if (n === mine) continue;
        conflicts.push({
          objectKind: "neighbor",
          key: d.key,
          subject: d.node,
          foreignUuid: n.uuid,
          reason: `neighbor ${n.address} also carries the marker of node ${d.node} (a copy made in the GUI?); the agent never writes or deletes it: remove the marker from the copy or delete it by hand`,
        });
      }
      continue;
    }
    const mine = unique.get(d.key);
    if (mine !== undefined) {
      const occupant = mine.address === address ? undefined : foreignByAddress.get(address)?.[0];
      if (occupant === undefined) update(d, mine, false);
      else {
        // Moving ours onto a foreign neighbor's address would give FRR two neighbors for one peer.
        conflicts.push({
          objectKind: "neighbor",
          key: d.key,
          subject: d.node,
          foreignUuid: occupant.uuid,
          reason: `node ${d.node} moved to ${address}, which a neighbor the agent does not own already uses (${describeForeign(occupant)}); the agent's neighbor for ${mine.address} is left unchanged`,
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
    const sameAddress = (foreignByAddress.get(address) ?? []).filter((n) => !duplicatedUuids.has(n.uuid));
    if (sameAddress.length === 0) {
      operations.push({ kind: "create-neighbor", key: d.key, spec: d.spec });
      continue;
    }
    // Only a hand-made neighbor at the node's own InternalIP may be adopted: an annotation must
    // not let a node seize a neighbor at some other address (an upstream router, say).
    const adoptable = opts.adoptExisting && d.ownAddress ? sameAddress.find((n) => parseMarker(n.description) === null) : undefined;
    if (adoptable !== undefined) update(d, adoptable, true);
    for (const n of sameAddress) {
      if (n === adoptable) continue;
      const other = parseMarker(n.description);
      const reason =
        adoptable !== undefined
          ? `address ${address} also has another neighbor the agent does not own (${describeForeign(n)}); remove the duplicate by hand`
          : other !== null && other.owner !== owner.ownerId
            ? `address ${address} is already used by a neighbor of another opnsense-bgp-agent (owner "${other.owner}", ${describeForeign(n)})`
            : opts.adoptExisting && !d.ownAddress
              ? `address ${address} is already used by a neighbor the agent does not own (${describeForeign(n)}); it is not node ${d.node}'s InternalIP, so it is never adopted`
              : `address ${address} is already used by a neighbor the agent does not own (${describeForeign(n)}); set ADOPT_EXISTING=true to take it over`;
      conflicts.push({ objectKind: "neighbor", key: d.key, subject: d.node, foreignUuid: n.uuid, reason });
    }
  }

  for (const n of [...spare.values()].sort(byUuid)) {
    const marker = ownedNeighbor(n, owner);
    const key = marker?.key ?? "";
    if (marker?.adopted === true) {
      const spec: NeighborSpec = { ...specOf(n), description: releasedNeighborDescription(key), prefixListIn: "" };
      operations.push({ kind: "release-neighbor", key, uuid: n.uuid, spec, address: n.address });
    } else operations.push({ kind: "delete-neighbor", key, uuid: n.uuid, address: n.address });
  }
  for (const [key, copies] of duplicated) {
    if (desiredKeys.has(key)) continue;
    for (const n of copies) {
      conflicts.push({
        objectKind: "neighbor",
        key,
        subject: nodeOfKey(key),
        foreignUuid: n.uuid,
        reason: `neighbor ${n.address} carries the marker ${key} like ${copies.length - 1} other neighbor(s); none of them is deleted: remove the marker from the copies by hand`,
      });
    }
  }
  return { operations, conflicts, unchanged };
}
