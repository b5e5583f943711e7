import type { AliasSpec, Capabilities, NeighborSpec, PeerGroup, RuleSpec } from "../domain/types.ts";

export type NeighborWriteContext = { readonly peerGroups: readonly PeerGroup[]; readonly capabilities: Capabilities };

/**
 * What `apply` needs from OPNsense. The OPNsense client implements it; keeping the port this
 * small makes the apply order and the undo logic testable on their own.
 */
export type RouterWriter = {
  createNeighbor(spec: NeighborSpec, ctx: NeighborWriteContext): Promise<string>;
  updateNeighbor(uuid: string, spec: NeighborSpec, ctx: NeighborWriteContext): Promise<void>;
  deleteNeighbor(uuid: string): Promise<void>;
  createAlias(spec: AliasSpec, categoryUuid: string): Promise<string>;
  updateAlias(uuid: string, spec: AliasSpec, categoryUuid: string): Promise<void>;
  deleteAlias(uuid: string): Promise<void>;
  createRule(spec: RuleSpec, categoryUuid: string, caps: Capabilities): Promise<string>;
  updateRule(uuid: string, spec: RuleSpec, categoryUuid: string, caps: Capabilities): Promise<void>;
  deleteRule(uuid: string): Promise<void>;
  createCategory(name: string): Promise<string>;
  reconfigureFrr(): Promise<void>;
  reloadAliases(): Promise<void>;
  applyFilter(revision?: string): Promise<void>;
  savepoint(): Promise<string | null>;
  cancelRollback(revision: string): Promise<void>;
  checkReachable(timeoutMs: number): Promise<boolean>;
};
