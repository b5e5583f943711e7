import { randomUUID } from "node:crypto";
import type { OpnVersion } from "./versions.ts";
import type { Features } from "./versions.ts";
import { featuresOf } from "./versions.ts";
import type { Fault } from "./faults.ts";

/** One saved item: every value is a string, as in config.xml. */
export type Fields = Record<string, string>;

export type Privilege =
  | "page-routing"
  | "page-filter-api"
  | "page-firewall-alias-edit"
  | "page-firewall-categories"
  | "page-diagnostics-tables";

export const ALL_PRIVILEGES: readonly Privilege[] = [
  "page-routing",
  "page-filter-api",
  "page-firewall-alias-edit",
  "page-firewall-categories",
  "page-diagnostics-tables",
];

export interface InterfaceInfo {
  descr: string;
  device: string;
  ipv4: string;
  subnet: number;
}

export const INTERFACES: Readonly<Record<string, InterfaceInfo>> = {
  lan: { descr: "LAN", device: "vtnet1", ipv4: "10.0.20.1", subnet: 24 },
  wan: { descr: "WAN", device: "vtnet0", ipv4: "192.0.2.10", subnet: 24 },
  opt1: { descr: "OPT1", device: "vtnet2", ipv4: "10.0.30.1", subnet: 24 },
};

/** What pf's `__<if>_network` table holds: the interface's IPv4 network, e.g. `10.0.20.0/24`. */
export function interfaceNetwork(info: InterfaceInfo): string {
  const value = info.ipv4.split(".").reduce((v, o) => v * 256 + Number(o), 0);
  const size = 2 ** (32 - info.subnet);
  const base = Math.floor(value / size) * size;
  return `${[24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join(".")}/${info.subnet}`;
}

/** Rules that live outside the MVC model (legacy GUI rules and automatic rules). */
export interface LegacyRule {
  uuid: string;
  description: string;
  interface: string;
  action: string;
  is_automatic: boolean;
  /** category names, as legacy rules store them */
  category: string[];
  enabled: string;
}

export interface SavedConfig {
  bgp: Fields;
  general: Fields;
  neighbors: Map<string, Fields>;
  peergroups: Map<string, Fields>;
  prefixlists: Map<string, Fields>;
  rules: Map<string, Fields>;
  aliases: Map<string, Fields>;
  categories: Map<string, Fields>;
  legacyRules: LegacyRule[];
}

export type PeerState = "Idle" | "Connect" | "Active" | "OpenSent" | "OpenConfirm" | "Established";

export interface RunningPeer {
  address: string;
  /** the saved neighbor the session was configured from */
  uuid: string;
  fields: Fields;
  /** rendered neighbor lines minus description; a change resets the session on reload */
  signature: string;
  state: PeerState;
  establishedAt: number;
  connectionsEstablished: number;
  connectionsDropped: number;
  prefixes: string[];
}

export interface RunningFrr {
  /** daemon state; bgpd runs when general.enabled and bgp.enabled were 1 at the last (re)start */
  running: boolean;
  bgpd: boolean;
  asnumber: string;
  routerId: string;
  conf: string;
  peers: Map<string, RunningPeer>;
  lastReconfigure: number | null;
}

export interface RunningPf {
  rules: Fields[];
  ruleUuids: string[];
  tables: Map<string, string[]>;
  lastFilterApply: number | null;
  lastAliasReconfigure: number | null;
}

export interface Counters {
  writes: number;
  reconfigures: number;
  filterApplies: number;
  aliasReconfigures: number;
  backups: number;
  sessionsDropped: number;
  rollbacks: number;
  requests: number;
}

export interface LogEntry {
  method: string;
  path: string;
  query: string;
  body: unknown;
  status: number;
  time: string;
  durationMs: number;
}

export interface PendingRollback {
  revision: string;
  timer: NodeJS.Timeout;
}

function freshCounters(): Counters {
  return {
    writes: 0,
    reconfigures: 0,
    filterApplies: 0,
    aliasReconfigures: 0,
    backups: 0,
    sessionsDropped: 0,
    rollbacks: 0,
    requests: 0,
  };
}

export function newUuid(): string {
  return randomUUID();
}

export function initialGeneral(version: OpnVersion): Fields {
  const g: Fields = {
    enabled: "1",
    profile: "traditional",
    enablecarp: "0",
    enablesnmp: "0",
    enablesyslog: "0",
    sysloglevel: "notifications",
    fwrules: "1",
  };
  if (featuresOf(version).osFrrMinor >= 54) g["manual_config"] = "0";
  return g;
}

