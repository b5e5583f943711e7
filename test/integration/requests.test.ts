import { afterEach, describe, expect, it } from "vitest";
import { call } from "../fakes/opnsense/test-client.ts";
import { actionCalls, calls, neighbors, readCalls, writeCalls } from "./helpers.ts";
import { startWorld, type World } from "./world.ts";

/**
 * How many requests a pass costs (issue 13): the simulator's request log counted, the real agent
 * over real HTTP. What rarely changes is kept between passes (src/opnsense/slow-facts.ts) and read
 * again at start, on the periodic resync and after any error.
 */

const GENERAL = "GET /api/quagga/general/get";
const CATEGORIES = "GET /api/firewall/category/searchItem";
const RUNNING = "GET /api/quagga/diagnostics/generalrunningconfig";
const TABLE = "GET /api/firewall/alias_util/list/k8s_bgp_nodes";
/** What every pass reads: what the plan diffs and checks ownership on, and the sessions it reports. */
const EVERY_PASS = ["GET /api/quagga/bgp/get", "GET /api/firewall/alias/get", "GET /api/firewall/filter/get", "GET /api/quagga/diagnostics/bgpsummary"].sort();

let w: World;
afterEach(async () => {
  await w?.close();
});

/** `n` enrolled nodes synced, then one pass that verifies what the sync applied: the cache is warm. */
async function warm(n: number, env: Record<string, string> = {}): Promise<void> {
  w = await startWorld({ agent: false, env });
  for (let i = 0; i < n; i++) w.kube.control.createNode({ name: `node-${i}`, labels: { "homelab/role": "worker" }, addresses: [{ type: "InternalIP", address: `10.0.${20 + (i >> 8)}.${(i & 255) + 1}` }] }, { silent: true });
  await w.startAgent();
  await w.settle(() => neighbors(w.sim).length === n, "initial sync");
  await w.agent?.controller.runNow("verify");
}

async function pass(reason: string, fresh = false) {
  w.sim.control.clearLog();
  const report = await w.agent?.controller.runNow(reason, { fresh });
  return { report, reads: readCalls(w.sim).sort(), writes: writeCalls(w.sim), actions: actionCalls(w.sim) };
}

