/** The planning layer's public surface. */
export type { Conflict, Operation, OperationKind, Plan, Suppressed } from "./types.ts";
export { computePlan, type PlanOptions } from "./compute.ts";
