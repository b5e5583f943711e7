import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ClusterView } from "../../../src/cluster/types.ts";
import { createController, type Controller, type PassReport } from "../../../src/controller/controller.ts";
import type { ClusterSource, Router, SuspensionStore } from "../../../src/controller/ports.ts";
import type { RouterSnapshot } from "../../../src/domain/types.ts";
import { createMetrics } from "../../../src/server/metrics.ts";
import { CAPS, makeConfig, node } from "../desired/fixtures.ts";
import { snapshot } from "../plan/helpers.ts";

/**
 * The loop's timing rules with a stub router and cluster (the unit under test is the controller;
 * desired, plan and apply are the real pure code). Fake timers make intervals deterministic.
 */
function harness(
  opts: {
    syncInterval?: string;
    debounce?: string;
    minApplyInterval?: string;
    failReads?: () => Error | null;
    gate?: () => Promise<void>;
    reachable?: () => boolean;
    store?: SuspensionStore;
  } = {},
) {
  const config = makeConfig({ SYNC_INTERVAL: opts.syncInterval ?? "1m", DEBOUNCE: opts.debounce ?? "2s", MIN_APPLY_INTERVAL: opts.minApplyInterval ?? "0s" });
  let view: ClusterView = { nodes: [node("worker-1", "10.0.20.11")], services: [] };
  const reads: string[] = [];
  /** Preflights and forgetFacts calls, in order. */
  const rereads: string[] = [];
  const firewallCalls: string[] = [];
  const state: { snap: RouterSnapshot } = { snap: snapshot({}, CAPS["26.1"]) };
  const router = {
    preflight: async () => {
      rereads.push("preflight");
      return {
        capabilities: CAPS["26.1"],
        warnings: [],
        interfaces: { rule: ["lan", "opt1", "wan"], updateSource: ["lan", "opt1", "wan"] },
        observed: { frr: state.snap.frr, categories: state.snap.categories },
      };
    },
    forgetFacts: () => void rereads.push("forget"),
    readSnapshot: async () => {
      reads.push(`snapshot@${Date.now()}`);
      await opts.gate?.();
      const err = opts.failReads?.();
      if (err) throw err;
      return state.snap;
    },
    readPfTable: async () => [],
    createNeighbor: async () => "n1",
    updateNeighbor: async () => undefined,
    deleteNeighbor: async () => undefined,
    putPrefixRow: async () => undefined,
    createPrefixRow: async () => "p-1",
    deletePrefixRow: async () => undefined,
    createAlias: async () => "a1",
    updateAlias: async () => undefined,
    deleteAlias: async () => undefined,
    createRule: async () => {
      firewallCalls.push("createRule");
      return "r1";
    },
    updateRule: async () => undefined,
    deleteRule: async () => undefined,
    createCategory: async () => "c1",
    reconfigureFrr: async () => undefined,
    frrStatus: async () => "running" as const,
    reloadAliases: async () => void firewallCalls.push("reloadAliases"),
    applyFilter: async () => void firewallCalls.push("applyFilter"),
    savepoint: async () => null,
    cancelRollback: async () => undefined,
    checkReachable: async () => opts.reachable?.() ?? true,
  } satisfies Router;
  const fresh: boolean[] = [];
  const cluster: ClusterSource = {
    view: () => {
      fresh.push(false);
      return view;
    },
    listFresh: async () => {
      fresh.push(true);
      return view;
    },
    clusterId: async () => "cluster-a",
  };
  const reports: PassReport[] = [];
  const metrics = createMetrics({ defaultMetrics: false });
  const controller: Controller = createController({
    config,
    router,
    cluster,
    logger: pino({ level: "silent" }),
    metrics,
    retryBackoffMs: { initial: 1000, max: 8000 },
    reachability: { checkTimeoutMs: 1, attempts: 1, intervalMs: 1, undoDeadlineMs: 1 },
    onPass: (r) => reports.push(r),
    ...(opts.store ? { suspensionStore: opts.store } : {}),
  });
  return { controller, reports, reads, rereads, fresh, metrics, state, firewallCalls, setView: (v: ClusterView) => (view = v) };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("controller loop", () => {
  it("collects a burst of triggers inside the debounce window into one pass", async () => {
    const h = harness({ debounce: "2s" });
    h.controller.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(h.reports).toHaveLength(1); // start-up pass
    for (let i = 0; i < 50; i++) {
      h.controller.trigger(`nodes added burst-${i}`);
      await vi.advanceTimersByTimeAsync(20);
    }
    await vi.advanceTimersByTimeAsync(2000);
    expect(h.reports).toHaveLength(2);
    expect(h.reports[1]?.trigger).toContain("burst-49");
    await h.controller.stop();
  });

  it("runs the periodic resync from a fresh LIST even when no watch event ever arrives", async () => {
    const h = harness({ syncInterval: "1m" });
    h.controller.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(h.fresh).toEqual([false]);
    await vi.advanceTimersByTimeAsync(3 * 60_000);
    expect(h.reports).toHaveLength(4);
    expect(h.fresh).toEqual([false, true, true, true]);
    await h.controller.stop();
  });

  it("runs one pass at a time; changes during a pass cause exactly one more pass", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let first = true;
    const h = harness({
      debounce: "100ms",
      gate: () => {
        if (!first) return Promise.resolve();
        first = false;
        return gate;
      },
    });
    const slow = h.controller.runNow("slow");
    // While the first pass is blocked reading OPNsense, changes arrive and their debounce expires.
    h.controller.trigger("a");
    h.controller.trigger("b");
    await vi.advanceTimersByTimeAsync(500);
    expect(h.reads).toHaveLength(1);
    expect(h.reports).toHaveLength(0);
    release();
    await slow;
    await vi.advanceTimersByTimeAsync(500);
    expect(h.reports.map((r) => r.trigger)).toEqual(["slow", "a, b"]);
    await h.controller.stop();
  });

  it("backs off after failures with growing delays and recovers", async () => {
    let failing = true;
    const err = Object.assign(new Error("connection refused"), { kind: "unreachable" });
    const h = harness({ syncInterval: "1h", failReads: () => (failing ? err : null) });
    const t0 = Date.now();
    h.controller.start();
    await vi.advanceTimersByTimeAsync(1000 + 2000 + 4000 + 10);
    const at = h.reads.map((r) => Number(r.split("@")[1]) - t0);
    const gaps = at.slice(1).map((t, i) => t - (at[i] ?? 0));
    expect(gaps).toHaveLength(3);
    // 1 s, 2 s, 4 s (a millisecond of timer slack each)
    gaps.forEach((g, i) => expect(Math.abs(g - 1000 * 2 ** i)).toBeLessThanOrEqual(5));
    expect(h.controller.ready().ok).toBe(false);
    failing = false;
    await vi.advanceTimersByTimeAsync(8000);
    expect(h.reports.at(-1)?.result).toBe("success");
    expect(h.controller.ready().ok).toBe(true);
    await h.controller.stop();
  });

  it("is live while passes are attempted and reports a stuck loop after several intervals", async () => {
    const h = harness({ syncInterval: "1m" });
    expect(h.controller.live().ok).toBe(true);
    await h.controller.runNow("once");
    // No timers started (start() not called): the loop is "stuck".
    await vi.advanceTimersByTimeAsync(3 * 60_000 + 61_000);
    const live = h.controller.live();
    expect(live.ok).toBe(false);
    expect(live.detail).toContain("stuck");
  });

  it("is ready only after a successful pass", async () => {
    const h = harness();
    expect(h.controller.ready().ok).toBe(false);
    await h.controller.runNow("first");
    expect(h.controller.ready().ok).toBe(true);
  });

  it("stop() waits for the running pass and prevents new ones", async () => {
    const h = harness({ syncInterval: "1m" });
    h.controller.start();
    const stopping = h.controller.stop();
    await vi.advanceTimersByTimeAsync(10);
    await stopping;
    const n = h.reports.length;
    h.controller.trigger("late");
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(h.reports).toHaveLength(n);
  });
});

