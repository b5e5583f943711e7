// Test-side control of the simulator: typed in-process API and its JSON twin under /__sim/.

import type { Reply } from "./api-types.ts";
import type { Fault } from "./faults.ts";
import { parseFault } from "./faults.ts";
import type { Counters, Fields, LegacyRule, LogEntry, PeerState, Privilege, SimState } from "./state.ts";
import { ALL_PRIVILEGES, newUuid } from "./state.ts";
import type { OpnVersion } from "./versions.ts";
import { isVersion, osFrrVersion, VERSIONS } from "./versions.ts";
import type { Collection } from "./crud.ts";
import { newTemplate } from "./crud.ts";
import { neighbors, peergroups } from "./bgp.ts";
import { prefixlists } from "./prefixlist.ts";
import { rules, legacyHash } from "./filter.ts";
import { aliases } from "./alias.ts";
import { categories } from "./category.ts";

export interface SimSnapshot {
  version: OpnVersion;
  osFrr: string;
  bgp: Fields;
  general: Fields;
  neighbors: Record<string, Fields>;
  peergroups: Record<string, Fields>;
  prefixlists: Record<string, Fields>;
  rules: Record<string, Fields>;
  aliases: Record<string, Fields>;
  categories: Record<string, Fields>;
  legacyRules: LegacyRule[];
}

export interface RunningNeighbor {
  address: string;
  uuid: string;
  state: PeerState;
  description: string;
  remoteas: string;
  updatesource: string;
  connectionsEstablished: number;
  connectionsDropped: number;
  prefixes: string[];
}

export interface RunningSnapshot {
  frr: {
    running: boolean;
    bgpd: boolean;
    asnumber: string;
    /** rendered frr.conf of the last (re)start/reload */
    conf: string;
    neighbors: RunningNeighbor[];
    lastReconfigure: number | null;
  };
  pf: {
    rules: Array<Fields & { uuid: string }>;
    tables: Record<string, string[]>;
    lastFilterApply: number | null;
    lastAliasReconfigure: number | null;
    pendingRollback: string | null;
  };
}

export interface LegacyRuleSeed {
  description?: string;
  interface?: string;
  action?: string;
  is_automatic?: boolean;
  category?: string[];
  enabled?: string;
}

export interface SimControl {
  /** back to a fresh install of the current version (also clears log, counters, faults) */
  reset(): void;
  /** switch release; the box is reset to a fresh install of that release */
  setVersion(v: OpnVersion): void;
  setPrivileges(list: readonly Privilege[]): void;
  setFrrInstalled(installed: boolean): void;
  setConfigReadonly(readonly: boolean): void;
  setAuthFailDelayMs(ms: number): void;
  /** rollback timer of filter/apply/<revision> (default 60 000 ms, §4.6) */
  setRollbackDelayMs(ms: number): void;
  seedNeighbor(fields: Record<string, string>): string;
  seedPeergroup(fields: Record<string, string>): string;
  /** one prefix-list row (one sequence entry); link it with `linkedPrefixlistIn/Out` on a neighbor */
  seedPrefixlist(fields: Record<string, string>): string;
  seedRule(fields: Record<string, string>): string;
  seedLegacyRule(seed?: LegacyRuleSeed): string;
  seedAlias(fields: Record<string, string>): string;
  seedCategory(fields: Record<string, string>): string;
  setBgp(fields: Record<string, string>): void;
  setGeneral(fields: Record<string, string>): void;
  /** what a real peer would do: bring a running session up (or down) and announce prefixes */
  setPeerState(address: string, state: PeerState, prefixes?: string[]): void;
  state(): SimSnapshot;
  running(): RunningSnapshot;
  requests(): LogEntry[];
  counters(): Counters;
  clearLog(): void;
  injectFault(fault: Fault): void;
  clearFaults(): void;
  /** after the next filter/apply or alias/reconfigure every API request hangs (or is refused) */
  lockoutAfterNextApply(mode?: "hang" | "refuse"): void;
  restoreAccess(): void;
}

export interface ControlHooks {
  setAuthFailDelayMs(ms: number): void;
  /** release requests parked by a lockout */
  releaseHung(): void;
}

function toRecord(m: Map<string, Fields>): Record<string, Fields> {
  return Object.fromEntries([...m].map(([k, v]) => [k, { ...v }]));
}

function seed(sim: SimState, c: Collection, fields: Record<string, string>): string {
  const uuid = fields["uuid"] && fields["uuid"] !== "" ? fields["uuid"] : newUuid();
  const item = { ...newTemplate(c, sim) };
  for (const [k, v] of Object.entries(fields)) if (k !== "uuid") item[k] = String(v);
  c.items(sim).set(uuid, item);
  return uuid;
}

