// Issue 8, replayed: the cluster is not trusted. Each attack from the issue runs against the real
// agent, the Kubernetes fake and the OPNsense simulator, and the router ends up unchanged or
// changed only as the policy allows, with a report naming what was refused.
import { afterEach, describe, expect, it } from "vitest";
import { KubeConfig } from "@kubernetes/client-node";
import { startAgent } from "../../src/agent.ts";
import { createLogger } from "../../src/log.ts";
import { anchorRowUuid } from "../../src/desired/prefix-list.ts";
import { startKubeFake } from "../fakes/kube-apiserver/index.ts";
import { aliasByName, neighbors, writeCalls } from "./helpers.ts";
import { baseEnv, configFrom, LogCapture, readyz, startWorld, type World } from "./world.ts";

let w: World;
afterEach(async () => {
  await w?.close();
});

const problemsOf = (world: World, node: string): string[] =>
  world.logs.withMsg("input problem; object skipped").filter((l) => l["node"] === node).map((l) => String(l["error"]));
const nodeAlias = (world: World): string[] => (aliasByName(world.sim, "k8s_bgp_nodes")?.["content"] ?? "").split("\n").filter((x) => x !== "");

describe("peering address and AS policy", () => {
  it("nodes cannot peer from special, foreign, LB or router addresses, nor pick an AS the owner did not allow", async () => {
    w = await startWorld({ agent: false, env: { LB_ADDRESSES: "10.96.0.0/24", BGP_PEER_NETWORKS: "10.0.20.0/24" } });
    w.sim.control.setBgp({ routerid: "10.0.20.1" });
    w.addWorker("worker-1", "10.0.20.11");
    const attackers: Record<string, Record<string, string>> = {
      "a-unspecified": { "opnsense-bgp-agent/address": "0.0.0.0" },
      "a-loopback": { "opnsense-bgp-agent/address": "127.0.0.1" },
      "a-multicast": { "opnsense-bgp-agent/address": "224.0.0.5" },
      "a-broadcast": { "opnsense-bgp-agent/address": "255.255.255.255" },
      "a-foreign": { "opnsense-bgp-agent/address": "8.8.8.8" },
      "a-lb": { "opnsense-bgp-agent/address": "10.96.0.5" },
      "a-router": { "opnsense-bgp-agent/address": "10.0.20.1" },
      "a-asn": { "opnsense-bgp-agent/asn": "15169" },
    };
    let ip = 100;
    for (const [name, annotations] of Object.entries(attackers)) w.addWorker(name, `10.0.20.${ip++}`, { annotations });
    await w.startAgent();
    await w.settle(() => w.reports.some((r) => r.result === "success"), "first pass");

    // Only the honest node is a neighbor and a source of the TCP 179 rule.
    expect(neighbors(w.sim).map((n) => [n["address"], n["remoteas"]])).toEqual([["10.0.20.11", "64555"]]);
    expect(nodeAlias(w)).toEqual(["10.0.20.11"]);
    const expected: Record<string, RegExp> = {
      "a-unspecified": /0\.0\.0\.0 is unspecified/,
      "a-loopback": /127\.0\.0\.1 is loopback/,
      "a-multicast": /224\.0\.0\.5 is multicast/,
      "a-broadcast": /255\.255\.255\.255 is broadcast/,
      "a-foreign": /8\.8\.8\.8 is outside BGP_PEER_NETWORKS \(10\.0\.20\.0\/24\)/,
      "a-lb": /10\.96\.0\.5 lies in the LoadBalancer prefix 10\.96\.0\.0\/24/,
      "a-router": /10\.0\.20\.1 is the router's own address/,
      "a-asn": /AS 15169 is not allowed \(BGP_REMOTE_ASN 64555\)/,
    };
    for (const [name, re] of Object.entries(expected)) expect(problemsOf(w, name).join(" | "), name).toMatch(re);
    expect(w.logs.withMsg("sync complete").at(-1)).toMatchObject({ problems: 8 });
  });

  it("a node cannot take over another node's neighbor, whatever its name or AS", async () => {
    w = await startWorld({ agent: false, env: { BGP_ALLOWED_ASNS: "65099" } });
    w.addWorker("worker-1", "10.0.20.11");
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 1, "worker-1 peered");
    const before = neighbors(w.sim)[0];

    // Sorts first, annotates worker-1's address and an allowed AS.
    w.addWorker("aaa-thief", "10.0.20.66", { annotations: { "opnsense-bgp-agent/address": "10.0.20.11", "opnsense-bgp-agent/asn": "65099" } });
    // Sorts first and has worker-1's address as its own InternalIP (a kubelet can report any).
    w.addWorker("aaa-twin", "10.0.20.11");
    await w.settle(() => problemsOf(w, "aaa-thief").length > 0 && problemsOf(w, "aaa-twin").length > 0, "both refused");

    expect(neighbors(w.sim)).toEqual([before]);
    expect(problemsOf(w, "aaa-thief").join(" ")).toContain("annotation opnsense-bgp-agent/address=10.0.20.11 is the InternalIP of node");
    expect(problemsOf(w, "aaa-twin").join(" ")).toContain("address 10.0.20.11 is already peered by node worker-1");
    expect(problemsOf(w, "worker-1")).toEqual([]);
  });

  it("ADOPT_EXISTING adopts only at the node's own InternalIP, and hands an adopted neighbor back instead of deleting it", async () => {
    w = await startWorld({ agent: false, env: { ADOPT_EXISTING: "true" } });
    const upstream = w.sim.control.seedNeighbor({ address: "192.168.1.254", remoteas: "65000", updatesource: "wan", description: "upstream ISP", enabled: "1" });
    const handMade = w.sim.control.seedNeighbor({ address: "10.0.20.11", remoteas: "64555", description: "worker-1 by hand", enabled: "1" });
    const upstreamBefore = { ...w.sim.control.state().neighbors[upstream] };
    w.addWorker("worker-1", "10.0.20.11");
    w.addWorker("seizer", "10.0.20.12", { annotations: { "opnsense-bgp-agent/address": "192.168.1.254" } });
    await w.startAgent();
    await w.settle(() => w.reports.length > 0, "first pass");

    expect(w.sim.control.state().neighbors[upstream]).toEqual(upstreamBefore);
    expect(w.sim.control.state().neighbors[handMade]?.["description"]).toBe("opnsense-bgp-agent:default node=worker-1 adopted");
    const conflict = w.logs.withMsg("conflict with an object the agent does not own; left alone").find((l) => l["foreignUuid"] === upstream);
    expect(String(conflict?.["error"])).toContain("it is not node seizer's InternalIP, so it is never adopted");

    w.kube.control.deleteNode("seizer");
    w.kube.control.deleteNode("worker-1");
    await w.settle(() => (w.sim.control.state().neighbors[handMade]?.["description"] ?? "").startsWith("released"), "worker-1's neighbor handed back");
    expect(w.sim.control.state().neighbors[upstream]).toEqual(upstreamBefore);
    expect(w.sim.control.state().neighbors[handMade]).toMatchObject({ address: "10.0.20.11", description: "released by opnsense-bgp-agent (was node=worker-1)" });
    expect(w.logs.withMsg("sync complete").at(-1)).toMatchObject({ neighbors: expect.objectContaining({ released: 1, deleted: 0 }) });
  });
});