/**
 * MIN_APPLY_INTERVAL. The stub router's snapshot never changes, so every pass writes and applies:
 * each pass is one FRR reconfigure plus one firewall apply, the worst case the gate must bound.
 */
describe("controller rate limit (MIN_APPLY_INTERVAL)", () => {
  const startTimes = (h: ReturnType<typeof harness>, t0: number) => h.reads.map((r) => Number(r.split("@")[1]) - t0);

  it("a change every 500 ms for 30 s gives at most one applying pass per interval, each collecting the changes held back", async () => {
    const h = harness({ debounce: "100ms", minApplyInterval: "10s", syncInterval: "1h" });
    const t0 = Date.now();
    h.controller.start();
    await vi.advanceTimersByTimeAsync(10);
    for (let i = 0; i < 60; i++) {
      h.controller.trigger(`service changed flap-${i}`);
      await vi.advanceTimersByTimeAsync(500);
    }
    await vi.advanceTimersByTimeAsync(10_000);
    const at = startTimes(h, t0);
    // start-up at 0, then one pass per 10 s: 30 s of flapping (+ the tail) is 4 passes, not 61.
    expect(at.length).toBeLessThanOrEqual(30_000 / 10_000 + 2);
    expect(at.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < at.length; i++) expect((at[i] ?? 0) - (at[i - 1] ?? 0)).toBeGreaterThanOrEqual(10_000);
    // Every flap trigger ended up in some pass: nothing is dropped, only collected.
    const triggers = h.reports.flatMap((r) => r.trigger.split(", "));
    for (let i = 0; i < 60; i++) expect(triggers).toContain(`service changed flap-${i}`);
    const held = h.reports.slice(1);
    expect(held.every((r) => (r.rateLimitedMs ?? 0) > 0)).toBe(true);
    expect(held.some((r) => (r.heldBack ?? 0) > 5)).toBe(true);
    const metrics = await h.metrics.registry.getSingleMetricAsString("opnsense_bgp_agent_rate_limited_total");
    expect(metrics).toMatch(new RegExp(`opnsense_bgp_agent_rate_limited_total ${held.length}$`, "m"));
    await h.controller.stop();
  });

  it("a change long after the last apply is not delayed beyond its debounce", async () => {
    const h = harness({ debounce: "100ms", minApplyInterval: "10s", syncInterval: "1h" });
    const t0 = Date.now();
    h.controller.start();
    await vi.advanceTimersByTimeAsync(20_000);
    h.controller.trigger("nodes added worker-2");
    await vi.advanceTimersByTimeAsync(150);
    expect(startTimes(h, t0)).toEqual([0, 20_100]);
    expect(h.reports[1]?.rateLimitedMs).toBeUndefined();
    await h.controller.stop();
  });

  it("the periodic resync waits for the gate, but no longer than the interval", async () => {
    const h = harness({ debounce: "100ms", minApplyInterval: "10s", syncInterval: "1m" });
    const t0 = Date.now();
    h.controller.start();
    await vi.advanceTimersByTimeAsync(56_900);
    h.controller.trigger("nodes added worker-2"); // pass at 57 s applies; resync due at 60 s
    await vi.advanceTimersByTimeAsync(20_000);
    expect(startTimes(h, t0)).toEqual([0, 57_000, 67_000]);
    expect(h.fresh).toEqual([false, false, true]);
    expect(h.reports[2]?.rateLimitedMs).toBe(7000);
    await h.controller.stop();
  });

  it("MIN_APPLY_INTERVAL=0 turns the gate off", async () => {
    const h = harness({ debounce: "100ms", minApplyInterval: "0s", syncInterval: "1h" });
    const t0 = Date.now();
    h.controller.start();
    await vi.advanceTimersByTimeAsync(10);
    h.controller.trigger("a");
    await vi.advanceTimersByTimeAsync(200);
    h.controller.trigger("b");
    await vi.advanceTimersByTimeAsync(200);
    expect(startTimes(h, t0)).toEqual([0, 110, 310]);
    await h.controller.stop();
  });
});

