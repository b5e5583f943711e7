import type { RouterWriter } from "../apply/ports.ts";
import type { ClusterView } from "../cluster/types.ts";
import type { OpnsenseClient } from "../opnsense/index.ts";

/** What a pass reads from OPNsense, and when the facts kept between passes are read again. */
export type RouterReader = Pick<OpnsenseClient, "preflight" | "readSnapshot" | "readPfTable" | "forgetFacts">;

export type Router = RouterReader & RouterWriter;

/** Where the cluster view comes from: the watch cache, or a fresh LIST for the periodic resync. */
export type ClusterSource = {
  view(): ClusterView;
  listFresh(): Promise<ClusterView>;
  /** Names of the nodes matching any of these label selectors (Cilium's BGP nodeSelectors); optional. */
  nodesSelectedBy?(selectors: readonly string[]): Promise<readonly string[]>;
  /** The kube-system namespace UID, or null when unreadable. */
  clusterId(): Promise<string | null>;
};

/**
 * Where a firewall suspension outlives the process (the Lease annotation). Values are opaque
 * strings here; the controller encodes them.
 */
export type SuspensionStore = {
  /** For logs, e.g. `lease kube-system/opnsense-bgp-agent`. */
  readonly location: string;
  /** The command that clears it, for logs and /readyz. */
  readonly clearCommand: string;
  /** The annotation's value, null when absent. */
  read(): Promise<string | null>;
  write(value: string): Promise<void>;
};