describe("inbound route filtering", () => {
  const versions = ["24.1", "25.1.12", "26.1.11", "26.7"] as const;
  it.each(versions)("%s: one agent-owned prefix list, linked on every owned neighbor, rendered into FRR; a pool change is one reconfigure; off unlinks before deleting", async (version) => {
    w = await startWorld({ version, agent: false, env: { LB_ADDRESSES: "10.96.0.0/24" } });
    w.addWorker("worker-1", "10.0.20.11");
    w.addWorker("worker-2", "10.0.20.12");
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 2, "two neighbors");

    const anchor = anchorRowUuid("default");
    const rows = (): Record<string, string>[] => Object.entries(w.sim.control.state().prefixlists).map(([uuid, r]) => ({ ...r, uuid }));
    expect(rows().map((r) => [r["name"], r["seqnumber"], r["action"], r["network"]])).toEqual([
      ["opnsense-bgp-agent-in", "4294967294", "deny", "0.0.0.0/0 le 32"],
      ["opnsense-bgp-agent-in", "10", "permit", "10.96.0.0/24 le 32"],
    ]);
    for (const n of neighbors(w.sim)) expect(n["linkedPrefixlistIn"]).toBe(anchor);
    const conf = w.sim.control.running().frr.conf;
    expect(conf).toContain("ip prefix-list opnsense-bgp-agent-in seq 10 permit 10.96.0.0/24 le 32");
    expect(conf).toContain("ip prefix-list opnsense-bgp-agent-in seq 4294967294 deny 0.0.0.0/0 le 32");
    expect(conf).toContain("neighbor 10.0.20.11 prefix-list opnsense-bgp-agent-in in");
    expect(conf).toContain("neighbor 10.0.20.12 prefix-list opnsense-bgp-agent-in in");

    // The pool grows: rows change, links stay, one FRR reconfigure.
    await w.stopAgent();
    w.sim.control.clearLog();
    const reconfiguresBefore = w.sim.control.counters().reconfigures;
    await w.startAgent({ LB_ADDRESSES: "10.96.0.0/24,10.97.0.0/25" });
    await w.settle(() => rows().length === 3, "second permit row");
    expect(w.sim.control.counters().reconfigures - reconfiguresBefore).toBe(1);
    expect(writeCalls(w.sim).filter((c) => c.includes("Neighbor"))).toEqual([]);
    expect(w.sim.control.running().frr.conf).toContain("ip prefix-list opnsense-bgp-agent-in seq 20 permit 10.97.0.0/25 le 32");

    // Filtering off: neighbors unlinked first, then the rows deleted (26.7 refuses to delete a linked row).
    await w.stopAgent();
    w.sim.control.clearLog();
    await w.startAgent({ LB_ADDRESSES: "", BGP_ACCEPT_PREFIXES: "none" });
    await w.settle(() => rows().length === 0, "rows deleted");
    for (const n of neighbors(w.sim)) expect(n["linkedPrefixlistIn"] ?? "").toBe("");
    const order = writeCalls(w.sim).map((c) => (c.includes("Prefixlist") ? "row" : c.includes("Neighbor") ? "neighbor" : "other"));
    expect(order.lastIndexOf("neighbor")).toBeLessThan(order.indexOf("row"));
    expect(w.logs.withMsg("opnsense write failed")).toEqual([]);
    expect(w.logs.withMsg("BGP route filtering is OFF: neither BGP_ACCEPT_PREFIXES, LB_ADDRESSES nor a Cilium pool gives prefixes, so every peered node may announce any prefix (a default route, the LAN) and OPNsense installs it; set LB_ADDRESSES to the LB pool")).toHaveLength(1);
  });

  it("filter rows and links saved but never applied (agent stopped before the reconfigure) are applied on the next start", async () => {
    w = await startWorld({ agent: false });
    w.addWorker("worker-1", "10.0.20.11");
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 1, "peered without a filter");
    await w.stopAgent();
    // The next agent saves the rows and the link, then "dies" before FRR is reconfigured.
    w.sim.control.injectFault({ match: { pathPrefix: "/api/quagga/service/reconfigure" }, kind: "reset", times: 100 });
    await w.startAgent({ LB_ADDRESSES: "10.96.0.0/24" });
    await w.settle(() => neighbors(w.sim)[0]?.["linkedPrefixlistIn"] === anchorRowUuid("default"), "link saved");
    await w.stopAgent();
    w.sim.control.clearFaults();
    expect(w.sim.control.running().frr.conf).not.toContain("prefix-list opnsense-bgp-agent-in in");
    w.sim.control.clearLog();
    await w.startAgent();
    await w.settle(() => w.sim.control.running().frr.conf.includes("neighbor 10.0.20.11 prefix-list opnsense-bgp-agent-in in"), "filter running after restart");
    expect(writeCalls(w.sim)).toEqual([]);
    expect(w.logs.withMsg("saved changes are not running yet; applying").map((l) => String(l["reason"]))).toEqual(
      expect.arrayContaining([expect.stringContaining("is saved with inbound prefix list opnsense-bgp-agent-in but FRR runs it unfiltered")]),
    );
  });

  it("a steady resync with filtering on writes nothing", async () => {
    w = await startWorld({ agent: false, env: { LB_ADDRESSES: "10.96.0.0/24" } });
    w.addWorker("worker-1", "10.0.20.11");
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 1, "peered");
    w.sim.control.clearLog();
    await w.agent?.controller.runNow("resync", { fresh: true });
    expect(writeCalls(w.sim)).toEqual([]);
  });
});