describe("controller: what the router keeps between passes is read again", () => {
  it("at start, on every resync and after a failed pass, not on an ordinary pass", async () => {
    let fail = false;
    const h = harness({ failReads: () => (fail ? Object.assign(new Error("boom"), { kind: "transient" }) : null) });
    await h.controller.runNow("startup");
    await h.controller.runNow("nodes changed");
    expect(h.rereads).toEqual(["preflight"]);
    await h.controller.runNow("resync", { fresh: true });
    expect(h.rereads).toEqual(["preflight", "forget", "preflight"]);
    fail = true;
    expect((await h.controller.runNow("nodes changed")).result).toBe("error");
    fail = false;
    await h.controller.runNow("retry");
    expect(h.rereads).toEqual(["preflight", "forget", "preflight", "forget", "preflight"]);
    await h.controller.stop();
  });
});

describe("controller: FRR/BGP switched off while running", () => {
  it("fails the pass with preflight's sentence, writes nothing, is not ready, and recovers when switched back on", async () => {
    const h = harness();
    expect((await h.controller.runNow("first")).result).toBe("success");
    h.state.snap = snapshot({ bgp: { enabled: false, asNumber: 64512, routerId: null } }, CAPS["26.1"]);
    const r = await h.controller.runNow("nodes added worker-2");
    expect(r.result).toBe("error");
    expect(r.applied).toBeNull();
    expect(r.error).toContain("BGP is disabled (bgp.enabled=0): enable it under Routing ▸ BGP.");
    const ready = h.controller.ready();
    expect(ready.ok).toBe(false);
    expect(ready.detail).toContain("BGP is disabled");
    h.state.snap = snapshot({ frr: { enabled: true, manualConfig: true } }, CAPS["26.1"]);
    expect((await h.controller.runNow("again")).error).toContain("manual configuration mode");
    h.state.snap = snapshot({}, CAPS["26.1"]);
    expect((await h.controller.runNow("fixed")).result).toBe("success");
    expect(h.controller.ready().ok).toBe(true);
  });
});

