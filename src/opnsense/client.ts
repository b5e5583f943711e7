/** The facade the rest of the agent uses; every method maps to the requests listed in its module. */
import type { AliasSpec, Capabilities, NeighborSpec, PeerGroup, PrefixRowSpec, RouterSnapshot, RuleSpec } from "../domain/types.ts";
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
import { runPreflight } from "./preflight.ts";
import type { InterfaceSetting, PreflightResult } from "./preflight.ts";
import { readSnapshot } from "./snapshot.ts";
import type { SnapshotOptions } from "./snapshot.ts";
import { createSlowFacts } from "./slow-facts.ts";

export type OpnsenseClientOptions = HttpOptions & {
  /**
   * The capabilities of this OPNsense session when already known (tests, a client for one
   * command); otherwise the first preflight (or probe) sets them.
   */
  readonly capabilities?: Capabilities;
  /** reconfigure/apply (configd may take up to 120 s); default max(timeoutMs, 150_000). */
  readonly actionTimeoutMs?: number;
};

export type OpnsenseClient = {
  /** `checks.interfaces`: settings naming interfaces, reported as problems when OPNsense does not offer them. */
  /** `checks.bgpModel: false`: the caller reads the BGP model right after (see PreflightOptions). */
  preflight(checks?: { readonly interfaces?: readonly InterfaceSetting[]; readonly bgpModel?: boolean }): Promise<PreflightResult>;
  /**
   * Everything one pass reads; `capabilities` in the result are this session's (after preflight).
   * What rarely changes is kept between calls (slow-facts.ts) until `forgetFacts`.
   */
  readSnapshot(opts: SnapshotOptions): Promise<RouterSnapshot>;
  /** The next preflight or snapshot reads everything again (at start, on resync, after an error). */
  forgetFacts(): void;
  /** A live pf table (`alias_util/list`), e.g. `__lan_network`: read only to explain a BGP session that stays down. */
  readPfTable(name: string): Promise<string[]>;

  /** `peerGroups`: the groups the snapshot read, to map the spec's group name to its uuid. */
  createNeighbor(spec: NeighborSpec, peerGroups: readonly PeerGroup[]): Promise<string>;
  updateNeighbor(uuid: string, spec: NeighborSpec, peerGroups: readonly PeerGroup[]): Promise<void>;
  deleteNeighbor(uuid: string): Promise<void>;
  /** Creates or replaces the prefix-list row at `uuid` (an upsert). */
  putPrefixRow(uuid: string, spec: PrefixRowSpec): Promise<void>;
  createPrefixRow(spec: PrefixRowSpec): Promise<string>;
  deletePrefixRow(uuid: string): Promise<void>;
  createAlias(spec: AliasSpec, categoryUuid: string): Promise<string>;
  updateAlias(uuid: string, spec: AliasSpec, categoryUuid: string): Promise<void>;
  deleteAlias(uuid: string): Promise<void>;
  createRule(spec: RuleSpec, categoryUuid: string): Promise<string>;
  updateRule(uuid: string, spec: RuleSpec, categoryUuid: string): Promise<void>;
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
  /** One small authenticated GET without retries: false on network error, timeout or 5xx. */
  checkReachable(timeoutMs: number): Promise<boolean>;
};

