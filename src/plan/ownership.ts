/**
 * Which router objects belong to this agent (design §3). Everything else is foreign and the
 * planner may only read it (to detect conflicts), never update or delete it — except an
 * explicitly requested adoption of an unmarked neighbor.
 */
import type { Alias, Category, Neighbor, Rule } from "../domain/types.ts";
import { parseMarker, type Marker } from "../domain/ownership.ts";

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

/** Neighbors have no category: the marker with our owner id is the proof. */
export function ownedNeighborKey(n: Neighbor, owner: Owner): string | null {
  return ownMarker(n.description, owner)?.key ?? null;
}

/** Rules and aliases need both proofs: the agent's category and our marker. */
export function ownedFirewallKey(o: Alias | Rule, owner: Owner): string | null {
  if (!o.categories.some((c) => owner.categoryUuids.has(c))) return null;
  return ownMarker(o.description, owner)?.key ?? null;
}

export function byUuid<T extends { readonly uuid: string }>(a: T, b: T): number {
  return a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0;
}