describe("ownership that cannot be spoofed by accident or collide silently", () => {
  it("a description that merely starts with the marker, and a GUI clone of an agent neighbor, are never deleted", async () => {
    w = await startWorld({ agent: false });
    const padded = w.sim.control.seedNeighbor({ address: "10.0.20.91", remoteas: "64555", description: "  opnsense-bgp-agent:default   hand made copy  ", enabled: "1" });
    const loose = w.sim.control.seedNeighbor({ address: "10.0.20.92", remoteas: "64555", description: "opnsense-bgp-agent:default hand made copy", enabled: "1" });
    w.addWorker("worker-1", "10.0.20.11");
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 3, "worker-1 peered");
    const original = neighbors(w.sim).find((n) => n["address"] === "10.0.20.11");
    // The GUI's clone button copies the description: two neighbors now say node=worker-1.
    const clone = w.sim.control.seedNeighbor({ address: "10.0.20.93", remoteas: "64555", description: "opnsense-bgp-agent:default node=worker-1", enabled: "1" });

    w.kube.control.deleteNode("worker-1");
    await w.settle(() => w.reports.length >= 2 && (w.reports.at(-1)?.plan?.conflicts.length ?? 0) >= 2, "the copies reported");
    const left = Object.keys(w.sim.control.state().neighbors).sort();
    expect(left).toEqual([padded, loose, clone, original?.uuid].sort());
    expect(w.reports.at(-1)?.plan?.conflicts.map((c) => c.foreignUuid).sort()).toEqual([clone, original?.uuid].sort());
  });

  it("a second cluster with the same OWNER_ID refuses to write, fails readiness and names both clusters", async () => {
    w = await startWorld({ agent: false });
    w.addWorker("worker-1", "10.0.20.11");
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 1, "cluster A synced");
    const clusterA = String(aliasByName(w.sim, "k8s_bgp_nodes")?.["description"]).replace(/^.* cluster=/, "");

    const kubeB = await startKubeFake({});
    kubeB.control.createNode({ name: "worker-9", labels: { "homelab/role": "worker" }, addresses: [{ type: "InternalIP", address: "10.0.20.99" }] });
    const kcB = new KubeConfig();
    kcB.loadFromString(kubeB.kubeconfig());
    const logsB = new LogCapture();
    w.sim.control.clearLog();
    const reportsB: string[] = [];
    const agentB = await startAgent({
      config: { ...configFrom(baseEnv(w.sim)), httpPort: 0 },
      logger: createLogger("debug", logsB),
      kubeConfig: kcB,
      tuning: { defaultMetrics: false, onPass: (r) => reportsB.push(r.result) },
    });
    try {
      await agentB.controller.idle();
      const refused = logsB.withMsg("sync refused")[0];
      expect(refused).toMatchObject({ otherCluster: clusterA });
      expect(String(refused?.["error"])).toContain(`belongs to another cluster (kube-system UID ${clusterA}; this cluster: `);
      expect(writeCalls(w.sim)).toEqual([]);
      const ready = await fetch(`http://127.0.0.1:${agentB.http.port}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toContain(clusterA);
      const metrics = await (await fetch(`http://127.0.0.1:${agentB.http.port}/metrics`)).text();
      expect(metrics).toMatch(/^opnsense_bgp_agent_owner_conflict 1$/m);
      // Cluster A goes on undisturbed.
      await w.agent?.controller.runNow("resync", { fresh: true });
      expect(neighbors(w.sim).map((n) => n["address"])).toEqual(["10.0.20.11"]);
      expect(reportsB.every((r) => r === "error")).toBe(true);
    } finally {
      await agentB.stop();
      await kubeB.close();
    }
  });
});

