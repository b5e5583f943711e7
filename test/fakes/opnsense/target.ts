// The target of the contract tests: the simulator (every version row, with its control API) or a
// real OPNsense named by OPNSENSE_REAL_URL/_KEY/_SECRET/_VERSION (its one row, no control API).
// The real target is the judge of the simulator: a test that passes on both says the simulator
// behaves like OPNsense's own code there. Tests that need the control API or backend effects the
// real harness cannot show (configd, FRR, pf) are marked simulator-only and skip on the real target.
import { afterAll, afterEach, beforeEach, describe, it } from "vitest";
import type { Features, OpnVersion, SimControl, Simulator } from "./index.ts";
import { DEFAULT_VERSION, featuresOf, startOpnsenseSimulator, VERSIONS } from "./index.ts";
import { realEnv } from "./real-env.ts";
import type { CallOptions, CallResult } from "./test-client.ts";
import { at, basic, request } from "./test-client.ts";

export interface Target {
  kind: "simulator" | "real";
  /** version rows this target can play: every row on the simulator, the real release's own row otherwise */
  rows: readonly OpnVersion[];
  /** the row a test gets unless it asks for another */
  defaultRow: OpnVersion;
  /** the row in use and what it can do */
  row: OpnVersion;
  features: Features;
  url: string;
  apiKey: string;
  apiSecret: string;
  /** present on the simulator only */
  sim?: Simulator;
  control?: SimControl;
  /** a fresh install of `row` on the simulator; on the real target only its own row is allowed */
  use(row: OpnVersion): Promise<void>;
  call(method: string, path: string, opts?: CallOptions): Promise<CallResult>;
  /** deletes what the test created and restores settings it changed (real target) */
  cleanup(): Promise<void>;
  close(): Promise<void>;
}

// ---- what a test created on the real target, so it can be deleted again ----

/** delete order: referrers before what they reference */
const KIND_ORDER = ["filter", "bgp/Neighbor", "bgp/Peergroup", "bgp/Prefixlist", "alias", "category"];

interface Created {
  kind: string;
  delPath: string;
}

function createdBy(method: string, path: string, res: CallResult): Created | null {
  if (method !== "POST" || res.status !== 200 || at(res.json, "result") !== "saved") return null;
  const m = /^\/api\/(quagga\/bgp|firewall\/filter|firewall\/alias|firewall\/category)\/(add|set)_?([a-z]+)(?:\/([^/?]+))?/i.exec(path);
  if (!m) return null;
  const [, ctrl = "", verb = "", item = "", arg] = m;
  const uuid = verb.toLowerCase() === "add" ? String(at(res.json, "uuid") ?? "") : (arg ?? "");
  if (!/^[0-9a-f-]{36}$/i.test(uuid)) return null;
  const name = item[0]?.toUpperCase() + item.slice(1).toLowerCase();
  const kind = ctrl === "quagga/bgp" ? `bgp/${name}` : (ctrl.split("/")[1] ?? "");
  return { kind, delPath: `/api/${ctrl}/del${name}/${uuid}` };
}

/** a get reply's scalar view: option maps become the comma-joined selected keys */
export function flatten(item: unknown, sep: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  if (item === null || typeof item !== "object") return out;
  for (const [k, v] of Object.entries(item as Record<string, unknown>)) {
    if (v !== null && typeof v === "object") {
      const keys = Object.entries(v as Record<string, unknown>)
        .filter(([, o]) => at(o, "selected") === 1 || at(o, "selected") === "1")
        .map(([key]) => key);
      out[k] = keys.join(sep[k] ?? ",");
    } else {
      out[k] = v === undefined || v === null ? "" : String(v);
    }
  }
  return out;
}

async function openSimulator(): Promise<Target> {
  const sim = await startOpnsenseSimulator({ authFailDelayMs: 0, version: DEFAULT_VERSION });
  const t: Target = {
    kind: "simulator",
    rows: VERSIONS,
    defaultRow: DEFAULT_VERSION,
    row: DEFAULT_VERSION,
    features: featuresOf(DEFAULT_VERSION),
    url: sim.url,
    apiKey: sim.apiKey,
    apiSecret: sim.apiSecret,
    sim,
    control: sim.control,
    use: async (row) => {
      sim.control.setVersion(row);
      t.row = row;
      t.features = featuresOf(row);
    },
    call: (method, path, opts) => request(sim.url, basic(sim.apiKey, sim.apiSecret), method, path, opts),
    cleanup: async () => {},
    close: () => sim.close(),
  };
  return t;
}