describe("controller: firewall suspension after a lockout undo", () => {
  function memoryStore(): SuspensionStore & { value: string | null } {
    const s = {
      value: null as string | null,
      location: "lease kube-system/opnsense-bgp-agent",
      clearCommand: "kubectl -n kube-system annotate lease opnsense-bgp-agent opnsense-bgp-agent/firewall-suspended-",
      read: async () => s.value,
      write: async (v: string) => {
        s.value = v;
      },
    };
    return s;
  }
  const suspendedMetric = async (h: ReturnType<typeof harness>) => (await h.metrics.registry.getSingleMetricAsString("opnsense_bgp_agent_firewall_suspended")).split("\n").at(-1);

  it("is visible (partial, not ready, metric), survives a restart through the store, and ends when the operator clears it", async () => {
    const store = memoryStore();
    let reachable = false;
    const h = harness({ store, reachable: () => reachable });
    const locked = await h.controller.runNow("nodes added worker-1");
    expect(locked.applied?.lockout?.rules.length).toBeGreaterThan(0);
    expect(locked).toMatchObject({ result: "partial", firewallSuspended: true });
    expect(JSON.parse(store.value ?? "null")).toMatchObject({ reason: expect.stringContaining("API unreachable"), rules: locked.applied?.lockout?.rules });
    expect(h.controller.ready()).toMatchObject({ ok: false, detail: expect.stringContaining("firewall changes suspended") });
    expect(h.controller.ready().detail).toContain(store.clearCommand);
    expect(await suspendedMetric(h)).toBe("opnsense_bgp_agent_firewall_suspended 1");

    reachable = true;
    h.firewallCalls.length = 0;
    expect(await h.controller.runNow("again")).toMatchObject({ result: "partial", firewallSuspended: true });
    expect(h.firewallCalls).toEqual([]);

    // A restart: a fresh controller with the same store does not repeat the change.
    const restarted = harness({ store, reachable: () => true });
    expect(await restarted.controller.runNow("startup")).toMatchObject({ result: "partial", firewallSuspended: true });
    expect(restarted.firewallCalls).toEqual([]);
    expect(restarted.controller.ready().ok).toBe(false);

    store.value = null; // kubectl annotate lease … opnsense-bgp-agent/firewall-suspended-
    const resumed = await restarted.controller.runNow("firewall suspension cleared");
    expect(resumed.result).toBe("success");
    expect(resumed.firewallSuspended).toBeUndefined();
    expect(restarted.firewallCalls).toContain("createRule");
    expect(restarted.controller.ready().ok).toBe(true);
    expect(await suspendedMetric(restarted)).toBe("opnsense_bgp_agent_firewall_suspended 0");
  });

  it("a store that cannot be written keeps the suspension in memory and retries the write", async () => {
    const store = memoryStore();
    let failWrites = true;
    const write = store.write;
    store.write = async (v) => {
      if (failWrites) throw new Error("apiserver down");
      await write(v);
    };
    const h = harness({ store, reachable: () => false });
    await h.controller.runNow("first");
    expect(store.value).toBeNull();
    expect(h.controller.ready().ok).toBe(false);
    failWrites = false;
    await h.controller.runNow("second");
    expect(store.value).toContain("API unreachable");
    expect(h.controller.ready().ok).toBe(false);
  });

  it("without a store (no leader election) the suspension lives in memory only", async () => {
    const h = harness({ reachable: () => false });
    await h.controller.runNow("first");
    expect(h.controller.ready().detail).toContain("restart the agent");
    h.firewallCalls.length = 0;
    expect((await h.controller.runNow("second")).result).toBe("partial");
    expect(h.firewallCalls).toEqual([]);
  });
});
