import type { Alias, AliasSpec, Rule, RuleSpec } from "../domain/types.ts";
import type { DesiredAlias, DesiredRule } from "../desired/types.ts";
import type { Conflict, Operation } from "./types.ts";
import { byUuid, ownedFirewallKey, type Owner } from "./ownership.ts";
import { aliasChanges, referencedNames, ruleChanges } from "./diff.ts";
import type { SubPlan } from "./neighbors.ts";

export type AliasPlan = SubPlan & {
  /** Desired alias names held by someone else: no rule may point at them. */
  readonly blocked: ReadonlyMap<string, Alias>;
};

function aliasSpecOf(a: Alias): AliasSpec {
  return { name: a.name, type: a.type, enabled: a.enabled, content: a.content, description: a.description };
}

function ruleSpecOf(r: Rule): RuleSpec {
  const { uuid: _uuid, categories: _categories, ...spec } = r;
  return spec;
}

/** Aliases are matched by name: OPNsense names are unique, so a foreign one with our name blocks ours. */
export function planAliases(desired: readonly DesiredAlias[], actual: readonly Alias[], owner: Owner): AliasPlan {
  const operations: Operation[] = [];
  const conflicts: Conflict[] = [];
  const blocked = new Map<string, Alias>();
  let unchanged = 0;
  const wanted = new Set(desired.map((d) => d.spec.name));
  const sorted = [...actual].sort(byUuid);
  const byName = new Map<string, Alias>();
  for (const a of sorted) if (!byName.has(a.name)) byName.set(a.name, a);

  for (const d of desired) {
    const existing = byName.get(d.spec.name);
    if (existing === undefined) {
      operations.push({ kind: "create-alias", key: d.key, spec: d.spec });
      continue;
    }
    if (ownedFirewallKey(existing, owner) === null) {
      blocked.set(d.spec.name, existing);
      conflicts.push({
        objectKind: "alias",
        key: d.key,
        subject: d.spec.name,
        foreignUuid: existing.uuid,
        reason: `alias "${d.spec.name}" already exists and is not the agent's (it needs the agent's category and marker; description ${JSON.stringify(existing.description)}); rename or delete it, or use another OWNER_ID`,
      });
      continue;
    }
    const changed = aliasChanges(d.spec, aliasSpecOf(existing));
    if (changed.length === 0) unchanged++;
    else operations.push({ kind: "update-alias", key: d.key, uuid: existing.uuid, spec: d.spec, changed });
  }

  for (const a of sorted) {
    const key = ownedFirewallKey(a, owner);
    if (key !== null && !wanted.has(a.name)) operations.push({ kind: "delete-alias", key, uuid: a.uuid, name: a.name });
  }
  return { operations, conflicts, unchanged, blocked };
}

/** Rules are matched by marker key among owned rules; duplicates of one key keep the first by uuid. */
export function planRules(desired: readonly DesiredRule[], actual: readonly Rule[], owner: Owner, blocked: ReadonlyMap<string, Alias>): SubPlan {
  const operations: Operation[] = [];
  const conflicts: Conflict[] = [];
  let unchanged = 0;

  const ownedByKey = new Map<string, Rule[]>();
  for (const r of [...actual].sort(byUuid)) {
    const key = ownedFirewallKey(r, owner);
    if (key !== null) ownedByKey.set(key, [...(ownedByKey.get(key) ?? []), r]);
  }

  const kept = new Set<string>();
  for (const d of desired) {
    const foreignAlias = referencedNames(d.spec).map((n) => blocked.get(n)).find((a) => a !== undefined);
    if (foreignAlias !== undefined) {
      // Never point a rule at someone else's alias; an owned rule with this key is then deleted below.
      conflicts.push({
        objectKind: "rule",
        key: d.key,
        subject: foreignAlias.name,
        foreignUuid: foreignAlias.uuid,
        reason: `rule "${d.key}" is skipped: it would reference alias "${foreignAlias.name}", which the agent does not own`,
      });
      continue;
    }
    kept.add(d.key);
    const mine = ownedByKey.get(d.key)?.[0];
    if (mine === undefined) {
      operations.push({ kind: "create-rule", key: d.key, spec: d.spec });
      continue;
    }
    const changed = ruleChanges(d.spec, ruleSpecOf(mine));
    if (changed.length === 0) unchanged++;
    else operations.push({ kind: "update-rule", key: d.key, uuid: mine.uuid, spec: d.spec, changed });
  }

  for (const [key, list] of ownedByKey) {
    const stale = kept.has(key) ? list.slice(1) : list;
    for (const r of stale) operations.push({ kind: "delete-rule", key, uuid: r.uuid });
  }
  return { operations, conflicts, unchanged };
}
