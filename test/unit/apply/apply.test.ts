import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { applyPlan } from "../../../src/apply/apply.ts";
import type { RouterWriter } from "../../../src/apply/ports.ts";
import type { CarryOver, Operation, Plan } from "../../../src/plan/types.ts";
import { decideActions } from "../../../src/plan/compute.ts";
import type { NeighborSpec, RuleSpec } from "../../../src/domain/types.ts";
import { CAPS } from "../desired/fixtures.ts";
import { neighbor, rule as ruleRow, snapshot as emptySnapshot, STEADY } from "../plan/helpers.ts";

const CAPS_26_1 = CAPS["26.1"];
function neighborSpec(address: string, node: string): NeighborSpec {
  const { uuid: _u, ...spec } = neighbor("-", address, `opnsense-bgp-agent:default node=${node}`);
  return spec;
}
function ruleSpec(key: string): RuleSpec {
  const { uuid: _u, categories: _c, ...spec } = ruleRow("-", `opnsense-bgp-agent:default ${key}`, []);
  return spec;
}

/** Records every call in order; behaviour per method can be overridden. The unit under test is applyPlan. */
function recordingWriter(over: Partial<RouterWriter> = {}) {
  const calls: string[] = [];
  let n = 0;
  const uuid = () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;
  const rec =
    <A extends unknown[], R>(name: string, result: (...a: A) => R) =>
    async (...a: A): Promise<R> => {
      calls.push(`${name}${typeof a[0] === "string" ? ` ${a[0]}` : ""}`);
      return result(...a);
    };
  const base: RouterWriter = {
    createNeighbor: rec("createNeighbor", () => uuid()),
    updateNeighbor: rec("updateNeighbor", () => undefined),
    deleteNeighbor: rec("deleteNeighbor", () => undefined),
    putPrefixRow: rec("putPrefixRow", () => undefined),
    createPrefixRow: rec("createPrefixRow", () => uuid()),
    deletePrefixRow: rec("deletePrefixRow", () => undefined),
    createAlias: rec("createAlias", () => uuid()),
    updateAlias: rec("updateAlias", () => undefined),
    deleteAlias: rec("deleteAlias", () => undefined),
    createRule: rec("createRule", () => uuid()),
    updateRule: rec("updateRule", () => undefined),
    deleteRule: rec("deleteRule", () => undefined),
    createCategory: rec("createCategory", () => "cat-uuid"),
    reconfigureFrr: rec("reconfigureFrr", () => undefined),
    frrStatus: rec("frrStatus", () => "running" as const),
    reloadAliases: rec("reloadAliases", () => undefined),
    applyFilter: rec("applyFilter", () => undefined),
    savepoint: rec("savepoint", () => "1700000000.12"),
    cancelRollback: rec("cancelRollback", () => undefined),
    checkReachable: rec("checkReachable", () => true),
  };
  const writer: RouterWriter = { ...base };
  for (const [k, fn] of Object.entries(over)) {
    const orig = fn as (...a: unknown[]) => unknown;
    (writer as Record<string, unknown>)[k] = async (...a: unknown[]) => {
      calls.push(`${k}${typeof a[0] === "string" ? ` ${a[0]}` : ""}`);
      return orig(...a);
    };
  }
  return { writer, calls };
}

/** A plan of these operations whose actions the planner's own rule decides. */
function plan(
  operations: Operation[],
  o: { carry?: Partial<CarryOver>; frrNotRunning?: boolean; aliasesNotLoaded?: boolean; serverRollback?: boolean; pendingReasons?: string[] } = {},
): Plan {
  const has = (suffix: string) => operations.some((op) => op.kind.endsWith(suffix));
  return {
    operations,
    conflicts: [],
    suppressed: [],
    unchanged: { neighbors: 0, prefixRows: 0, aliases: 0, rules: 0 },
    actions: decideActions({
      bgpOps: has("-neighbor") || has("-prefix"),
      aliasOps: has("-alias"),
      ruleOps: has("-rule"),
      frrNotRunning: o.frrNotRunning ?? false,
      aliasesNotLoaded: o.aliasesNotLoaded ?? false,
      firstPassApply: false,
      carry: { ...STEADY, ...o.carry },
      serverRollback: o.serverRollback ?? false,
    }),
    pendingReasons: o.pendingReasons ?? [],
  };
}

const logger = pino({ level: "silent" });
const fast = { checkTimeoutMs: 10, attempts: 2, intervalMs: 1, undoDeadlineMs: 200 };
const base = { snapshot: emptySnapshot({}, CAPS_26_1), logger, dryRun: false, categoryName: "opnsense-bgp-agent", firewallSuspended: false, reachability: fast };

