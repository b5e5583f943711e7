// Issue 13 part 5: IPv6 peering against the OPNsense simulator (which validates per the contract:
// NetworkField address, InterfaceField updatesource/linklocalinterface, rule literal families,
// host alias entries, prefix-list versions) and renders frr.conf the way os-frr's template does.
import { afterEach, describe, expect, it } from "vitest";
import { aliasByName, actionCalls, neighbors, rules, writeCalls } from "./helpers.ts";
import { startWorld, type SimVersion, type World } from "./world.ts";

let w: World;
afterEach(async () => {
  await w?.close();
});

const V4 = "10.0.20.11";
const V6 = "fd00:20::11";

function addNode(world: World, name: string, addresses: readonly string[], annotations?: Record<string, string>): void {
  world.kube.control.createNode({
    name,
    labels: { "homelab/role": "worker" },
    ...(annotations ? { annotations } : {}),
    addresses: [...addresses.map((address) => ({ type: "InternalIP", address })), { type: "Hostname", address: name }],
  });
}

const nodeAlias = (world: World): string[] => (aliasByName(world.sim, "k8s_bgp_nodes")?.["content"] ?? "").split("\n").filter((x) => x !== "");
const bgpRules = (world: World) =>
  rules(world.sim)
    .filter((r) => (r["description"] ?? "").includes(" bgp-peers"))
    .map((r) => [r["description"] ?? "", r["ipprotocol"], r["source_net"], r["destination_net"], r["destination_port"]])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
const prefixRows = (world: World) =>
  Object.values(world.sim.control.state().prefixlists)
    .map((r) => [r["version"] ?? "", r["seqnumber"] ?? "", r["action"], r["network"]])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])) || Number(a[1]) - Number(b[1]));
const problemsOf = (world: World, node: string): string[] =>
  world.logs.withMsg("input problem; object skipped").filter((l) => l["node"] === node).map((l) => String(l["error"]));

