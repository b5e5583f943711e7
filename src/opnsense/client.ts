/** The facade the rest of the agent uses; every method maps to the requests listed in its module. */
import type { AliasSpec, Capabilities, NeighborSpec, PrefixRowSpec, RouterSnapshot, RuleSpec } from "../domain/types.ts";
import { OpnsenseError } from "./errors.ts";
import { createHttp } from "./http.ts";
import type { HttpOptions } from "./http.ts";
import * as bgp from "./bgp.ts";
import type { NeighborWriteContext } from "./bgp.ts";
import * as filter from "./filter.ts";
import * as alias from "./alias.ts";
import * as category from "./category.ts";
import * as frr from "./frr-service.ts";
import type { FrrServiceStatus } from "./frr-service.ts";
import { deriveCapabilities, fetchNeighborTemplate, fetchRuleTemplate, hasPeerGroups } from "./capabilities.ts";
import { runPreflight } from "./preflight.ts";
import type { InterfaceSetting, PreflightResult } from "./preflight.ts";
import { readSnapshot } from "./snapshot.ts";
import type { SnapshotOptions } from "./snapshot.ts";

export type OpnsenseClientOptions = HttpOptions & {
  /** reconfigure/apply (configd may take up to 120 s); default max(timeoutMs, 150_000). */
  readonly actionTimeoutMs?: number;
};

export type OpnsenseClient = {
  probeCapabilities(): Promise<Capabilities>;
  /** `checks.interfaces`: settings naming interfaces, reported as problems when OPNsense does not offer them. */
  preflight(checks?: { readonly interfaces?: readonly InterfaceSetting[] }): Promise<PreflightResult>;
  readSnapshot(caps: Capabilities, opts: SnapshotOptions): Promise<RouterSnapshot>;
  /** A live pf table (`alias_util/list`), e.g. `__lan_network`: read only to explain a BGP session that stays down. */
  readPfTable(name: string): Promise<string[]>;

  createNeighbor(spec: NeighborSpec, ctx: NeighborWriteContext): Promise<string>;
  updateNeighbor(uuid: string, spec: NeighborSpec, ctx: NeighborWriteContext): Promise<void>;
  deleteNeighbor(uuid: string): Promise<void>;
  /** Creates or replaces the prefix-list row at `uuid` (an upsert). */
  putPrefixRow(uuid: string, spec: PrefixRowSpec): Promise<void>;
  createPrefixRow(spec: PrefixRowSpec): Promise<string>;
  deletePrefixRow(uuid: string): Promise<void>;
  createAlias(spec: AliasSpec, categoryUuid: string): Promise<string>;
  updateAlias(uuid: string, spec: AliasSpec, categoryUuid: string): Promise<void>;
  deleteAlias(uuid: string): Promise<void>;
  createRule(spec: RuleSpec, categoryUuid: string, caps: Capabilities): Promise<string>;
  updateRule(uuid: string, spec: RuleSpec, categoryUuid: string, caps: Capabilities): Promise<void>;
  deleteRule(uuid: string): Promise<void>;
  createCategory(name: string): Promise<string>;

  reconfigureFrr(): Promise<void>;
  frrStatus(): Promise<FrrServiceStatus>;
  reloadAliases(): Promise<void>;
  applyFilter(revision?: string): Promise<void>;
  /** null when the router has no savepoints (26.7+, as known from the last probe, or a 404). */
  savepoint(): Promise<string | null>;
  /** Disarms the rollback timer; throws when none was pending for that revision. */
  cancelRollback(revision: string): Promise<void>;
  /** One authenticated GET without retries: false on network error, timeout or 5xx. */
  checkReachable(timeoutMs: number): Promise<boolean>;
};

export function createOpnsenseClient(opts: OpnsenseClientOptions): OpnsenseClient {
  const http = createHttp(opts);
  const actionTimeoutMs = opts.actionTimeoutMs ?? Math.max(opts.timeoutMs, 150_000);
  let lastCaps: Capabilities | null = null;

  async function probeCapabilities(): Promise<Capabilities> {
    const [ruleTemplate, neighborTemplate, peerGroupsEndpoint, model] = await Promise.all([
      fetchRuleTemplate(http),
      fetchNeighborTemplate(http),
      hasPeerGroups(http),
      bgp.readBgpModel(http),
    ]);
    lastCaps = deriveCapabilities({ ruleTemplate, neighborTemplate, peerGroupsEndpoint, bgpRootFields: model.rootFields });
    return lastCaps;
  }

  return {
    probeCapabilities,
    async preflight(checks) {
      const result = await runPreflight(http, { url: http.baseUrl, tlsInsecure: opts.tlsInsecure === true, ...(checks?.interfaces ? { interfaces: checks.interfaces } : {}) });
      lastCaps = result.capabilities;
      return result;
    },
    readSnapshot: (caps, o) => readSnapshot(http, caps, o),
    readPfTable: (name) => alias.readAliasTable(http, name),

    createNeighbor: (spec, ctx) => bgp.createNeighbor(http, spec, ctx),
    updateNeighbor: (uuid, spec, ctx) => bgp.updateNeighbor(http, uuid, spec, ctx),
    deleteNeighbor: (uuid) => bgp.deleteNeighbor(http, uuid),
    putPrefixRow: (uuid, spec) => bgp.putPrefixRow(http, uuid, spec),
    createPrefixRow: (spec) => bgp.createPrefixRow(http, spec),
    deletePrefixRow: (uuid) => bgp.deletePrefixRow(http, uuid),
    createAlias: (spec, cat) => alias.createAlias(http, spec, cat),
    updateAlias: (uuid, spec, cat) => alias.updateAlias(http, uuid, spec, cat),
    deleteAlias: (uuid) => alias.deleteAlias(http, uuid),
    createRule: (spec, cat, caps) => filter.createRule(http, spec, cat, caps),
    updateRule: (uuid, spec, cat, caps) => filter.updateRule(http, uuid, spec, cat, caps),
    deleteRule: (uuid) => filter.deleteRule(http, uuid),
    createCategory: (name) => category.createCategory(http, name),

    reconfigureFrr: () => frr.reconfigureFrr(http, actionTimeoutMs),
    frrStatus: () => frr.frrStatus(http),
    reloadAliases: () => alias.reloadAliases(http, actionTimeoutMs),
    applyFilter: (revision) => filter.applyFilter(http, actionTimeoutMs, revision),
    async savepoint() {
      if (lastCaps && !lastCaps.savepoint) return null;
      return filter.savepoint(http);
    },
    cancelRollback: (revision) => filter.cancelRollback(http, revision),
    async checkReachable(timeoutMs) {
      try {
        await http.request({ method: "GET", endpoint: bgp.EP.generalGet, timeoutMs, retries: 0 });
        return true;
      } catch (e) {
        if (!(e instanceof OpnsenseError)) throw e;
        // An HTTP answer below 500 (401, 403, 404, a validation) still proves the path is open.
        return e.status !== undefined && e.status < 500;
      }
    },
  };
}
