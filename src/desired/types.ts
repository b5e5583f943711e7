import type { AliasSpec, NeighborSpec, RuleSpec } from "../domain/types.ts";

/** Something in the input that is broken; reported and skipped, never thrown. */
export type Problem = {
  /** `node`, `service` or `config`. */
  readonly kind: "node" | "service" | "config";
  /** e.g. `worker-3`, `default/web`, `LB_CLIENT_NETWORKS[1]`. */
  readonly object: string;
  readonly message: string;
};

/** Every desired object has a stable key; it is also written into the ownership marker. */
export type DesiredNeighbor = { readonly key: string; readonly node: string; readonly spec: NeighborSpec };
export type DesiredAlias = { readonly key: string; readonly spec: AliasSpec };
export type DesiredRule = { readonly key: string; readonly spec: RuleSpec };

export type DesiredState = {
  readonly categoryName: string;
  readonly neighbors: readonly DesiredNeighbor[];
  readonly aliases: readonly DesiredAlias[];
  readonly rules: readonly DesiredRule[];
  readonly problems: readonly Problem[];
  /** LB addresses that ended up in the LB alias (for the summary line). */
  readonly lbAddresses: readonly string[];
};
