import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { aliasByName, actionCalls, calls, neighbors, rules, writeCalls } from "./helpers.ts";
import { startWorld, VERSIONS, type World } from "./world.ts";

const MARK = "opnsense-bgp-agent:default";

describe.each(VERSIONS)("agent core against OPNsense %s", (version) => {
  let w: World;
  beforeEach(async () => {
    w = await startWorld({ version, agent: false });
  });
  afterEach(async () => {
    await w.close();
  });

  async function enrollThree(): Promise<void> {
    w.addWorker("worker-1", "10.0.20.11");
    w.addWorker("worker-2", "10.0.20.12");
    w.addWorker("worker-3", "10.0.20.13");
    w.kube.control.createNode({ name: "cp-1", labels: { "node-role.kubernetes.io/control-plane": "" }, addresses: [{ type: "InternalIP", address: "10.0.20.5" }] });
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 3 && w.sim.control.running().frr.neighbors.length === 3, "three neighbors saved and running");
  }

  it("enrolls three labelled nodes: exact neighbor fields, the node alias and the TCP 179 rule", async () => {
    await enrollThree();
    const ns = neighbors(w.sim);
    expect(ns.map((n) => n["address"])).toEqual(["10.0.20.11", "10.0.20.12", "10.0.20.13"]);
    for (const [i, n] of ns.entries()) {
      expect(n).toMatchObject({ enabled: "1", remoteas: "64555", updatesource: "lan", description: `${MARK} node=worker-${i + 1}` });
    }
    const alias = aliasByName(w.sim, "k8s_bgp_nodes");
    expect(alias).toMatchObject({ type: "host", enabled: "1", content: "10.0.20.11\n10.0.20.12\n10.0.20.13" });
    const cats = Object.entries(w.sim.control.state().categories);
    expect(cats.map(([, c]) => [c["name"], c["auto"]])).toEqual([["opnsense-bgp-agent", "0"]]);
    const catUuid = cats[0]?.[0];
    expect(alias?.["categories"]).toBe(catUuid);
    const rs = rules(w.sim);
    expect(rs).toHaveLength(1);
    expect(rs[0]).toMatchObject({
      enabled: "1",
      action: "pass",
      quick: "1",
      interface: "lan",
      direction: "in",
      ipprotocol: "inet",
      protocol: "TCP",
      source_net: "k8s_bgp_nodes",
      destination_net: "(self)",
      destination_port: "179",
      categories: catUuid,
      description: `${MARK} bgp-peers`,
    });
    // Everything that was saved also runs.
    expect(w.sim.control.running().frr.neighbors.map((n) => n.address).sort()).toEqual(["10.0.20.11", "10.0.20.12", "10.0.20.13"]);
    expect(w.sim.control.running().pf.tables["k8s_bgp_nodes"]?.slice().sort()).toEqual(["10.0.20.11", "10.0.20.12", "10.0.20.13"]);
    expect(w.sim.control.running().pf.rules.some((r) => r.description === `${MARK} bgp-peers`)).toBe(true);
    expect(w.sim.control.counters().reconfigures).toBe(1);
    const summary = w.logs.withMsg("sync complete").at(-1);
    expect(summary).toMatchObject({ result: "success", nodes: 3 });
  });

  it("one node added: the reads of one pass, then exactly these writes and applies, in this order", async () => {
    await enrollThree();
    w.sim.control.clearLog();
    w.addWorker("worker-4", "10.0.20.14");
    await w.settle(() => neighbors(w.sim).length === 4 && w.sim.control.running().frr.neighbors.length === 4, "worker-4 running");
    const all = calls(w.sim);
    const reads = all.slice(0, 7);
    // The pass reads in parallel, so their order is not fixed; what they are is. FRR's general
    // settings are kept from the start (src/opnsense/slow-facts.ts); the category list, FRR's running
    // config and the pf table are read again because the previous pass created or applied them.
    expect([...reads].sort()).toEqual(
      [
        "GET /api/quagga/bgp/get",
        "GET /api/firewall/category/searchItem",
        "GET /api/firewall/alias/get",
        "GET /api/firewall/filter/get",
        "GET /api/quagga/diagnostics/generalrunningconfig",
        // session status, in the same parallel batch
        "GET /api/quagga/diagnostics/bgpsummary",
        "GET /api/firewall/alias_util/list/k8s_bgp_nodes",
      ].sort(),
    );
    expect(all.slice(7)).toEqual([
      "POST /api/quagga/bgp/setNeighbor/{uuid}",
      "POST /api/firewall/alias/setItem/{uuid}",
      "POST /api/quagga/service/reconfigure",
      // FRR's status after the reconfigure (contract §8)
      "GET /api/quagga/service/status",
      // no reachability check: no agent rule changed, so nothing would be undone
      "POST /api/firewall/alias/reconfigure",
    ]);
  });

  it("unlabelling removes the neighbor, deleting removes it, an IP change updates in place", async () => {
    await enrollThree();
    const before = neighbors(w.sim);
    w.kube.control.labelNode("worker-1", "homelab/role", null);
    await w.settle(() => neighbors(w.sim).length === 2, "worker-1 removed");
    w.kube.control.deleteNode("worker-2");
    await w.settle(() => neighbors(w.sim).length === 1, "worker-2 removed");
    w.kube.control.setNodeAddresses("worker-3", [{ type: "InternalIP", address: "10.0.20.23" }]);
    await w.settle(() => neighbors(w.sim)[0]?.["address"] === "10.0.20.23", "worker-3 address updated");
    const after = neighbors(w.sim);
    expect(after).toHaveLength(1);
    expect(after[0]?.uuid).toBe(before[2]?.uuid);
    expect(aliasByName(w.sim, "k8s_bgp_nodes")?.["content"]).toBe("10.0.20.23");
    expect(w.sim.control.running().frr.neighbors.map((n) => n.address)).toEqual(["10.0.20.23"]);
  });

  it("never touches foreign objects; a foreign neighbor with a node's address is a reported conflict", async () => {
    w.sim.control.seedNeighbor({ address: "10.0.20.12", remoteas: "64555", description: "hand-made worker-2", enabled: "1" });
    w.sim.control.seedNeighbor({ address: "192.168.1.1", remoteas: "65000", description: "upstream" });
    const cat = w.sim.control.seedCategory({ name: "mine", auto: "0" });
    w.sim.control.seedAlias({ name: "my_hosts", type: "host", content: "192.168.1.10", categories: cat });
    w.sim.control.seedRule({ action: "block", interface: "lan", source_net: "my_hosts", description: "user rule", categories: cat });
    const foreignBefore = JSON.stringify(w.sim.control.state(), (_k, v: unknown) => v);
    w.addWorker("worker-1", "10.0.20.11");
    w.addWorker("worker-2", "10.0.20.12");
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 3, "worker-1 added next to the two foreign neighbors");
    const state = w.sim.control.state();
    const before = JSON.parse(foreignBefore) as typeof state;
    for (const kind of ["neighbors", "aliases", "rules", "categories"] as const) {
      for (const [uuid, fields] of Object.entries(before[kind])) expect(state[kind][uuid]).toEqual(fields);
    }
    const conflicts = w.logs.withMsg("conflict with an object the agent does not own; left alone");
    expect(conflicts.length).toBeGreaterThan(0);
    expect(JSON.stringify(conflicts[0])).toContain("worker-2");
    expect(w.logs.withMsg("sync complete").at(-1)).toMatchObject({ conflicts: 1 });
  });

  it("a steady resync and a restart make zero writes", async () => {
    await enrollThree();
    w.sim.control.clearLog();
    const counters = w.sim.control.counters();
    await w.agent?.controller.runNow("resync", { fresh: true });
    expect(writeCalls(w.sim)).toEqual([]);
    expect(actionCalls(w.sim)).toEqual([]);
    // A resync reads everything again: preflight (its BGP model read is the pass's own; its
    // savepoint probe is a GET that saves nothing) and the pass.
    expect(calls(w.sim)).toHaveLength(14);
    expect(calls(w.sim).filter((c) => c === "GET /api/quagga/general/get")).toHaveLength(1);
    await w.restartAgent();
    expect(writeCalls(w.sim)).toEqual([]);
    expect(w.sim.control.counters().backups).toBe(counters.backups);
    expect(w.sim.control.counters().reconfigures).toBe(counters.reconfigures);
  });

  it("a neighbor deleted by hand on the router comes back on the next pass", async () => {
    await enrollThree();
    const victim = neighbors(w.sim)[1];
    expect(victim).toBeDefined();
    // Delete through the API as a user would (their own key), then the periodic resync runs.
    await fetch(`${w.sim.url}/api/quagga/bgp/delNeighbor/${victim?.uuid}`, {
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from(`${w.config.opnsense.apiKey}:${w.config.opnsense.apiSecret}`).toString("base64")}` },
    });
    expect(neighbors(w.sim)).toHaveLength(2);
    await w.agent?.controller.runNow("resync", { fresh: true });
    expect(neighbors(w.sim).map((n) => n["address"])).toEqual(["10.0.20.11", "10.0.20.12", "10.0.20.13"]);
    expect(w.sim.control.running().frr.neighbors).toHaveLength(3);
  });

  it("a burst of 50 labelled nodes gives one FRR reconfigure", async () => {
    // The 50 creates take milliseconds; a 1 s debounce (20× the suite's) keeps a loaded 2-core
    // machine from splitting the burst across two passes.
    await w.startAgent({ DEBOUNCE: "1s" });
    await w.nextPass();
    await w.agent?.controller.idle();
    const before = w.sim.control.counters().reconfigures;
    for (let i = 0; i < 50; i++) w.addWorker(`burst-${String(i).padStart(2, "0")}`, `10.0.21.${i + 1}`);
    await w.settle(() => neighbors(w.sim).length === 50, "50 neighbors", 20_000);
    expect(w.sim.control.counters().reconfigures - before).toBe(1);
    expect(w.sim.control.running().frr.neighbors).toHaveLength(50);
  });

  it("a crash between the write and the reconfigure is applied on the next start", async () => {
    await enrollThree();
    // The reconfigure after the next write fails for good (the agent "dies" before it).
    w.sim.control.injectFault({ match: { pathPrefix: "/api/quagga/service/reconfigure" }, kind: "reset", times: 100 });
    w.addWorker("worker-4", "10.0.20.14");
    await w.settle(() => neighbors(w.sim).length === 4, "worker-4 saved");
    await w.stopAgent();
    w.sim.control.clearFaults();
    expect(w.sim.control.running().frr.neighbors.map((n) => n.address)).not.toContain("10.0.20.14");
    w.sim.control.clearLog();
    await w.startAgent();
    await w.settle(() => w.sim.control.running().frr.neighbors.some((n) => n.address === "10.0.20.14"), "worker-4 running after restart");
    expect(writeCalls(w.sim)).toEqual([]);
    expect(actionCalls(w.sim)).toContain("POST /api/quagga/service/reconfigure");
  });
});