const n1: Operation = { kind: "create-neighbor", key: "node=w1", spec: neighborSpec("10.0.0.1", "w1") };
const n2: Operation = { kind: "create-neighbor", key: "node=w2", spec: neighborSpec("10.0.0.2", "w2") };
const rule: Operation = { kind: "create-rule", key: "bgp-peers", spec: ruleSpec("bgp-peers") };

describe("applyPlan", () => {
  it("writes in plan order and reconfigures FRR once for several neighbors", async () => {
    const { writer, calls } = recordingWriter();
    const r = await applyPlan(plan([n1, n2]), { ...base, writer });
    expect(calls).toEqual(["createNeighbor", "createNeighbor", "reconfigureFrr", "frrStatus"]);
    expect(r.counts.neighbor.created).toBe(2);
    expect(r.frrReconfigured).toBe(true);
  });

  it("creates the category first and uses its uuid for rules, then applies the filter and checks reachability", async () => {
    let used = "";
    const { writer, calls } = recordingWriter({
      createRule: async (_s, cat) => {
        used = cat;
        return "rule-uuid";
      },
    });
    await applyPlan(plan([{ kind: "create-category", name: "opnsense-bgp-agent" }, rule]), { ...base, writer });
    expect(calls).toEqual(["createCategory opnsense-bgp-agent", "createRule", "applyFilter", "checkReachable"]);
    expect(used).toBe("cat-uuid");
  });

  it("reloads aliases instead of applying the filter when aliases changed (one firewall action)", async () => {
    const { writer, calls } = recordingWriter();
    const snapshot = emptySnapshot({ categories: [{ uuid: "c1", name: "opnsense-bgp-agent" }] });
    const alias: Operation = { kind: "create-alias", key: "k8s_bgp_nodes", spec: { name: "k8s_bgp_nodes", type: "host", enabled: true, content: ["10.0.0.1"], description: "x" } };
    await applyPlan(plan([alias, rule]), { ...base, snapshot, writer });
    expect(calls).toEqual(["createAlias", "createRule", "reloadAliases", "checkReachable"]);
  });

  it("spends no reachability check on a firewall apply that changed no agent rule (nothing of ours to undo)", async () => {
    const snapshot = emptySnapshot({ categories: [{ uuid: "c1", name: "opnsense-bgp-agent" }] });
    const alias: Operation = { kind: "update-alias", key: "k8s_bgp_nodes", uuid: "a1", spec: { name: "k8s_bgp_nodes", type: "host", enabled: true, content: ["10.0.0.1", "10.0.0.2"], description: "x" }, changed: ["content"] };
    const aliasOnly = recordingWriter();
    await applyPlan(plan([n1, alias]), { ...base, snapshot, writer: aliasOnly.writer });
    expect(aliasOnly.calls).toEqual(["createNeighbor", "updateAlias a1", "reconfigureFrr", "frrStatus", "reloadAliases"]);
    // A rule write that failed changed nothing either.
    const failed = recordingWriter({
      createRule: async () => {
        throw new Error("validation");
      },
    });
    await applyPlan(plan([alias, rule]), { ...base, snapshot, writer: failed.writer });
    expect(failed.calls).toEqual(["updateAlias a1", "createRule", "reloadAliases"]);
  });

  it("writes nothing in dry-run mode", async () => {
    const { writer, calls } = recordingWriter();
    const r = await applyPlan(plan([n1, rule]), { ...base, writer, dryRun: true });
    expect(calls).toEqual([]);
    expect(r.dryRun).toBe(true);
  });

  it("reports a failed write and still writes the others and reconfigures", async () => {
    const err = Object.assign(new Error("validation failed: neighbor.address"), { kind: "validation" });
    let first = true;
    const { writer, calls } = recordingWriter({
      createNeighbor: async () => {
        if (first) {
          first = false;
          throw err;
        }
        return "u2";
      },
    });
    const r = await applyPlan(plan([n1, n2]), { ...base, writer });
    expect(calls).toEqual(["createNeighbor", "createNeighbor", "reconfigureFrr", "frrStatus"]);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]?.target).toBe("create-neighbor node=w1");
    expect(r.aborted).toBeNull();
  });

  it("stops at a fatal error (403) and does not reconfigure", async () => {
    const err = Object.assign(new Error("403 Forbidden"), { kind: "permission" });
    const { writer, calls } = recordingWriter({ createNeighbor: async () => Promise.reject(err) });
    const r = await applyPlan(plan([n1, n2]), { ...base, writer });
    expect(calls).toEqual(["createNeighbor"]);
    expect(r.aborted).toContain("403");
  });

  it("does not reconfigure when every neighbor write failed", async () => {
    const err = Object.assign(new Error("bad"), { kind: "validation" });
    const { writer, calls } = recordingWriter({ createNeighbor: async () => Promise.reject(err) });
    await applyPlan(plan([n1]), { ...base, writer });
    expect(calls).not.toContain("reconfigureFrr");
  });

  it("warns, without failing the pass, when FRR is not running after the reconfigure", async () => {
    const lines: string[] = [];
    const log = pino({ level: "warn" }, { write: (l: string) => lines.push(l) });
    const { writer } = recordingWriter({ frrStatus: async () => "stopped" });
    const r = await applyPlan(plan([n1]), { ...base, logger: log, writer });
    expect(r.failures).toEqual([]);
    expect(lines.join("")).toContain('"frrStatus":"stopped"');
  });

  it("reports an FRR reconfigure that failed as pending, and does it on the next pass when told", async () => {
    const err = Object.assign(new Error("configd timeout"), { kind: "transient" });
    const failing = recordingWriter({ reconfigureFrr: async () => Promise.reject(err) });
    const first = await applyPlan(plan([n1]), { ...base, writer: failing.writer });
    expect(first.frrPending).toBe(true);
    const { writer, calls } = recordingWriter();
    const second = await applyPlan(plan([], { carry: { frrPending: first.frrPending } }), { ...base, writer });
    expect(calls).toEqual(["reconfigureFrr", "frrStatus"]);
    expect(second.frrPending).toBe(false);
  });

  it("reconfigures FRR without writes when saved changes are pending", async () => {
    const { writer, calls } = recordingWriter();
    await applyPlan(plan([], { frrNotRunning: true, pendingReasons: ["x"] }), { ...base, writer });
    expect(calls).toEqual(["reconfigureFrr", "frrStatus"]);
  });

  it("undoes the rules it created when the API is unreachable after the apply", async () => {
    let reachable = false;
    const { writer, calls } = recordingWriter({ checkReachable: async () => reachable });
    const snapshot = emptySnapshot({ categories: [{ uuid: "c1", name: "opnsense-bgp-agent" }] });
    const r = await applyPlan(plan([rule]), {
      ...base,
      snapshot,
      writer: {
        ...writer,
        deleteRule: async (u) => {
          calls.push(`deleteRule ${u}`);
          reachable = true;
        },
      },
    });
    expect(calls).toEqual(["createRule", "applyFilter", "checkReachable", "checkReachable", "deleteRule 00000000-0000-4000-8000-000000000001", "applyFilter"]);
    expect(r.lockout?.undone).toBe(true);
  });

  it("restores the previous body of a rule it updated when locked out", async () => {
    const before = ruleRow("r1", "opnsense-bgp-agent:default bgp-peers", ["c1"], { destinationPort: "1179" });
    const snapshot = emptySnapshot({ categories: [{ uuid: "c1", name: "opnsense-bgp-agent" }], rules: [before] });
    const bodies: string[] = [];
    const { writer } = recordingWriter({
      checkReachable: async () => false,
      updateRule: async (_u, spec) => {
        bodies.push(spec.destinationPort);
      },
    });
    const upd: Operation = { kind: "update-rule", key: "bgp-peers", uuid: "r1", spec: ruleSpec("bgp-peers"), changed: ["destinationPort"] };
    const r = await applyPlan(plan([upd]), { ...base, snapshot, writer });
    expect(bodies).toEqual(["179", "1179"]);
    expect(r.lockout?.undone).toBe(true);
  });

  it("uses the savepoint on 24.1–25.1 and cancels the rollback once reachable", async () => {
    const { writer, calls } = recordingWriter();
    const snapshot = emptySnapshot({ categories: [{ uuid: "c1", name: "opnsense-bgp-agent" }] }, CAPS["25.1"]);
    await applyPlan(plan([rule], { serverRollback: true }), { ...base, snapshot, writer });
    expect(calls).toEqual(["savepoint", "createRule", "applyFilter 1700000000.12", "checkReachable", "cancelRollback 1700000000.12"]);
  });

  it("no savepoint when the firewall action will be an alias reload (carried over or pending): its revision would never be applied", async () => {
    const snapshot = emptySnapshot({ categories: [{ uuid: "c1", name: "opnsense-bgp-agent" }] }, CAPS["25.1"]);
    const carried = recordingWriter();
    await applyPlan(plan([rule], { serverRollback: true, carry: { firewallPending: "aliases" } }), { ...base, snapshot, writer: carried.writer });
    expect(carried.calls).toEqual(["createRule", "reloadAliases", "checkReachable"]);
    const pending = recordingWriter();
    await applyPlan(plan([rule], { serverRollback: true, aliasesNotLoaded: true }), { ...base, snapshot, writer: pending.writer });
    expect(pending.calls).toEqual(["createRule", "reloadAliases", "checkReachable"]);
  });

  it("skips firewall operations while firewall changes are suspended", async () => {
    const { writer, calls } = recordingWriter();
    await applyPlan(plan([n1, rule]), { ...base, writer, firewallSuspended: true });
    expect(calls).toEqual(["createNeighbor", "reconfigureFrr", "frrStatus"]);
  });
});
