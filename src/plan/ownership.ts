/**
 * Which router objects belong to this agent (design §3). Everything else is foreign and the
 * planner may only read it (to detect conflicts), never update or delete it — except an
 * explicitly requested adoption of an unmarked neighbor.
 */
import type { Alias, Category, Neighbor, PrefixRow, Rule } from "../domain/types.ts";
import { parseMarker, parseNeighborMarker, type Marker, type NeighborMarker } from "../domain/ownership.ts";

export type Owner = {
  readonly ownerId: string;
  /** UUIDs of the agent's category (normally one; a set in case a router holds duplicates). */
  readonly categoryUuids: ReadonlySet<string>;
};

export function makeOwner(ownerId: string, categoryName: string, categories: readonly Category[]): Owner {
  return { ownerId, categoryUuids: new Set(categories.filter((c) => c.name === categoryName).map((c) => c.uuid)) };
}

/** Our marker on the object, or null when the object is not ours by its description. */
function ownMarker(description: string, owner: Owner): Marker | null {
  const m = parseMarker(description);
  return m !== null && m.owner === owner.ownerId ? m : null;
}

/** Neighbors have no category: the exact marker with our owner id and a valid node key is the proof. */
export function ownedNeighbor(n: Neighbor, owner: Owner): NeighborMarker | null {
  return parseNeighborMarker(n.description, owner.ownerId);
}

export function ownedNeighborKey(n: Neighbor, owner: Owner): string | null {
  return ownedNeighbor(n, owner)?.key ?? null;
}

/**
 * The owned neighbors by key. A key carried by two neighbors (a GUI clone copies the
 * description) proves nothing about either: such keys are listed apart and never written.
 */
export function ownedNeighborsByKey(actual: readonly Neighbor[], owner: Owner): { readonly unique: Map<string, Neighbor>; readonly duplicated: Map<string, Neighbor[]> } {
  const all = new Map<string, Neighbor[]>();
  for (const n of [...actual].sort(byUuid)) {
    const key = ownedNeighborKey(n, owner);
    if (key !== null) all.set(key, [...(all.get(key) ?? []), n]);
  }
  const unique = new Map<string, Neighbor>();
  const duplicated = new Map<string, Neighbor[]>();
  for (const [key, list] of all) {
    if (list.length === 1 && list[0] !== undefined) unique.set(key, list[0]);
    else duplicated.set(key, list);
  }
  return { unique, duplicated };
}

/** Prefix-list rows have no category either: the marker is the proof. */
export function ownedPrefixRowKey(r: PrefixRow, owner: Owner): string | null {
  return ownMarker(r.description, owner)?.key ?? null;
}

/** Rules and aliases need both proofs: the agent's category and our marker. */
export function ownedFirewallKey(o: Alias | Rule, owner: Owner): string | null {
  if (!o.categories.some((c) => owner.categoryUuids.has(c))) return null;
  return ownMarker(o.description, owner)?.key ?? null;
}

export function byUuid<T extends { readonly uuid: string }>(a: T, b: T): number {
  return a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0;
}
