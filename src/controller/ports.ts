import type { Capabilities, RouterSnapshot } from "../domain/types.ts";
import type { RouterWriter } from "../apply/ports.ts";
import type { ClusterView } from "../cluster/types.ts";

/** What a pass reads from OPNsense. Implemented by the OPNsense client. */
export type RouterReader = {
  preflight(): Promise<{ capabilities: Capabilities; warnings: string[] }>;
  readSnapshot(caps: Capabilities, opts: { aliasNames: string[] }): Promise<RouterSnapshot>;
};

export type Router = RouterReader & RouterWriter;

/** Where the cluster view comes from: the watch cache, or a fresh LIST for the periodic resync. */
export type ClusterSource = {
  view(): ClusterView;
  listFresh(): Promise<ClusterView>;
};
