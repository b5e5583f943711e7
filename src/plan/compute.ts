import type { RouterSnapshot } from "../domain/types.ts";
import type { Policy } from "../config/types.ts";
import type { DesiredState } from "../desired/types.ts";
import type { Operation, OperationKind, Plan, Suppressed } from "./types.ts";
import { makeOwner, ownedFirewallKey } from "./ownership.ts";
import { planNeighbors } from "./neighbors.ts";
import { planPrefixRows } from "./prefix-rows.ts";
import { planAliases, planRules } from "./firewall.ts";
import { aliasPendingReasons, frrPendingReasons } from "./pending.ts";

export type PlanOptions = {
  readonly ownerId: string;
  readonly policy: Policy;
  readonly adoptExisting: boolean;
  /** The first pass of this process: pf may run an older ruleset than the saved one, and OPNsense cannot tell. */
  readonly firstPassSinceStart: boolean;
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
  const firstPassApply = opts.firstPassSinceStart && ownedRules;
  if (firstPassApply) pendingReasons.push(FIRST_PASS_REAPPLY);

  return {
    operations: ordered,
    conflicts: [...prefixRows.conflicts, ...neighbors.conflicts, ...aliases.conflicts, ...rules.conflicts],
    suppressed,
    unchanged: { neighbors: neighbors.unchanged, prefixRows: prefixRows.unchanged, aliases: aliases.unchanged, rules: rules.unchanged },
    reconfigureFrr: ordered.some(isBgpOp) || frrPending.length > 0,
    reloadAliases: ordered.some(isAliasOp) || aliasPending.length > 0,
    applyFilter: ordered.some(isRuleOp) || firstPassApply,
    pendingReasons,
  };
}