describe("requests per pass", () => {
  it("a steady pass reads at most 5 times (the four it must) and writes nothing", async () => {
    await warm(30);
    const steady = await pass("steady");
    expect(steady.report?.result).toBe("success");
    expect(steady.reads.length).toBeLessThanOrEqual(5);
    expect(steady.reads).toEqual(EVERY_PASS);
    expect(steady.writes).toEqual([]);
    expect(steady.actions).toEqual([]);
  });

  it("a burst of N new nodes costs at most N + 8 requests and one FRR reconfigure", async () => {
    // A debounce long enough for the whole burst to arrive before the pass starts.
    await warm(30, { DEBOUNCE: "400ms" });
    const N = 20;
    w.sim.control.clearLog();
    const before = w.sim.control.counters().reconfigures;
    for (let i = 0; i < N; i++) w.addWorker(`burst-${i}`, `10.0.30.${i + 1}`);
    await w.settle(() => neighbors(w.sim).length === 30 + N, "burst synced", 20_000);
    const all = calls(w.sim);
    expect(all.length).toBeLessThanOrEqual(N + 8);
    expect(w.sim.control.counters().reconfigures - before).toBe(1);
    // N neighbors and the node alias; FRR reconfigure and alias reload; the four reads and FRR's status.
    expect(writeCalls(w.sim)).toHaveLength(N + 1);
    expect(actionCalls(w.sim)).toEqual(["POST /api/quagga/service/reconfigure", "POST /api/firewall/alias/reconfigure"]);
    expect(readCalls(w.sim).sort()).toEqual([...EVERY_PASS, "GET /api/quagga/service/status"].sort());
  });

  it("a resync reads everything again (preflight included), general/get once; the next pass is steady again", async () => {
    await warm(3);
    const resync = await pass("resync", true);
    expect(resync.report?.result).toBe("success");
    expect(resync.reads.filter((c) => c === GENERAL)).toHaveLength(1);
    expect(resync.reads).toEqual(expect.arrayContaining([CATEGORIES, RUNNING, TABLE, "GET /api/firewall/filter/getRule", "GET /api/quagga/bgp/getNeighbor"]));
    expect(resync.writes).toEqual([]);
    expect((await pass("steady")).reads).toEqual(EVERY_PASS);
  });

  it("after an injected error the next pass reads everything again, the one after is steady", async () => {
    await warm(3);
    w.sim.control.injectFault({ match: { pathPrefix: "/api/firewall/filter/get" }, kind: "status", status: 500, times: 5 });
    const failed = await pass("fault");
    expect(failed.report?.result).toBe("error");
    w.sim.control.clearFaults();
    const after = await pass("after the error");
    expect(after.report?.result).toBe("success");
    expect(after.reads).toEqual(expect.arrayContaining([GENERAL, CATEGORIES, RUNNING, TABLE, "GET /api/firewall/filter/getRule"]));
    expect(after.reads.filter((c) => c === GENERAL)).toHaveLength(1);
    expect((await pass("steady")).reads).toEqual(EVERY_PASS);
  });

  it("a change to the BGP root is seen by the next pass; FRR switched off (kept fact) by the next resync", async () => {
    await warm(3);
    w.sim.control.setBgp({ enabled: "0" });
    const bgpOff = await pass("nodes changed");
    expect(bgpOff.report?.error).toContain("BGP is disabled (bgp.enabled=0)");
    w.sim.control.setBgp({ enabled: "1" });
    expect((await pass("fixed")).report?.result).toBe("success");
    await pass("steady");

    // Saved but not applied: FRR still runs, and a pass that is not a resync does not ask.
    w.sim.control.setGeneral({ enabled: "0" });
    const kept = await pass("nodes changed");
    expect(kept.report?.result).toBe("success");
    expect(kept.reads).not.toContain(GENERAL);
    const resync = await pass("resync", true);
    expect(resync.report?.result).toBe("error");
    expect(resync.report?.error).toContain("FRR is disabled (general.enabled=0)");
  });

  it("the saved-versus-running check still runs: a saved change nobody applied is found by the next pass", async () => {
    await warm(3);
    // A hand-made neighbor that FRR runs (applied with the agent's next reconfigure)…
    w.sim.control.seedNeighbor({ address: "192.168.1.1", remoteas: "65000", description: "upstream", enabled: "1" });
    w.addWorker("worker-x", "10.0.40.1");
    await w.settle(() => w.sim.control.running().frr.neighbors.some((n) => n.address === "192.168.1.1"), "foreign neighbor running");
    await pass("verify");
    expect((await pass("steady")).reads).toEqual(EVERY_PASS);
    // …deleted in the GUI and saved, never applied: FRR still runs it.
    const uuid = Object.entries(w.sim.control.state().neighbors).find(([, f]) => f["address"] === "192.168.1.1")?.[0];
    expect((await call(w.sim, "POST", `/api/quagga/bgp/delNeighbor/${uuid}`)).json).toEqual({ result: "deleted" });
    const before = w.sim.control.counters().reconfigures;
    const found = await pass("steady");
    expect(found.reads).toContain(RUNNING);
    expect(found.report?.plan?.pendingReasons).toEqual(["FRR still runs neighbor 192.168.1.1, which is no longer saved"]);
    expect(w.sim.control.counters().reconfigures - before).toBe(1);
    expect(w.sim.control.running().frr.neighbors.some((n) => n.address === "192.168.1.1")).toBe(false);
  });

  it("pf's tables are checked too: an alias table flushed behind the agent's back is found at the next resync", async () => {
    await warm(3);
    expect((await call(w.sim, "POST", "/api/firewall/alias_util/flush/k8s_bgp_nodes")).json).toMatchObject({ status: "done" });
    // The saved alias did not change, so a pass that is not a resync keeps what pf was last seen running.
    expect((await pass("steady")).actions).toEqual([]);
    const resync = await pass("resync", true);
    expect(resync.reads).toContain(TABLE);
    expect(resync.actions).toEqual(["POST /api/firewall/alias/reconfigure"]);
    expect(w.sim.control.running().pf.tables["k8s_bgp_nodes"]).toHaveLength(3);
  });
});
