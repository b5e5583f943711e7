import type { OpnsenseClient } from "../opnsense/index.ts";

export type { NeighborWriteContext } from "../opnsense/index.ts";

/**
 * What `apply` needs from OPNsense: the client's writes and actions (and the FRR status that
 * confirms a reconfigure), not the snapshot reads. Keeping
 * the port this small makes the apply order and the undo logic testable on their own.
 */
export type RouterWriter = Omit<OpnsenseClient, "preflight" | "readSnapshot" | "readPfTable" | "forgetFacts">;
