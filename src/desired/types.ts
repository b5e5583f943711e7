import type { AliasSpec, Neighbor, NeighborSpec, PrefixRowSpec, RuleSpec } from "../domain/types.ts";
import type { PassSettings } from "./pass-config.ts";

/** Something in the input that is broken or refused; reported and skipped, never thrown. */
export type Problem = {
  /** `node`, `service` or `config`. */
  readonly kind: "node" | "service" | "config";
  /** e.g. `worker-3`, `default/web`, `LB_CLIENT_NETWORKS[1]`. */
  readonly object: string;
  readonly message: string;
};

/** Every desired object has a stable key; it is also written into the ownership marker. */
export type DesiredNeighbor = {
  readonly key: string;
  readonly node: string;
  readonly spec: NeighborSpec;
  /** The address is the node's own InternalIP: only then may a hand-made neighbor there be adopted. */
  readonly ownAddress: boolean;
};
export type DesiredAlias = { readonly key: string; readonly spec: AliasSpec };
export type DesiredRule = { readonly key: string; readonly spec: RuleSpec };
/** `uuid` is fixed for the anchor row (neighbors link it) and null for the others. */
export type DesiredPrefixRow = { readonly key: string; readonly uuid: string | null; readonly spec: PrefixRowSpec };

/** Why an owned neighbor is kept although its node does not ask for it (right now). */
export type HoldReason = "invalid-input" | "removal-grace" | "deletion-guard";
export type HeldNeighbor = { readonly key: string; readonly address: string; readonly reason: HoldReason };

/** Set when a pass would delete too many owned neighbors; then it deletes none (README: Safety limits). */
export type DeletionGuard = { readonly owned: number; readonly removing: number; readonly maxFraction: number; readonly message: string };

/** What the router holds that the desired state depends on (read before computing it). */
export type RouterFacts = {
  /** The agent's neighbors now, by marker key (the first by uuid when a key is duplicated). */
  readonly ownedNeighbors: ReadonlyMap<string, Neighbor>;
  /** Keys of nodes that left the selector (or were deleted) less than REMOVAL_GRACE ago. */
  readonly inGrace: ReadonlySet<string>;
  /** `cluster=<id>` written into the node alias description; null keeps what the alias says. */
  readonly clusterClaim: string | null;
  /** The router's own addresses as far as the agent knows them (BGP router-id, OPNSENSE_URL's IP): never a peer. */
  readonly routerAddresses?: readonly string[];
};

export type DesiredState = {
  readonly categoryName: string;
  readonly neighbors: readonly DesiredNeighbor[];
  readonly prefixRows: readonly DesiredPrefixRow[];
  readonly aliases: readonly DesiredAlias[];
  readonly rules: readonly DesiredRule[];
  readonly problems: readonly Problem[];
  /** Owned neighbors kept this pass although no node asks for them, and why. */
  readonly held: readonly HeldNeighbor[];
  readonly deletionGuard: DeletionGuard | null;
  /** LB addresses that ended up in the LB alias (for the summary line). */
  readonly lbAddresses: readonly string[];
  /** The pass's effective settings: LB and accepted prefixes (with Cilium's pools), the nodes' AS. */
  readonly settings: PassSettings;
};
