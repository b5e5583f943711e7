import type { ApplyResult, ObjectCounts } from "../apply/apply.ts";
import type { DesiredState } from "../desired/types.ts";
import type { Plan } from "../plan/types.ts";

export type PassResult = "success" | "partial" | "error";

/**
 * The one line per pass that tells an operator what happened (design §7). Field names are stable:
 * dashboards and `grep` depend on them.
 */
export function summaryFields(desired: DesiredState, plan: Plan, applied: ApplyResult, durationMs: number, trigger: string) {
  const c = (k: "neighbor" | "prefix" | "alias" | "rule"): ObjectCounts => applied.counts[k];
  const unchanged = plan.unchanged;
  return {
    trigger,
    result: passResult(applied),
    dryRun: applied.dryRun || undefined,
    nodes: desired.neighbors.length,
    lbAddresses: desired.lbAddresses.length,
    neighbors: {
      created: c("neighbor").created,
      updated: c("neighbor").updated,
      deleted: c("neighbor").deleted,
      adopted: c("neighbor").adopted,
      released: c("neighbor").released,
      unchanged: unchanged.neighbors,
    },
    prefixRows: { created: c("prefix").created, updated: c("prefix").updated, deleted: c("prefix").deleted, unchanged: unchanged.prefixRows },
    held: desired.held.length,
    deletionGuard: desired.deletionGuard !== null || undefined,
    aliases: { created: c("alias").created, updated: c("alias").updated, deleted: c("alias").deleted, unchanged: unchanged.aliases },
    rules: { created: c("rule").created, updated: c("rule").updated, deleted: c("rule").deleted, unchanged: unchanged.rules },
    planned: plan.operations.length,
    suppressed: plan.suppressed.length,
    conflicts: plan.conflicts.length,
    problems: desired.problems.length,
    errors: applied.failures.length,
    frrReconfigured: applied.frrReconfigured,
    aliasesReloaded: applied.aliasesReloaded,
    filterApplied: applied.filterApplied,
    durationMs: Math.round(durationMs),
  };
}

export function passResult(applied: ApplyResult): PassResult {
  if (applied.aborted) return "error";
  if (applied.failures.length > 0 || applied.lockout) return "partial";
  return "success";
}
