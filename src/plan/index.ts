/** The planning layer's public surface. */
export type { Conflict, Operation, OperationKind, Plan, Suppressed } from "./types.ts";
export { computePlan, FIRST_PASS_REAPPLY, type PlanOptions } from "./compute.ts";