describe("last good state on bad input", () => {
  it("a node whose annotations turn invalid keeps its neighbor (reported); skip=yes means skip, like asymmetric=yes", async () => {
    w = await startWorld({ agent: false });
    w.addWorker("worker-1", "10.0.20.11");
    w.addWorker("worker-2", "10.0.20.12");
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 2, "both peered");
    const before = neighbors(w.sim);

    w.kube.control.annotateNode("worker-1", "opnsense-bgp-agent/asn", "not-a-number");
    w.kube.control.annotateNode("worker-2", "opnsense-bgp-agent/skip", "maybe");
    await w.settle(() => problemsOf(w, "worker-1").length > 0 && problemsOf(w, "worker-2").length > 0, "both reported");
    await w.agent?.controller.runNow("resync", { fresh: true });
    expect(neighbors(w.sim)).toEqual(before);
    expect(w.reports.at(-1)?.desired?.held.map((h) => [h.key, h.reason])).toEqual([
      ["node=worker-1", "invalid-input"],
      ["node=worker-2", "invalid-input"],
    ]);
    expect(problemsOf(w, "worker-2").at(-1)).toContain("the node keeps its current neighbor");

    w.kube.control.annotateNode("worker-2", "opnsense-bgp-agent/skip", "yes");
    await w.settle(() => neighbors(w.sim).length === 1, "worker-2 skipped on purpose");
    expect(neighbors(w.sim)[0]?.uuid).toBe(before[0]?.uuid);
  });
});