export function createControl(sim: SimState, hooks: ControlHooks): SimControl {
  return {
    reset: () => {
      hooks.releaseHung();
      sim.reset();
    },
    setVersion: (v) => {
      hooks.releaseHung();
      sim.version = v;
      sim.reset();
    },
    setPrivileges: (list) => {
      sim.privileges = new Set(list);
    },
    setFrrInstalled: (b) => {
      sim.frrInstalled = b;
    },
    setConfigReadonly: (b) => {
      sim.configReadonly = b;
    },
    setAuthFailDelayMs: (ms) => hooks.setAuthFailDelayMs(ms),
    setRollbackDelayMs: (ms) => {
      sim.rollbackDelayMs = ms;
    },
    seedNeighbor: (f) => seed(sim, neighbors, f),
    seedPeergroup: (f) => seed(sim, peergroups, f),
    seedPrefixlist: (f) => seed(sim, prefixlists, f),
    seedRule: (f) => seed(sim, rules, f),
    seedAlias: (f) => seed(sim, aliases, f),
    seedCategory: (f) => seed(sim, categories, f),
    seedLegacyRule: (s = {}) => {
      const uuid = legacyHash(`${sim.config.legacyRules.length}:${s.description ?? ""}:${Date.now()}`);
      sim.config.legacyRules.push({
        uuid,
        description: s.description ?? "",
        interface: s.interface ?? "lan",
        action: s.action ?? "pass",
        is_automatic: s.is_automatic ?? false,
        category: s.category ?? [],
        enabled: s.enabled ?? "1",
      });
      return uuid;
    },
    setBgp: (f) => {
      sim.config.bgp = { ...sim.config.bgp, ...f };
    },
    setGeneral: (f) => {
      sim.config.general = { ...sim.config.general, ...f };
    },
    setPeerState: (address, state, prefixes) => {
      const p = sim.frr.peers.get(address);
      if (!p) throw new Error(`no running BGP peer ${address} (reconfigure first)`);
      if (state === "Established" && p.state !== "Established") {
        p.establishedAt = Date.now();
        p.connectionsEstablished++;
      }
      if (state !== "Established" && p.state === "Established") p.connectionsDropped++;
      p.state = state;
      if (prefixes) p.prefixes = [...prefixes];
      if (state !== "Established") p.prefixes = prefixes ? [...prefixes] : [];
    },
    state: () => ({
      version: sim.version,
      osFrr: osFrrVersion(sim.version),
      bgp: { ...sim.config.bgp },
      general: { ...sim.config.general },
      neighbors: toRecord(sim.config.neighbors),
      peergroups: toRecord(sim.config.peergroups),
      prefixlists: toRecord(sim.config.prefixlists),
      rules: toRecord(sim.config.rules),
      aliases: toRecord(sim.config.aliases),
      categories: toRecord(sim.config.categories),
      legacyRules: sim.config.legacyRules.map((l) => ({ ...l, category: [...l.category] })),
    }),
    running: () => ({
      frr: {
        running: sim.frr.running,
        bgpd: sim.frr.bgpd,
        asnumber: sim.frr.asnumber,
        conf: sim.frr.conf,
        neighbors: [...sim.frr.peers.values()].map((p) => ({
          address: p.address,
          uuid: p.uuid,
          state: p.state,
          description: p.fields["description"] ?? "",
          remoteas: p.fields["remoteas"] ?? "",
          updatesource: p.fields["updatesource"] ?? "",
          connectionsEstablished: p.connectionsEstablished,
          connectionsDropped: p.connectionsDropped,
          prefixes: [...p.prefixes],
        })),
        lastReconfigure: sim.frr.lastReconfigure,
      },
      pf: {
        rules: sim.pf.rules.map((r, i) => ({ ...r, uuid: sim.pf.ruleUuids[i] ?? "" })),
        tables: Object.fromEntries([...sim.pf.tables].map(([k, v]) => [k, [...v]])),
        lastFilterApply: sim.pf.lastFilterApply,
        lastAliasReconfigure: sim.pf.lastAliasReconfigure,
        pendingRollback: sim.pendingRollback?.revision ?? null,
      },
    }),
    requests: () => sim.log.map((e) => ({ ...e })),
    counters: () => ({ ...sim.counters }),
    clearLog: () => {
      sim.log = [];
    },
    injectFault: (f) => {
      sim.faults.push({ ...f, remaining: f.times ?? 1 });
    },
    clearFaults: () => {
      sim.faults = [];
    },
    lockoutAfterNextApply: (mode = "hang") => {
      sim.lockout = { mode, phase: "armed" };
    },
    restoreAccess: () => {
      sim.lockout = null;
      hooks.releaseHung();
    },
  };
}

