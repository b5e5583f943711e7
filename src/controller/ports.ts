import type { RouterWriter } from "../apply/ports.ts";
import type { ClusterView } from "../cluster/types.ts";
import type { OpnsenseClient } from "../opnsense/index.ts";

/** What a pass reads from OPNsense. */
export type RouterReader = Pick<OpnsenseClient, "preflight" | "readSnapshot">;

export type Router = RouterReader & RouterWriter;

/** Where the cluster view comes from: the watch cache, or a fresh LIST for the periodic resync. */
export type ClusterSource = {
  view(): ClusterView;
  listFresh(): Promise<ClusterView>;
  /** The kube-system namespace UID, or null when unreadable. */
  clusterId(): Promise<string | null>;
};
