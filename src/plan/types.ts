import type { AliasSpec, NeighborSpec, PrefixRowSpec, RuleSpec } from "../domain/types.ts";

/** One write against OPNsense. Ordered by the planner so that no reference ever dangles. */
export type Operation =
  | { readonly kind: "create-category"; readonly name: string }
  | { readonly kind: "create-neighbor"; readonly key: string; readonly spec: NeighborSpec }
  | { readonly kind: "update-neighbor"; readonly key: string; readonly uuid: string; readonly spec: NeighborSpec; readonly changed: readonly string[]; readonly adopt: boolean }
  | { readonly kind: "delete-neighbor"; readonly key: string; readonly uuid: string; readonly address: string }
  /** An adopted neighbor whose node is gone: its marker is removed instead of deleting it. */
  | { readonly kind: "release-neighbor"; readonly key: string; readonly uuid: string; readonly spec: NeighborSpec; readonly address: string }
  /** `uuid` null: a fresh one; else written at that uuid (the anchor row). */
  | { readonly kind: "create-prefix"; readonly key: string; readonly uuid: string | null; readonly spec: PrefixRowSpec }
  | { readonly kind: "update-prefix"; readonly key: string; readonly uuid: string; readonly spec: PrefixRowSpec; readonly changed: readonly string[] }
  | { readonly kind: "delete-prefix"; readonly key: string; readonly uuid: string }
  | { readonly kind: "create-alias"; readonly key: string; readonly spec: AliasSpec }
  | { readonly kind: "update-alias"; readonly key: string; readonly uuid: string; readonly spec: AliasSpec; readonly changed: readonly string[] }
  | { readonly kind: "delete-alias"; readonly key: string; readonly uuid: string; readonly name: string }
  | { readonly kind: "create-rule"; readonly key: string; readonly spec: RuleSpec }
  | { readonly kind: "update-rule"; readonly key: string; readonly uuid: string; readonly spec: RuleSpec; readonly changed: readonly string[] }
  | { readonly kind: "delete-rule"; readonly key: string; readonly uuid: string };

export type OperationKind = Operation["kind"];

/** A desired object that collides with an object the agent does not own; left alone and reported. */
export type Conflict = {
  readonly objectKind: "neighbor" | "prefix" | "alias" | "rule" | "category";
  readonly key: string;
  /** e.g. node name for neighbors. */
  readonly subject: string;
  readonly foreignUuid: string;
  readonly reason: string;
};

/** A change the policy forbade (e.g. a delete under upsert-only); reported at debug level. */
export type Suppressed = { readonly operation: Operation; readonly policy: string };

export type Plan = {
  readonly operations: readonly Operation[];
  readonly conflicts: readonly Conflict[];
  readonly suppressed: readonly Suppressed[];
  readonly unchanged: { readonly neighbors: number; readonly prefixRows: number; readonly aliases: number; readonly rules: number };
  /** The applies after the writes, decided here and only executed by apply. */
  readonly actions: PlanActions;
  /** Why a reconfigure/apply is needed without writes (for the log). */
  readonly pendingReasons: readonly string[];
};

/** `alias` = `alias/reconfigure` (reloads rules too), `filter` = `filter/apply`. */
export type FirewallAction = "aliases" | "filter";

/**
 * `always`: something saved is not running (or an earlier pass of this process left it undone);
 * `if-written`: only when at least one write of this pass for that subsystem succeeds (a change
 * set whose writes all failed has nothing new to apply).
 */
export type ApplyMode = "always" | "if-written";

export type PlanActions = {
  /** Reconfigure FRR (neighbors and prefix lists), or not. */
  readonly frr: ApplyMode | null;
  /** Reload pf: which action, and when. */
  readonly firewall: { readonly action: FirewallAction; readonly mode: ApplyMode } | null;
  /** Wrap a rule-only filter apply in OPNsense's savepoint/rollback (only where that works). */
  readonly savepoint: boolean;
};

/** What an earlier pass of this process left undone: the only state carried from pass to pass. */
export type CarryOver = {
  /** A reconfigure the last pass needed and did not get done. */
  readonly frrPending: boolean;
  /** A firewall action the last pass needed and did not get done (pf's rules cannot be read back). */
  readonly firewallPending: FirewallAction | null;
  /** No pass of this process has completed: pf may run an older ruleset than the saved one. */
  readonly firstPassSinceStart: boolean;
};

export const FRESH_START: CarryOver = { frrPending: false, firewallPending: null, firstPassSinceStart: true };