export function createOpnsenseClient(opts: OpnsenseClientOptions): OpnsenseClient {
  const http = createHttp(opts);
  const actionTimeoutMs = opts.actionTimeoutMs ?? Math.max(opts.timeoutMs, 150_000);
  /** The capabilities of this session: set by preflight, refined by each snapshot, used by every write. */
  let lastCaps: Capabilities | null = opts.capabilities ?? null;
  const session = (what: string): Capabilities => {
    // A programming error, not a router condition: passes always preflight first.
    if (lastCaps === null) throw new Error(`${what} before the OPNsense capabilities are known (preflight first)`);
    return lastCaps;
  };
  const facts = createSlowFacts();
  /** An apply changes what runs: read it again next pass, whatever the apply answered. */
  const applying = async <T>(done: () => void, action: Promise<T>): Promise<T> => {
    try {
      return await action;
    } finally {
      done();
    }
  };
  const neighborCtx = (peerGroups: readonly PeerGroup[]): NeighborWriteContext => ({ peerGroups, capabilities: session("a neighbor write") });

  return {
    async preflight(checks) {
      const result = await runPreflight(http, { url: http.baseUrl, tlsInsecure: opts.tlsInsecure === true, ...(checks?.interfaces ? { interfaces: checks.interfaces } : {}), ...(checks?.bgpModel === false ? { bgpModel: false } : {}) });
      lastCaps = result.capabilities;
      // Preflight has just read these: the snapshot of the same pass uses them (general/get once per pass).
      facts.setFrr(result.observed.frr);
      facts.setCategories(result.observed.categories);
      return result;
    },
    async readSnapshot(o) {
      const snapshot = await readSnapshot(http, session("readSnapshot"), o, facts);
      lastCaps = snapshot.capabilities;
      return snapshot;
    },
    forgetFacts: () => facts.forget(),
    readPfTable: (name) => alias.readAliasTable(http, name),

    createNeighbor: (spec, groups) => bgp.createNeighbor(http, spec, neighborCtx(groups)),
    updateNeighbor: (uuid, spec, groups) => bgp.updateNeighbor(http, uuid, spec, neighborCtx(groups)),
    deleteNeighbor: (uuid) => bgp.deleteNeighbor(http, uuid),
    putPrefixRow: (uuid, spec) => bgp.putPrefixRow(http, uuid, spec),
    createPrefixRow: (spec) => bgp.createPrefixRow(http, spec),
    deletePrefixRow: (uuid) => bgp.deletePrefixRow(http, uuid),
    createAlias: (spec, cat) => alias.createAlias(http, spec, cat),
    updateAlias: (uuid, spec, cat) => alias.updateAlias(http, uuid, spec, cat),
    deleteAlias: (uuid) => alias.deleteAlias(http, uuid),
    createRule: (spec, cat) => filter.createRule(http, spec, cat, session("a rule write")),
    updateRule: (uuid, spec, cat) => filter.updateRule(http, uuid, spec, cat, session("a rule write")),
    deleteRule: (uuid) => filter.deleteRule(http, uuid),
    createCategory: (name) => applying(() => facts.categoriesChanged(), category.createCategory(http, name)),

    reconfigureFrr: () => applying(() => facts.frrApplied(), frr.reconfigureFrr(http, actionTimeoutMs)),
    async frrStatus() {
      const status = await frr.frrStatus(http);
      // FRR did not come up (switched off, manual mode, a broken config): what was kept is suspect.
      if (status !== "running") facts.forget();
      return status;
    },
    // ≤ 26.1 a filter apply refreshes the alias tables too (§4.7).
    reloadAliases: () => applying(() => facts.firewallApplied(), alias.reloadAliases(http, actionTimeoutMs)),
    applyFilter: (revision) => applying(() => facts.firewallApplied(), filter.applyFilter(http, actionTimeoutMs, revision)),
    async savepoint() {
      if (lastCaps && !lastCaps.savepoint) return null;
      return filter.savepoint(http);
    },
    cancelRollback: (revision) => filter.cancelRollback(http, revision),
    async checkReachable(timeoutMs) {
      try {
        // A tiny firewall read, not general/get: a pass reads that at most once.
        await http.request({ method: "GET", endpoint: alias.EP.getAliasUUID, args: [alias.PROBE_ALIAS_NAME], timeoutMs, retries: 0 });
        return true;
      } catch (e) {
        if (!(e instanceof OpnsenseError)) throw e;
        // An HTTP answer below 500 (401, 403, 404, a validation) still proves the path is open.
        return e.status !== undefined && e.status < 500;
      }
    },
  };
}
