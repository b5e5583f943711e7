import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { startAgent } from "../../src/agent.ts";
import { createLogger } from "../../src/log.ts";
import { startKubeFake } from "../fakes/kube-apiserver/index.ts";
import { aliases, neighbors, rules, writeCalls } from "./helpers.ts";
import { baseEnv, configFrom, LogCapture, startWorld, type World } from "./world.ts";

let w: World;
afterEach(async () => {
  await w.close();
});

describe("ADOPT_EXISTING, POLICY and DRY_RUN", () => {
  it("ADOPT_EXISTING=true takes over a hand-made neighbor in place (same uuid, our marker), and leaves one with another owner's marker alone", async () => {
    w = await startWorld({ agent: false, env: { ADOPT_EXISTING: "true" } });
    const handMade = w.sim.control.seedNeighbor({ address: "10.0.20.11", remoteas: "64555", description: "worker-1 by hand", enabled: "1" });
    const otherOwner = w.sim.control.seedNeighbor({ address: "10.0.20.12", remoteas: "64555", description: "opnsense-bgp-agent:lab node=worker-2", enabled: "1" });
    w.addWorker("worker-1", "10.0.20.11");
    w.addWorker("worker-2", "10.0.20.12");
    await w.startAgent();
    await w.settle(() => w.reports.length > 0, "first pass");
    const state = w.sim.control.state().neighbors;
    expect(Object.keys(state).sort()).toEqual([handMade, otherOwner].sort());
    // The adopted flag makes sure it is handed back, never deleted, when worker-1 goes.
    expect(state[handMade]).toMatchObject({ description: "opnsense-bgp-agent:default node=worker-1 adopted", updatesource: "lan" });
    expect(state[otherOwner]?.["description"]).toBe("opnsense-bgp-agent:lab node=worker-2");
    expect(w.logs.withMsg("sync complete").at(-1)).toMatchObject({ neighbors: expect.objectContaining({ adopted: 1 }), conflicts: 1 });
  });

  it("POLICY=upsert-only never deletes; create-only neither updates nor deletes", async () => {
    w = await startWorld({ agent: false, env: { POLICY: "upsert-only" } });
    w.addWorker("worker-1", "10.0.20.11");
    w.addWorker("worker-2", "10.0.20.12");
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 2, "two neighbors");
    w.kube.control.deleteNode("worker-1");
    w.kube.control.setNodeAddresses("worker-2", [{ type: "InternalIP", address: "10.0.20.22" }]);
    await w.settle(() => neighbors(w.sim).some((n) => n["address"] === "10.0.20.22"), "worker-2 updated");
    expect(neighbors(w.sim).map((n) => n["address"])).toEqual(["10.0.20.11", "10.0.20.22"]);

    await w.stopAgent();
    w.sim.control.clearLog();
    await w.startAgent({ POLICY: "create-only" });
    w.kube.control.setNodeAddresses("worker-2", [{ type: "InternalIP", address: "10.0.20.32" }]);
    w.addWorker("worker-3", "10.0.20.13");
    await w.settle(() => neighbors(w.sim).length === 3, "worker-3 created");
    expect(neighbors(w.sim).map((n) => n["address"])).toEqual(["10.0.20.11", "10.0.20.13", "10.0.20.22"]);
    expect(writeCalls(w.sim).filter((c) => c.includes("setNeighbor"))).toHaveLength(1);
  });

  it("DRY_RUN=true logs the plan and writes nothing", async () => {
    w = await startWorld({ agent: false, env: { DRY_RUN: "true" } });
    w.addWorker("worker-1", "10.0.20.11");
    await w.startAgent();
    await w.settle(() => w.reports.length > 0, "first pass");
    expect(writeCalls(w.sim)).toEqual([]);
    expect(w.sim.control.counters().backups).toBe(0);
    expect(w.logs.withMsg("dry run: would write").map((e) => e["operation"])).toContain("create-neighbor");
    expect(w.logs.withMsg("sync complete").at(-1)).toMatchObject({ dryRun: true, planned: 4 });
  });
});

describe("two clusters sharing one router (OWNER_ID)", () => {
  it("each agent keeps its own neighbors, aliases, rules and category, and neither ever writes the other's", async () => {
    w = await startWorld({ agent: false });
    w.addWorker("worker-1", "10.0.20.11");
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 1, "cluster A synced");

    // Cluster B: its own API server, same router, another OWNER_ID.
    const kubeB = await startKubeFake({});
    kubeB.control.createNode({ name: "worker-1", labels: { "homelab/role": "worker" }, addresses: [{ type: "InternalIP", address: "10.0.30.11" }] });
    const kcB = new KubeConfig();
    kcB.loadFromString(kubeB.kubeconfig());
    const logsB = new LogCapture();
    const agentB = await startAgent({
      config: configFrom(baseEnv(w.sim, { OWNER_ID: "lab", FIREWALL_INTERFACE: "opt1" })),
      logger: createLogger("debug", logsB),
      kubeConfig: kcB,
      tuning: { defaultMetrics: false },
    });
    try {
      await w.settle(() => neighbors(w.sim).length === 2 && aliases(w.sim).some((a) => a["name"] === "k8s_bgp_nodes_lab"), "cluster B synced");
      // settle() only waits for agent A; B may still be between its alias and its rule
      await agentB.controller.idle();
      const cats = Object.values(w.sim.control.state().categories).map((c) => c["name"]).sort();
      expect(cats).toEqual(["opnsense-bgp-agent", "opnsense-bgp-agent-lab"]);
      expect(rules(w.sim).map((r) => `${r["interface"]} ${r["source_net"]}`).sort()).toEqual(["lan k8s_bgp_nodes", "opt1 k8s_bgp_nodes_lab"]);
      const bNeighbor = neighbors(w.sim).find((n) => n["address"] === "10.0.30.11");
      expect(bNeighbor?.["description"]).toBe("opnsense-bgp-agent:lab node=worker-1");

      // A's node leaves; A removes only its own objects, B's stay; both resyncs are then quiet.
      w.kube.control.deleteNode("worker-1");
      await w.settle(() => neighbors(w.sim).length === 1, "A's neighbor removed");
      expect(neighbors(w.sim)[0]?.uuid).toBe(bNeighbor?.uuid);
      w.sim.control.clearLog();
      await w.agent?.controller.runNow("resync", { fresh: true });
      await agentB.controller.runNow("resync", { fresh: true });
      expect(writeCalls(w.sim)).toEqual([]);
      expect(logsB.withMsg("opnsense write failed")).toEqual([]);
    } finally {
      await agentB.stop();
      await kubeB.close();
    }
  });
});
