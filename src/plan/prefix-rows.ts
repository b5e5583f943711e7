import type { PrefixRow, PrefixRowSpec } from "../domain/types.ts";
import type { DesiredPrefixRow } from "../desired/types.ts";
import type { Conflict, Operation } from "./types.ts";
import { byUuid, ownedPrefixRowKey, type Owner } from "./ownership.ts";
import type { SubPlan } from "./neighbors.ts";

const FIELDS = ["enabled", "description", "name", "version", "seqnumber", "action", "network"] as const;

export function prefixRowChanges(desired: PrefixRowSpec, actual: PrefixRowSpec): string[] {
  return FIELDS.filter((f) => (f === "network" ? desired.network.trim() !== actual.network.trim() : desired[f] !== actual[f]));
}

function specOf(r: PrefixRow): PrefixRowSpec {
  const { uuid: _uuid, ...spec } = r;
  return spec;
}

/**
 * The agent's prefix-list rows, matched by marker key. The anchor row must sit at its fixed
 * uuid (neighbors link that uuid); a foreign row there, or foreign rows sharing the list's name
 * (rows with one name form one FRR list, so they would widen the filter), are reported.
 */
export function planPrefixRows(desired: readonly DesiredPrefixRow[], actual: readonly PrefixRow[], owner: Owner): SubPlan {
  const operations: Operation[] = [];
  const conflicts: Conflict[] = [];
  let unchanged = 0;
  const owned = new Map<string, PrefixRow>();
  const extra: PrefixRow[] = [];
  for (const r of [...actual].sort(byUuid)) {
    const key = ownedPrefixRowKey(r, owner);
    if (key === null) continue;
    if (owned.has(key)) extra.push(r);
    else owned.set(key, r);
  }
  const byUuidMap = new Map(actual.map((r) => [r.uuid, r]));
  const kept = new Set<string>();

  for (const d of desired) {
    let mine = owned.get(d.key);
    if (d.uuid !== null && mine !== undefined && mine.uuid !== d.uuid) mine = undefined;
    if (d.uuid !== null && mine === undefined) {
      const occupant = byUuidMap.get(d.uuid);
      if (occupant !== undefined && ownedPrefixRowKey(occupant, owner) !== d.key) {
        conflicts.push({
          objectKind: "prefix",
          key: d.key,
          subject: d.spec.name,
          foreignUuid: occupant.uuid,
          reason: `the prefix-list row the agent's neighbors link (${d.uuid}) was changed by hand (description ${JSON.stringify(occupant.description)}); the agent leaves it alone: restore its description or delete the row`,
        });
        kept.add(occupant.uuid);
        continue;
      }
    }
    if (mine === undefined) {
      operations.push({ kind: "create-prefix", key: d.key, uuid: d.uuid, spec: d.spec });
      continue;
    }
    kept.add(mine.uuid);
    const changed = prefixRowChanges(d.spec, specOf(mine));
    if (changed.length === 0) unchanged++;
    else operations.push({ kind: "update-prefix", key: d.key, uuid: mine.uuid, spec: d.spec, changed });
  }
  for (const r of [...owned.values(), ...extra]) {
    if (kept.has(r.uuid)) continue;
    operations.push({ kind: "delete-prefix", key: ownedPrefixRowKey(r, owner) ?? "", uuid: r.uuid });
  }
  const listName = desired[0]?.spec.name;
  if (listName !== undefined) {
    for (const r of actual) {
      if (r.name !== listName || ownedPrefixRowKey(r, owner) !== null || kept.has(r.uuid)) continue;
      conflicts.push({
        objectKind: "prefix",
        key: `prefix-in ${listName}`,
        subject: listName,
        foreignUuid: r.uuid,
        reason: `a prefix-list row the agent does not own uses the agent's list name ${listName} (seq ${r.seqnumber ?? "?"} ${r.action} ${r.network}); FRR merges it into the agent's filter: rename or delete it`,
      });
    }
  }
  return { operations, conflicts, unchanged };
}