async function openReal(env: NonNullable<ReturnType<typeof realEnv>>): Promise<Target> {
  const auth = basic(env.key, env.secret);
  const created: Created[] = [];
  const settings = new Map<string, Record<string, string>>();
  const raw = (method: string, path: string, opts?: CallOptions): Promise<CallResult> => request(env.url, auth, method, path, opts);
  const t: Target = {
    kind: "real",
    rows: [env.version],
    defaultRow: env.version,
    row: env.version,
    features: featuresOf(env.version),
    url: env.url,
    apiKey: env.key,
    apiSecret: env.secret,
    use: async (row) => {
      if (row !== env.version) throw new Error(`the real target is ${env.version}, not ${row}`);
    },
    call: async (method, path, opts) => {
      // remember the settings before a test first changes them, to put them back afterwards
      const model = /^\/api\/quagga\/(bgp|general)\/set$/i.exec(path)?.[1]?.toLowerCase();
      if (method === "POST" && model && !settings.has(model)) {
        const got = await raw("GET", `/api/quagga/${model}/get`);
        const scalars = flatten(at(got.json, model));
        for (const [k, v] of Object.entries(at(got.json, model) as Record<string, unknown>)) {
          // nested containers (neighbors, peergroups, …) are not settings
          if (v !== null && typeof v === "object" && !Object.values(v).some((o) => at(o, "selected") !== undefined)) delete scalars[k];
        }
        settings.set(model, scalars);
      }
      const res = await raw(method, path, opts);
      const c = createdBy(method, path, res);
      if (c && !created.some((x) => x.delPath === c.delPath)) created.push(c);
      return res;
    },
    cleanup: async () => {
      const todo = [...created].reverse().sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
      created.length = 0;
      for (const c of todo) await raw("POST", c.delPath);
      for (const [model, scalars] of settings) await raw("POST", `/api/quagga/${model}/set`, { body: { [model]: scalars } });
      settings.clear();
    },
    close: async () => {},
  };
  return t;
}

export async function openTarget(): Promise<Target> {
  const env = realEnv();
  return env ? openReal(env) : openSimulator();
}

/**
 * One target per test file: each test starts on `defaultRow` (a fresh install on the simulator)
 * and leaves the real target as it found it.
 */
export async function useTarget(): Promise<Target> {
  const t = await openTarget();
  beforeEach(() => t.use(t.defaultRow));
  afterEach(() => t.cleanup());
  afterAll(() => t.close());
  return t;
}

/** the rows of this target that have a capability (on the real target: its row, or none) */
export function rowsWhere(t: Target, pred: (f: Features, row: OpnVersion) => boolean): OpnVersion[] {
  return t.rows.filter((r) => pred(featuresOf(r), r));
}

/** the simulator's control API; only simulator-only tests may ask for it */
export function control(t: Target): SimControl {
  if (!t.control) throw new Error("simulator-only test ran on the real target");
  return t.control;
}

/** tests that need the simulator's control API or backend effects the real harness stubs */
export function simulatorOnly(t: Target, reason: string): {
  it: (name: string, fn: () => Promise<void> | void) => void;
  describe: (name: string, fn: () => void) => void;
} {
  const label = (name: string): string => `${name} [simulator-only: ${reason}]`;
  return {
    it: (name, fn) => (t.control ? it : it.skip)(label(name), fn),
    describe: (name, fn) => (t.control ? describe : describe.skip)(label(name), fn),
  };
}

/** BaseListField's message for a value not in the options (26.1 names the value; a single select shows "[]") */
export function optionMessage(t: Target, value = ""): string {
  return t.features.optionMessageNamesValue ? `Option [${value}] not in list.` : "Option not in list.";
}

/** it.each over rows; a statement about releases the target has no row for registers no test there */
export function eachRow(rows: readonly OpnVersion[]): (name: string, fn: (row: OpnVersion) => Promise<void>) => void {
  return (name, fn) => {
    if (rows.length > 0) it.each(rows)(name, fn);
  };
}