export function initialBgp(version: OpnVersion): Fields {
  const frrAtLeast = (minor: number): boolean => featuresOf(version).osFrrMinor >= minor;
  const b: Fields = {
    enabled: "1",
    asnumber: "64555",
    routerid: "",
    graceful: "0",
    networks: "",
    redistribute: "",
  };
  if (frrAtLeast(31)) b["networkimportcheck"] = "1";
  if (frrAtLeast(34)) b["logneighborchanges"] = "0";
  if (frrAtLeast(40)) b["distance"] = "";
  if (frrAtLeast(48)) {
    b["enforce_first_as"] = "1";
    b["bestpath"] = "";
  }
  if (frrAtLeast(52)) {
    b["maximumpaths"] = "";
    b["maximumpathsibgp"] = "";
  }
  return b;
}

export class SimState {
  version: OpnVersion;
  frrInstalled: boolean;
  /** reset() returns to the start option */
  readonly initialFrrInstalled: boolean;
  configReadonly = false;
  privileges: Set<Privilege> = new Set(ALL_PRIVILEGES);
  config: SavedConfig;
  frr: RunningFrr;
  pf: RunningPf;
  counters: Counters = freshCounters();
  log: LogEntry[] = [];
  faults: Array<Fault & { remaining: number }> = [];
  /** "armed": the next apply/reconfigure locks out; "locked": API requests hang or get refused */
  lockout: { mode: "hang" | "refuse"; phase: "armed" | "locked" } | null = null;
  rollbackDelayMs = 60_000;
  pendingRollback: PendingRollback | null = null;
  /** savepoint snapshots keyed by the backup name (full precision revision) */
  savepoints = new Map<string, Map<string, Fields>>();
  frrServiceStopped = false;
  /** monotonic clock shift so the config revision strictly grows */
  private lastRevision = 0;

  constructor(version: OpnVersion, frrInstalled: boolean) {
    this.version = version;
    this.frrInstalled = frrInstalled;
    this.initialFrrInstalled = frrInstalled;
    this.config = this.freshConfig();
    this.frr = this.freshFrr();
    this.pf = this.freshPf();
  }

  freshConfig(): SavedConfig {
    return {
      bgp: initialBgp(this.version),
      general: initialGeneral(this.version),
      neighbors: new Map(),
      peergroups: new Map(),
      prefixlists: new Map(),
      rules: new Map(),
      aliases: new Map(),
      categories: new Map(),
      legacyRules: [],
    };
  }

  freshFrr(): RunningFrr {
    return {
      running: false,
      bgpd: false,
      asnumber: "",
      routerId: "",
      conf: "",
      peers: new Map(),
      lastReconfigure: null,
    };
  }

  freshPf(): RunningPf {
    // built-in tables exist on every box (see pf.ts builtinAliases)
    const names = ["bogons", "bogonsv6", "virusprot", "sshlockout"];
    const tables = new Map(names.map((n): [string, string[]] => [n, []]));
    for (const [name, info] of Object.entries(INTERFACES)) tables.set(`__${name}_network`, [interfaceNetwork(info)]);
    return { rules: [], ruleUuids: [], tables, lastFilterApply: null, lastAliasReconfigure: null };
  }

  reset(): void {
    if (this.pendingRollback) clearTimeout(this.pendingRollback.timer);
    this.pendingRollback = null;
    this.savepoints.clear();
    this.config = this.freshConfig();
    this.frr = this.freshFrr();
    this.pf = this.freshPf();
    this.counters = freshCounters();
    this.log = [];
    this.faults = [];
    this.lockout = null;
    this.configReadonly = false;
    this.privileges = new Set(ALL_PRIVILEGES);
    this.frrServiceStopped = false;
    this.frrInstalled = this.initialFrrInstalled;
  }

  /** a persisted config.xml write: one backup each (§2.1) */
  noteWrite(): void {
    this.counters.writes++;
    this.counters.backups++;
  }

  /** config revision as microtime; strictly increasing so two savepoints never collide */
  nextRevision(): number {
    let t = Date.now() / 1000;
    if (t <= this.lastRevision) t = this.lastRevision + 0.0001;
    this.lastRevision = t;
    return t;
  }

  /** what the current version row can do (versions.ts) */
  get features(): Features {
    return featuresOf(this.version);
  }

  frrAtLeast(minor: number): boolean {
    return this.features.osFrrMinor >= minor;
  }
}