function stringFields(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === null || typeof v !== "object") return out;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = typeof x === "string" ? x : String(x);
  return out;
}

function bad(message: string): Reply {
  return { status: 400, json: { error: message } };
}

/** JSON control routes under /__sim/ (documented in README.md) */
export function handleControlHttp(control: SimControl, method: string, path: string, body: unknown): Reply {
  const route = `${method.toUpperCase()} ${path.replace(/\/+$/, "")}`;
  const b = (body ?? {}) as Record<string, unknown>;
  try {
    switch (route) {
      case "GET /__sim/state":
        return { status: 200, json: control.state() };
      case "GET /__sim/running":
        return { status: 200, json: control.running() };
      case "GET /__sim/requests":
        return { status: 200, json: control.requests() };
      case "GET /__sim/counters":
        return { status: 200, json: control.counters() };
      case "POST /__sim/reset":
        control.reset();
        return { status: 200, json: { ok: true } };
      case "POST /__sim/clear-log":
        control.clearLog();
        return { status: 200, json: { ok: true } };
      case "POST /__sim/version": {
        const v = b["version"];
        if (!isVersion(v)) return bad(`version must be one of ${VERSIONS.join(", ")}`);
        control.setVersion(v);
        return { status: 200, json: { ok: true, version: v } };
      }
      case "POST /__sim/privileges": {
        const list = b["privileges"];
        if (!Array.isArray(list) || !list.every((p) => (ALL_PRIVILEGES as readonly unknown[]).includes(p))) {
          return bad(`privileges must be a list of ${ALL_PRIVILEGES.join(", ")}`);
        }
        control.setPrivileges(list as Privilege[]);
        return { status: 200, json: { ok: true } };
      }
      case "POST /__sim/frr-installed":
        control.setFrrInstalled(b["installed"] !== false);
        return { status: 200, json: { ok: true } };
      case "POST /__sim/readonly":
        control.setConfigReadonly(b["readonly"] !== false);
        return { status: 200, json: { ok: true } };
      case "POST /__sim/auth-delay":
        control.setAuthFailDelayMs(Number(b["ms"] ?? 0));
        return { status: 200, json: { ok: true } };
      case "POST /__sim/rollback-delay":
        control.setRollbackDelayMs(Number(b["ms"] ?? 60000));
        return { status: 200, json: { ok: true } };
      case "POST /__sim/seed/neighbor":
        return { status: 200, json: { uuid: control.seedNeighbor(stringFields(b)) } };
      case "POST /__sim/seed/peergroup":
        return { status: 200, json: { uuid: control.seedPeergroup(stringFields(b)) } };
      case "POST /__sim/seed/prefixlist":
        return { status: 200, json: { uuid: control.seedPrefixlist(stringFields(b)) } };
      case "POST /__sim/seed/rule":
        return { status: 200, json: { uuid: control.seedRule(stringFields(b)) } };
      case "POST /__sim/seed/alias":
        return { status: 200, json: { uuid: control.seedAlias(stringFields(b)) } };
      case "POST /__sim/seed/category":
        return { status: 200, json: { uuid: control.seedCategory(stringFields(b)) } };
      case "POST /__sim/seed/legacy-rule":
        return { status: 200, json: { uuid: control.seedLegacyRule(b as LegacyRuleSeed) } };
      case "POST /__sim/bgp":
        control.setBgp(stringFields(b));
        return { status: 200, json: { ok: true } };
      case "POST /__sim/general":
        control.setGeneral(stringFields(b));
        return { status: 200, json: { ok: true } };
      case "POST /__sim/peer": {
        const prefixes = Array.isArray(b["prefixes"]) ? (b["prefixes"] as unknown[]).map(String) : undefined;
        control.setPeerState(String(b["address"] ?? ""), String(b["state"] ?? "Established") as PeerState, prefixes);
        return { status: 200, json: { ok: true } };
      }
      case "POST /__sim/fault":
        control.injectFault(parseFault(b));
        return { status: 200, json: { ok: true } };
      case "POST /__sim/faults/clear":
        control.clearFaults();
        return { status: 200, json: { ok: true } };
      case "POST /__sim/lockout":
        control.lockoutAfterNextApply(b["mode"] === "refuse" ? "refuse" : "hang");
        return { status: 200, json: { ok: true } };
      case "POST /__sim/restore":
        control.restoreAccess();
        return { status: 200, json: { ok: true } };
      default:
        return { status: 404, json: { error: `unknown control route ${route}` } };
    }
  } catch (e) {
    return bad(e instanceof Error ? e.message : String(e));
  }
}