describe("IPv6 peering", () => {
  it.each(["24.1", "26.7"] as SimVersion[])("a single-stack IPv6 node gets an IPv6 neighbor, inet6 rule, alias entry and IPv6 filter (OPNsense %s)", async (version) => {
    w = await startWorld({ version, agent: false, env: { LB_ADDRESSES: "10.96.0.0/24,2001:db8:96::/64" } });
    addNode(w, "w6", [V6]);
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 1 && w.sim.control.running().frr.neighbors.length === 1, "w6 peered and running");

    const [n] = neighbors(w.sim);
    expect(n).toMatchObject({ address: V6, remoteas: "64555", description: "opnsense-bgp-agent:default node=w6 ipv6", updatesource: "", linklocalinterface: "" });
    expect(nodeAlias(w)).toEqual([V6]);
    expect(bgpRules(w)).toEqual([
      ["opnsense-bgp-agent:default bgp-peers", "inet", "k8s_bgp_nodes", "(self)", "179"],
      ["opnsense-bgp-agent:default bgp-peers ipv6", "inet6", "k8s_bgp_nodes", "(self)", "179"],
    ]);
    expect(prefixRows(w)).toEqual([
      ["IPv4", "10", "permit", "10.96.0.0/24 le 32"],
      ["IPv4", "4294967294", "deny", "0.0.0.0/0 le 32"],
      ["IPv6", "20", "permit", "2001:db8:96::/64 le 128"],
      ["IPv6", "4294967294", "deny", "::/0 le 128"],
    ]);
    // What FRR runs, rendered like os-frr's bgpd.conf: the neighbor is activated in the IPv6
    // family with the agent's list, which is an `ipv6 prefix-list` there; no update-source line.
    const conf = w.sim.control.running().frr.conf;
    expect(conf).toContain(` neighbor ${V6} remote-as 64555`);
    expect(conf).not.toContain(`neighbor ${V6} update-source`);
    expect(conf).toMatch(new RegExp(`address-family ipv6 unicast\\n(  .*\\n)*  neighbor ${V6} activate\\n(  .*\\n)*  neighbor ${V6} prefix-list opnsense-bgp-agent-in in`));
    expect(conf).toContain("ipv6 prefix-list opnsense-bgp-agent-in seq 4294967294 deny ::/0 le 128");
    expect(w.sim.control.running().pf.tables["k8s_bgp_nodes"]).toEqual([V6]);

    // Steady: nothing more to write.
    w.sim.control.clearLog();
    await w.agent?.controller.runNow("resync", { fresh: true });
    expect(writeCalls(w.sim)).toEqual([]);
  });

  it("an IPv6 address annotation moves a dual-stack node's peering to IPv6 (BGP_ADDRESS_FAMILY=ipv4)", async () => {
    w = await startWorld({ agent: false });
    addNode(w, "w1", [V4, V6]);
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 1, "w1 peered");
    expect(neighbors(w.sim).map((n) => n["address"])).toEqual([V4]);

    w.kube.control.annotateNode("w1", "opnsense-bgp-agent/address", "FD00:20:0::99");
    await w.settle(() => neighbors(w.sim).some((n) => n["address"] === "fd00:20::99"), "w1 moved to its annotated IPv6 address");
    expect(neighbors(w.sim).map((n) => [n["address"], n["description"], n["updatesource"]])).toEqual([["fd00:20::99", "opnsense-bgp-agent:default node=w1 ipv6", ""]]);
    expect(nodeAlias(w)).toEqual(["fd00:20::99"]);
    expect(bgpRules(w).map((r) => r[1])).toEqual(["inet", "inet6"]);
  });

  it("dual-stack nodes keep exactly the IPv4 objects by default: an upgrade and a restart write nothing", async () => {
    w = await startWorld({ agent: false, env: { LB_ADDRESSES: "10.96.0.0/24" } });
    addNode(w, "w1", [V4, V6]);
    addNode(w, "w2", ["10.0.20.12", "fd00:20::12"]);
    // w1's neighbor as an agent without IPv6 support wrote it (it never sent linklocalinterface).
    const anchor = "opnsense-bgp-agent:default prefix-in deny-rest";
    w.sim.control.seedNeighbor({ enabled: "1", address: V4, remoteas: "64555", updatesource: "lan", description: "opnsense-bgp-agent:default node=w1" });
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 2, "both peered");
    // Only w2 is created; w1's neighbor is written once, to link the new prefix list (no IPv6 change).
    const w1Writes = w.reports.flatMap((r) => r.applied?.written ?? []).filter((op) => op.kind === "update-neighbor");
    expect(w1Writes.map((op) => (op.kind === "update-neighbor" ? op.changed : []))).toEqual([["prefixListIn"]]);
    expect(Object.values(w.sim.control.state().prefixlists).some((r) => r["description"] === anchor)).toBe(true);
    // The objects the agent has always written for these nodes (IPv4 marker format unchanged).
    expect(neighbors(w.sim).map((n) => [n["address"], n["description"], n["updatesource"], n["linklocalinterface"]])).toEqual([
      [V4, "opnsense-bgp-agent:default node=w1", "lan", ""],
      ["10.0.20.12", "opnsense-bgp-agent:default node=w2", "lan", ""],
    ]);
    expect(nodeAlias(w)).toEqual([V4, "10.0.20.12"]);
    expect(bgpRules(w)).toEqual([["opnsense-bgp-agent:default bgp-peers", "inet", "k8s_bgp_nodes", "(self)", "179"]]);
    expect(prefixRows(w).map((r) => r[0])).toEqual(["IPv4", "IPv4"]);

    const backups = w.sim.control.counters().backups;
    await w.restartAgent();
    expect(writeCalls(w.sim)).toEqual([]);
    expect(w.sim.control.counters().backups).toBe(backups);
  });

  it("BGP_ADDRESS_FAMILY=dual adds an IPv6 neighbor next to the untouched IPv4 one; back to ipv4 removes it", async () => {
    w = await startWorld({ agent: false });
    addNode(w, "w1", [V4, V6]);
    addNode(w, "w4", ["10.0.20.14"]);
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 2, "IPv4 peering");
    const v4Before = neighbors(w.sim).find((n) => n["address"] === V4);

    await w.stopAgent();
    w.sim.control.clearLog();
    await w.startAgent({ BGP_ADDRESS_FAMILY: "dual" });
    await w.settle(() => neighbors(w.sim).length === 3 && w.sim.control.running().frr.neighbors.length === 3, "IPv6 neighbor added");
    expect(neighbors(w.sim).find((n) => n["address"] === V4)).toEqual(v4Before);
    expect(neighbors(w.sim).map((n) => [n["address"], n["description"]])).toEqual([
      [V4, "opnsense-bgp-agent:default node=w1"],
      ["10.0.20.14", "opnsense-bgp-agent:default node=w4"],
      [V6, "opnsense-bgp-agent:default node=w1 ipv6"],
    ]);
    // One neighbor create and one inet6 rule (no prefix rows: no accepted prefixes, no filter); the IPv4 neighbor untouched.
    expect(writeCalls(w.sim).filter((c) => c.includes("Neighbor"))).toEqual(["POST /api/quagga/bgp/setNeighbor/{uuid}"]);
    expect(writeCalls(w.sim).filter((c) => c.includes("Rule"))).toHaveLength(1);
    expect(actionCalls(w.sim)).toContain("POST /api/quagga/service/reconfigure");
    expect(nodeAlias(w).sort()).toEqual(["10.0.20.11", "10.0.20.14", V6].sort());
    expect(bgpRules(w).map((r) => r[1])).toEqual(["inet", "inet6"]);

    await w.stopAgent();
    await w.startAgent({ BGP_ADDRESS_FAMILY: "ipv4" });
    await w.settle(() => neighbors(w.sim).length === 2 && bgpRules(w).length === 1, "IPv6 neighbor and rule removed");
    expect(neighbors(w.sim).find((n) => n["address"] === V4)).toEqual(v4Before);
    expect(nodeAlias(w)).toEqual(["10.0.20.11", "10.0.20.14"]);
  });

  it("BGP_ADDRESS_FAMILY=ipv6 prefers IPv6 and falls back to IPv4", async () => {
    w = await startWorld({ agent: false, env: { BGP_ADDRESS_FAMILY: "ipv6" } });
    addNode(w, "w1", [V4, V6]);
    addNode(w, "w4", ["10.0.20.14"]);
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 2, "both peered");
    expect(neighbors(w.sim).map((n) => [n["address"], n["description"], n["updatesource"]])).toEqual([
      ["10.0.20.14", "opnsense-bgp-agent:default node=w4", "lan"],
      [V6, "opnsense-bgp-agent:default node=w1 ipv6", ""],
    ]);
  });

  it("refused IPv6 peering addresses: special classes, outside BGP_PEER_NETWORKS, inside an LB prefix", async () => {
    w = await startWorld({ agent: false, env: { BGP_ADDRESS_FAMILY: "dual", LB_ADDRESSES: "2001:db8:96::/64", BGP_PEER_NETWORKS: "10.0.20.0/24,fd00:20::/64" } });
    const attackers: Record<string, string> = {
      "a-unspecified": "::",
      "a-loopback": "::1",
      "a-multicast": "ff02::1",
      "a-link-local": "fe80::1",
      "a-mapped": "::ffff:10.0.20.50",
      "a-outside": "fd00:99::5",
      "a-lb": "2001:db8:96::5",
    };
    let i = 100;
    for (const [name, address] of Object.entries(attackers)) addNode(w, name, [`10.0.20.${i++}`], { "opnsense-bgp-agent/address": address });
    addNode(w, "honest", ["10.0.20.11", "fd00:20::11"]);
    await w.startAgent();
    await w.settle(() => w.reports.some((r) => r.result === "success"), "first pass");

    // Every attacker keeps its IPv4 peering from its InternalIP (dual: the annotation replaced only the IPv6 side, which is refused).
    const v6 = neighbors(w.sim).filter((n) => (n["address"] ?? "").includes(":"));
    expect(v6.map((n) => n["address"])).toEqual(["fd00:20::11"]);
    expect(nodeAlias(w).filter((a) => a.includes(":"))).toEqual(["fd00:20::11"]);
    const expected: Record<string, RegExp> = {
      "a-unspecified": /:: is unspecified/,
      "a-loopback": /::1 is loopback/,
      "a-multicast": /ff02::1 is multicast/,
      "a-link-local": /fe80::1 is link-local/,
      "a-mapped": /::ffff:a00:1432 is ipv4-mapped/,
      "a-outside": /fd00:99::5 is outside BGP_PEER_NETWORKS \(10\.0\.20\.0\/24, fd00:20::\/64\)/,
      "a-lb": /2001:db8:96::5 lies in the LoadBalancer prefix 2001:db8:96::\/64/,
    };
    for (const [name, re] of Object.entries(expected)) expect(problemsOf(w, name).join(" | "), name).toMatch(re);
  });
});