describe("blast radius: deletion guard and removal grace", () => {
  it("a NODE_SELECTOR typo deletes nothing, warns, fails readiness and sets the metric until MAX_DELETE_FRACTION is raised", async () => {
    w = await startWorld({ agent: false, env: { MAX_DELETE_FRACTION: "0.5" } });
    for (let i = 1; i <= 3; i++) w.addWorker(`worker-${i}`, `10.0.20.1${i}`);
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 3, "three neighbors");
    const before = neighbors(w.sim);

    await w.stopAgent();
    w.sim.control.clearLog();
    await w.startAgent({ NODE_SELECTOR: "homelab/role=workers" });
    await w.settle(() => w.reports.length > 0 && w.logs.withMsg("mass deletion held back").length > 0, "guard tripped");
    expect(neighbors(w.sim)).toEqual(before);
    expect(writeCalls(w.sim).filter((c) => c.includes("delNeighbor"))).toEqual([]);
    expect(w.logs.withMsg("mass deletion held back")[0]).toMatchObject({ level: "warn", owned: 3, removing: 3 });
    const r = await readyz(w);
    expect(r.status).toBe(503);
    expect(r.text).toContain("this pass would delete 3 of 3 BGP neighbors");
    expect(r.text).toContain("NODE_SELECTOR (homelab/role=workers)");
    const metrics = await (await fetch(`http://127.0.0.1:${w.agent?.http.port}/metrics`)).text();
    expect(metrics).toMatch(/^opnsense_bgp_agent_deletion_guard_active 1$/m);
    expect(metrics).toMatch(/^opnsense_bgp_agent_held_neighbors\{reason="deletion-guard"\} 3$/m);

    // The operator confirms by raising the limit: the deletions go through.
    await w.stopAgent();
    await w.startAgent({ NODE_SELECTOR: "homelab/role=workers", MAX_DELETE_FRACTION: "1" });
    await w.settle(() => neighbors(w.sim).length === 0, "deleted after confirmation");
    expect((await readyz(w)).status).toBe(200);
  });

  it("one of three nodes leaving is within MAX_DELETE_FRACTION and goes through", async () => {
    w = await startWorld({ agent: false, env: { MAX_DELETE_FRACTION: "0.5" } });
    for (let i = 1; i <= 3; i++) w.addWorker(`worker-${i}`, `10.0.20.1${i}`);
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 3, "three neighbors");
    w.kube.control.deleteNode("worker-3");
    await w.settle(() => neighbors(w.sim).length === 2, "worker-3 removed");
    expect((await readyz(w)).status).toBe(200);
  });

  it("a node flapping its label inside REMOVAL_GRACE writes nothing; once it stays away, its neighbor goes when the grace ends", async () => {
    w = await startWorld({ agent: false, env: { REMOVAL_GRACE: "2s" } });
    w.addWorker("worker-1", "10.0.20.11");
    w.addWorker("worker-2", "10.0.20.12");
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 2, "two neighbors");
    w.sim.control.clearLog();
    const c0 = w.sim.control.counters();
    const passes0 = w.reports.length;

    // Fixed window: 12 flips, one every 150 ms (the flap, compressed).
    for (let i = 0; i < 12; i++) {
      w.kube.control.labelNode("worker-1", "homelab/role", i % 2 === 0 ? null : "worker");
      await new Promise((r) => setTimeout(r, 150));
    }
    await w.agent?.controller.idle();
    const c1 = w.sim.control.counters();
    expect(w.reports.length).toBeGreaterThan(passes0);
    expect(writeCalls(w.sim)).toEqual([]);
    expect(c1.writes - c0.writes).toBe(0);
    expect(c1.reconfigures - c0.reconfigures).toBe(0);
    expect(c1.aliasReconfigures - c0.aliasReconfigures).toBe(0);

    // Now it leaves for good: held first, then removed without any further cluster event.
    w.kube.control.labelNode("worker-1", "homelab/role", null);
    await w.settle(() => w.reports.at(-1)?.desired?.held.some((h) => h.reason === "removal-grace") === true, "held in grace");
    expect(neighbors(w.sim)).toHaveLength(2);
    expect(w.logs.withMsg("sync complete").at(-1)).toMatchObject({ held: 1 });
    await w.settle(() => neighbors(w.sim).length === 1, "removed after the grace", 6000);
    expect(nodeAlias(w)).toEqual(["10.0.20.12"]);
  });
});
