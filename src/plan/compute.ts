import type { RouterSnapshot } from "../domain/types.ts";
import type { Policy } from "../config/types.ts";
import type { DesiredState } from "../desired/types.ts";
import type { ApplyMode, CarryOver, Operation, OperationKind, Plan, PlanActions, Suppressed } from "./types.ts";
import { makeOwner, ownedFirewallKey } from "./ownership.ts";
import { planNeighbors } from "./neighbors.ts";
import { planPrefixRows } from "./prefix-rows.ts";
import { planAliases, planRules } from "./firewall.ts";
import { aliasPendingReasons, frrPendingReasons } from "./pending.ts";

export type PlanOptions = {
  readonly ownerId: string;
  readonly policy: Policy;
  readonly adoptExisting: boolean;
  /** What earlier passes of this process left undone. */
  readonly carry: CarryOver;
};

/**
 * Execution order (design §4): the category before anything that carries it; neighbors
 * (independent of the firewall); aliases before the rules that use them; rule deletes
 * before alias deletes, because OPNsense refuses to delete an alias in use.
 */
const ORDER: readonly OperationKind[] = [
  "create-category",
  // Prefix-list rows before the neighbors that link them; unlink before deleting a row
  // (os-frr ≥ 1.52 refuses to delete a linked row, older ones leave the link dangling).
  "create-prefix",
  "update-prefix",
  "update-neighbor",
  "create-neighbor",
  "release-neighbor",
  "delete-neighbor",
  "delete-prefix",
  "create-alias",
  "update-alias",
  "create-rule",
  "update-rule",
  "delete-rule",
  "delete-alias",
];

function isDelete(op: Operation): boolean {
  return op.kind.startsWith("delete-") || op.kind === "release-neighbor";
}
function isUpdate(op: Operation): boolean {
  return op.kind.startsWith("update-");
}

/** ExternalDNS-style policies: upsert-only never deletes, create-only never updates or deletes. */
function allowed(op: Operation, policy: Policy): boolean {
  if (policy === "sync") return true;
  if (isDelete(op)) return false;
  return policy === "upsert-only" || !isUpdate(op);
}

/** Changes FRR must be reconfigured for: neighbors and the prefix list they link. */
function isBgpOp(op: Operation): boolean {
  return op.kind.endsWith("-neighbor") || op.kind.endsWith("-prefix");
}
function isAliasOp(op: Operation): boolean {
  return op.kind.endsWith("-alias");
}
function isRuleOp(op: Operation): boolean {
  return op.kind.endsWith("-rule");
}

/**
 * The ordered writes that take the router from `actual` to `desired`, touching only objects
 * the agent owns (plus explicitly adopted neighbors). Pure: same input, same plan.
 */
/** The precautionary rule apply of the first pass after a start: not a pending change. */
export const FIRST_PASS_REAPPLY = "first pass since start: OPNsense cannot show which rules pf runs";

export function computePlan(desired: DesiredState, actual: RouterSnapshot, opts: PlanOptions): Plan {
  const owner = makeOwner(opts.ownerId, desired.categoryName, actual.categories);
  const caps = actual.capabilities;

  const neighbors = planNeighbors(desired.neighbors, actual.neighbors, owner, { adoptExisting: opts.adoptExisting, caps });
  const prefixRows = planPrefixRows(desired.prefixRows, actual.prefixRows, owner);
  const aliases = planAliases(desired.aliases, actual.aliases, owner);
  const rules = planRules(desired.rules, actual.rules, owner, aliases.blocked);

  const proposed = [...prefixRows.operations, ...neighbors.operations, ...aliases.operations, ...rules.operations];
  const operations: Operation[] = [];
  const suppressed: Suppressed[] = [];
  for (const op of proposed) {
    if (allowed(op, opts.policy)) operations.push(op);
    else suppressed.push({ operation: op, policy: opts.policy });
  }

  const needsCategory = operations.some((op) => op.kind === "create-alias" || op.kind === "create-rule");
  if (needsCategory && owner.categoryUuids.size === 0) operations.push({ kind: "create-category", name: desired.categoryName });

  const rank = (op: Operation): number => ORDER.indexOf(op.kind);
  const ordered = operations.map((op, i) => ({ op, i })).sort((a, b) => rank(a.op) - rank(b.op) || a.i - b.i).map((x) => x.op);

  const pendingReasons: string[] = [];
  const frrPending = frrPendingReasons(actual, owner);
  const aliasPending = aliasPendingReasons(actual, owner);
  pendingReasons.push(...frrPending, ...aliasPending);
  const ownedRules = actual.rules.some((r) => ownedFirewallKey(r, owner) !== null);
  const firstPassApply = opts.carry.firstPassSinceStart && ownedRules;
  if (firstPassApply) pendingReasons.push(FIRST_PASS_REAPPLY);

  return {
    operations: ordered,
    conflicts: [...prefixRows.conflicts, ...neighbors.conflicts, ...aliases.conflicts, ...rules.conflicts],
    suppressed,
    unchanged: { neighbors: neighbors.unchanged, prefixRows: prefixRows.unchanged, aliases: aliases.unchanged, rules: rules.unchanged },
    actions: decideActions({
      bgpOps: ordered.some(isBgpOp),
      aliasOps: ordered.some(isAliasOp),
      ruleOps: ordered.some(isRuleOp),
      frrNotRunning: frrPending.length > 0,
      aliasesNotLoaded: aliasPending.length > 0,
      firstPassApply,
      carry: opts.carry,
      serverRollback: caps.serverRollback,
    }),
    pendingReasons,
  };
}

/**
 * Which applies follow the writes. An alias reload also reloads the rules, so it wins over a
 * filter apply; the savepoint only makes sense for a filter apply of rule changes (it is what
 * applies the revision), and only where OPNsense's rollback works.
 */
export function decideActions(f: {
  readonly bgpOps: boolean;
  readonly aliasOps: boolean;
  readonly ruleOps: boolean;
  readonly frrNotRunning: boolean;
  readonly aliasesNotLoaded: boolean;
  readonly firstPassApply: boolean;
  readonly carry: CarryOver;
  readonly serverRollback: boolean;
}): PlanActions {
  const mode = (always: boolean, written: boolean): ApplyMode | null => (always ? "always" : written ? "if-written" : null);
  const frr = mode(f.frrNotRunning || f.carry.frrPending, f.bgpOps);
  const aliases = mode(f.aliasesNotLoaded || f.carry.firewallPending === "aliases", f.aliasOps);
  const filter = mode(f.firstPassApply || f.carry.firewallPending === "filter", f.ruleOps);
  // "always" for either part makes the reload unconditional; otherwise it waits for a write.
  const firewall =
    aliases !== null
      ? { action: "aliases" as const, mode: aliases === "always" || filter === "always" ? ("always" as const) : ("if-written" as const) }
      : filter !== null
        ? { action: "filter" as const, mode: filter }
        : null;
  return { frr, firewall, savepoint: firewall?.action === "filter" && f.ruleOps && f.serverRollback };
}
