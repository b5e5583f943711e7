import { afterEach, describe, expect, it } from "vitest";
import { aliasByName, neighbors } from "./helpers.ts";
import { startWorld, type World } from "./world.ts";
import type { KubeObject } from "../fakes/kube-apiserver/index.ts";

// Cilium's pools as LB prefixes and its BGP config cross-checked (README: Cilium), with the
// real agent, the Kubernetes fake serving cilium.io and the OPNsense simulator.

let w: World;
afterEach(async () => {
  await w?.close();
});

const pool = (name: string, blocks: Record<string, string>[], extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: "cilium.io/v2alpha1",
  kind: "CiliumLoadBalancerIPPool",
  metadata: { name },
  spec: { blocks, ...extra },
});

const permits = (world: World): string[] =>
  Object.values(world.sim.control.state().prefixlists)
    .filter((r) => r["action"] === "permit")
    .map((r) => r["network"] ?? "")
    .sort();
const lbAlias = (world: World): string[] => (aliasByName(world.sim, "k8s_lb_addresses")?.["content"] ?? "").split("\n").filter((x) => x !== "");
const problems = (world: World, key: string, object: string): string[] =>
  world.logs.withMsg("input problem; object skipped").filter((l) => l[key] === object).map((l) => String(l["error"]));
const mismatches = (world: World, kind?: string): Record<string, unknown>[] =>
  world.logs.withMsg("BGP config mismatch").filter((l) => kind === undefined || l["kind"] === kind);
async function mismatchMetric(world: World, kind: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${world.agent?.http.port}/metrics`)).text();
  const m = new RegExp(`^opnsense_bgp_agent_bgp_config_mismatches\\{kind="${kind}"\\} (\\d+)$`, "m").exec(text);
  return m ? Number(m[1]) : NaN;
}

const LB = { LB_CLIENT_NETWORKS: "interface=lan source=lan" };

describe("CiliumLoadBalancerIPPool as the LB prefixes", () => {
  it("a pool fills the LB alias and the prefix list; a change is one pass; a disabled pool is ignored", async () => {
    w = await startWorld({ agent: false, env: LB });
    w.addWorker("worker-1", "10.0.20.11");
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 1, "peered");
    expect(permits(w)).toEqual([]);
    expect(w.logs.withMsg("BGP route filtering is OFF: neither BGP_ACCEPT_PREFIXES, LB_ADDRESSES nor a Cilium pool gives prefixes, so every peered node may announce any prefix (a default route, the LAN) and OPNsense installs it; set LB_ADDRESSES to the LB pool")).toHaveLength(1);

    w.kube.control.create("CiliumLoadBalancerIPPool", pool("blue", [{ cidr: "10.96.0.0/24" }, { start: "10.97.0.1", stop: "10.97.0.6" }]));
    await w.settle(() => permits(w).length === 5, "pool prefixes in the prefix list");
    // 10.97.0.1–10.97.0.6 exactly: /32, /31, /31, /32.
    expect(permits(w)).toEqual(["10.96.0.0/24 le 32", "10.97.0.1/32", "10.97.0.2/31 le 32", "10.97.0.4/31 le 32", "10.97.0.6/32"]);
    expect(lbAlias(w)).toEqual(["10.96.0.0/24", "10.97.0.1/32", "10.97.0.2/31", "10.97.0.4/31", "10.97.0.6/32"]);
    expect(neighbors(w.sim)[0]?.["linkedPrefixlistIn"]).not.toBe("");
    const settings = w.logs.withMsg("BGP settings changed").at(-1);
    expect(settings).toMatchObject({ ciliumPools: ["blue"], acceptPrefixesFrom: "Cilium pools", routerAs: 64555, remoteAsn: 64555, peering: "iBGP" });

    // One change, one pass that writes.
    const passes = w.reports.length;
    w.kube.control.update("CiliumLoadBalancerIPPool", undefined, "blue", (p) => {
      p.spec = { blocks: [{ cidr: "10.98.0.0/25" }] };
    });
    await w.settle(() => lbAlias(w).join() === "10.98.0.0/25", "alias follows the pool");
    expect(permits(w)).toEqual(["10.98.0.0/25 le 32"]);
    expect(w.reports.slice(passes).filter((r) => (r.applied?.written.length ?? 0) > 0)).toHaveLength(1);

    w.kube.control.create("CiliumLoadBalancerIPPool", pool("off", [{ cidr: "10.99.0.0/24" }], { disabled: true }));
    w.kube.control.create("CiliumLoadBalancerIPPool", pool("green", [{ cidr: "10.95.0.0/24" }]));
    await w.settle(() => lbAlias(w).includes("10.95.0.0/24"), "green pool used");
    expect(lbAlias(w)).not.toContain("10.99.0.0/24");
    expect(permits(w)).toEqual(["10.95.0.0/24 le 32", "10.98.0.0/25 le 32"]);
    expect(w.logs.withMsg("BGP settings changed").at(-1)).toMatchObject({ ciliumPools: ["blue", "green"], disabledPools: ["off"] });
  });

  it("ingress IPs inside a pool are accepted, outside refused; LB_ADDRESSES merges with the pools", async () => {
    w = await startWorld({ agent: false, env: { ...LB, LB_ADDRESSES: "10.90.0.7" } });
    w.kube.control.create("CiliumLoadBalancerIPPool", pool("blue", [{ cidr: "10.96.0.0/24" }]));
    w.kube.control.createService({ namespace: "apps", name: "in", labels: { "homelab/public-service": "true" }, ingress: ["10.96.0.10"] });
    w.kube.control.createService({ namespace: "apps", name: "out", labels: { "homelab/public-service": "true" }, ingress: ["10.50.0.10"] });
    await w.startAgent();
    await w.settle(() => lbAlias(w).length > 0 && problems(w, "service", "apps/out").length > 0, "alias and the refusal");
    expect(lbAlias(w)).toEqual(["10.90.0.7", "10.96.0.0/24", "10.96.0.10"]);
    expect(problems(w, "service", "apps/out")[0]).toBe('LoadBalancer ingress IP "10.50.0.10" is outside LB_ADDRESSES and the Cilium pools (blue) (10.90.0.7, 10.96.0.0/24); ignored');
    expect(problems(w, "service", "apps/in")).toEqual([]);
    expect(permits(w)).toEqual(["10.90.0.7/32", "10.96.0.0/24 le 32"]);
  });

  it("a node peering from inside a pool is refused", async () => {
    w = await startWorld({ agent: false });
    w.kube.control.create("CiliumLoadBalancerIPPool", pool("blue", [{ cidr: "10.0.20.0/28" }]));
    w.addWorker("worker-1", "10.0.20.11");
    w.addWorker("worker-2", "10.0.30.12");
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 1 && problems(w, "node", "worker-1").length > 0, "one peered, one refused");
    expect(problems(w, "node", "worker-1")[0]).toContain("peering address refused: 10.0.20.11 lies in the LoadBalancer prefix 10.0.20.0/28");
  });

  it("CILIUM_POOLS=off ignores the pools", async () => {
    w = await startWorld({ agent: false, env: { ...LB, CILIUM_POOLS: "off", LB_ADDRESSES: "10.90.0.0/24" } });
    w.kube.control.create("CiliumLoadBalancerIPPool", pool("blue", [{ cidr: "10.96.0.0/24" }]));
    await w.startAgent();
    await w.settle(() => lbAlias(w).length > 0, "alias");
    expect(lbAlias(w)).toEqual(["10.90.0.0/24"]);
    expect(permits(w)).toEqual(["10.90.0.0/24 le 32"]);
    expect(w.logs.withMsg("Cilium resources found")[0]).toMatchObject({ ciliumPools: "off", watching: ["CiliumBGPPeeringPolicy", "CiliumBGPClusterConfig", "CiliumBGPPeerConfig"] });
  });

  it("a cluster without the cilium.io CRDs: no error, said once at info, no informer", async () => {
    w = await startWorld({ agent: false, ciliumCrds: false, env: { ...LB, LB_ADDRESSES: "10.90.0.0/24" } });
    w.addWorker("worker-1", "10.0.20.11");
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 1 && lbAlias(w).length > 0, "peered");
    await w.agent?.controller.runNow("resync", { fresh: true });
    const said = w.logs.withMsg("the cluster serves no Cilium resources (cilium.io); Cilium pools and the BGP cross-check are inactive");
    expect(said).toHaveLength(1);
    expect(said[0]?.["level"]).toBe("info");
    expect(w.logs.entries().filter((e) => ["warn", "error", "fatal"].includes(String(e["level"])) && JSON.stringify(e).toLowerCase().includes("cilium"))).toEqual([]);
    expect(w.kube.control.requests({ path: "/apis/cilium.io/v2/cilium" })).toEqual([]);
    expect(w.reports.every((r) => r.result === "success")).toBe(true);
  });
});

const ROUTER = "10.0.20.1";
const peeringPolicy = (localASN: number, neighbor: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: "cilium.io/v2alpha1",
  kind: "CiliumBGPPeeringPolicy",
  metadata: { name: "rack0" },
  spec: {
    nodeSelector: { matchLabels: { "homelab/role": "worker" } },
    virtualRouters: [{ localASN, neighbors: [{ peerAddress: `${ROUTER}/32`, peerASN: 64555, ...neighbor }] }],
  },
});

describe("Cilium's BGP settings cross-checked", () => {
  it("localASN ≠ BGP_REMOTE_ASN: a warning, a BGPConfigMismatch Event on the node and the metric", async () => {
    w = await startWorld({ agent: false });
    w.sim.control.setBgp({ routerid: ROUTER });
    w.addWorker("worker-1", "10.0.20.11");
    w.kube.control.create("CiliumBGPPeeringPolicy", peeringPolicy(64600));
    await w.startAgent();
    await w.settle(() => mismatches(w, "local-as").length === 1, "mismatch logged");
    expect(mismatches(w, "local-as")[0]).toMatchObject({
      level: "warn",
      node: "worker-1",
      what: "local AS",
      cilium: "64600 (CiliumBGPPeeringPolicy rack0)",
      agent: "remote AS 64555 (BGP_REMOTE_ASN)",
      hint: "OPNsense rejects the session (bad peer AS); make BGP_REMOTE_ASN (or the node's asn annotation) equal Cilium's localASN",
    });
    await w.agent?.controller.idle();
    expect(await mismatchMetric(w, "local-as")).toBe(1);
    expect(await mismatchMetric(w, "peer-as")).toBe(0);
    await waitEvent(w, "worker-1", "BGPConfigMismatch");
    const ev = w.kube.control.events().find((e) => e["reason"] === "BGPConfigMismatch");
    expect(ev?.["message"]).toBe(
      "local AS differs: Cilium 64600 (CiliumBGPPeeringPolicy rack0); agent: remote AS 64555 (BGP_REMOTE_ASN). OPNsense rejects the session (bad peer AS); make BGP_REMOTE_ASN (or the node's asn annotation) equal Cilium's localASN",
    );
    // Fixed in Cilium: resolved, the metric drops to 0.
    w.kube.control.update("CiliumBGPPeeringPolicy", undefined, "rack0", (p) => {
      p.spec = peeringPolicy(64555).spec;
    });
    await w.settle(() => w.logs.withMsg("BGP config mismatch resolved").length === 1, "resolved");
    expect(await mismatchMetric(w, "local-as")).toBe(0);
  });

  it("peer AS, timers, graceful restart on one side, a peer address that is a node, a node Cilium peers from but not enrolled, and the reverse", async () => {
    w = await startWorld({ agent: false, env: { BGP_KEEPALIVE: "10", BGP_HOLDDOWN: "30" } });
    w.sim.control.setBgp({ routerid: ROUTER, asnumber: "64512" });
    w.addWorker("worker-1", "10.0.20.11");
    w.addWorker("worker-2", "10.0.20.12", { labels: { rack: "b" } });
    w.kube.control.createNode({ name: "cp-1", labels: { "node-role.kubernetes.io/control-plane": "", rack: "a" }, addresses: [{ type: "InternalIP", address: "10.0.20.5" }] });
    w.kube.control.create("CiliumBGPPeeringPolicy", {
      apiVersion: "cilium.io/v2alpha1",
      kind: "CiliumBGPPeeringPolicy",
      metadata: { name: "rack-a" },
      spec: {
        nodeSelector: { matchExpressions: [{ key: "rack", operator: "NotIn", values: ["b"] }] },
        virtualRouters: [
          { localASN: 64555, neighbors: [{ peerAddress: `${ROUTER}/32`, peerASN: 64555, holdTimeSeconds: 9, keepAliveTimeSeconds: 3, gracefulRestart: { enabled: true } }] },
          { localASN: 64555, neighbors: [{ peerAddress: "10.0.20.12/32", peerASN: 64512 }] },
        ],
      },
    });
    await w.startAgent();
    await w.settle(() => mismatches(w).length >= 6, "mismatches logged");
    const byKind = (kind: string) => mismatches(w, kind).map((m) => [m["node"], m["cilium"], m["router"] ?? m["agent"]]);
    expect(byKind("peer-as")).toEqual([["worker-1", "64555 (CiliumBGPPeeringPolicy rack-a)", "local AS 64512 (OPNsense Routing: BGP)"]]);
    expect(byKind("timers")).toEqual([["worker-1", "hold 9s keepalive 3s (CiliumBGPPeeringPolicy rack-a)", "hold 30s keepalive 10s (BGP_HOLDDOWN/BGP_KEEPALIVE)"]]);
    expect(byKind("graceful-restart")).toEqual([["worker-1", "enabled (CiliumBGPPeeringPolicy rack-a)", "disabled (OPNsense Routing: BGP, Graceful Restart)"]]);
    expect(byKind("peer-address")).toEqual([["worker-1", "10.0.20.12/32 (CiliumBGPPeeringPolicy rack-a)", `known router addresses: ${ROUTER}, 127.0.0.1`]]);
    expect(mismatches(w, "peer-address")[0]?.["hint"]).toBe("10.0.20.12 is the address of node worker-2, not the router's; set Cilium's peerAddress to the router's address on the node's network");
    expect(byKind("not-enrolled")).toEqual([["cp-1", "selected by CiliumBGPPeeringPolicy rack-a: Cilium peers from this node", 'not enrolled (NODE_SELECTOR "homelab/role=worker"): OPNsense has no neighbor for it']]);
    expect(mismatches(w, "not-peered-by-cilium").map((m) => m["node"])).toEqual(["worker-2"]);
    expect(w.logs.withMsg("BGP settings in effect")[0]).toMatchObject({ routerAs: 64512, remoteAsn: 64555, peering: "eBGP" });
    await w.agent?.controller.idle();
    expect(await mismatchMetric(w, "not-enrolled")).toBe(1);
    await waitEvent(w, "cp-1", "BGPConfigMismatch");
  });

  it("the v2 cluster-config form: peer config timers and graceful restart via peerConfigRef", async () => {
    w = await startWorld({ agent: false, env: { BGP_KEEPALIVE: "10", BGP_HOLDDOWN: "30" } });
    w.sim.control.setBgp({ routerid: ROUTER, graceful: "1" });
    w.addWorker("worker-1", "10.0.20.11");
    w.kube.control.create("CiliumBGPClusterConfig", {
      apiVersion: "cilium.io/v2",
      kind: "CiliumBGPClusterConfig",
      metadata: { name: "cilium-bgp" },
      spec: {
        nodeSelector: { matchLabels: { "homelab/role": "worker" } },
        bgpInstances: [{ name: "i1", localASN: 64600, peers: [{ name: "opnsense", peerAddress: ROUTER, peerASN: 64555, peerConfigRef: { name: "peer" } }] }],
      },
    });
    w.kube.control.create("CiliumBGPPeerConfig", { apiVersion: "cilium.io/v2", kind: "CiliumBGPPeerConfig", metadata: { name: "peer" }, spec: { timers: { holdTimeSeconds: 90, keepAliveTimeSeconds: 30 } } });
    await w.startAgent();
    await w.settle(() => mismatches(w).length >= 3, "mismatches logged");
    expect(mismatches(w).map((m) => [m["kind"], m["cilium"]]).sort()).toEqual([
      ["graceful-restart", "disabled (CiliumBGPPeerConfig peer (via CiliumBGPClusterConfig cilium-bgp))"],
      ["local-as", "64600 (CiliumBGPClusterConfig cilium-bgp)"],
      ["timers", "hold 90s keepalive 30s (CiliumBGPPeerConfig peer (via CiliumBGPClusterConfig cilium-bgp))"],
    ]);
  });

  it("BGP_REMOTE_ASN unset: taken from Cilium's single localASN; several or none fail the pass saying so", async () => {
    w = await startWorld({ agent: false, env: { BGP_REMOTE_ASN: "" } });
    w.addWorker("worker-1", "10.0.20.11");
    await w.startAgent();
    await w.settle(() => w.reports.some((r) => r.result === "error"), "pass failed");
    expect(w.reports.at(-1)?.error).toBe("BGP_REMOTE_ASN is not set and cannot be taken from Cilium: Cilium has no BGP config; set BGP_REMOTE_ASN");
    expect(neighbors(w.sim)).toEqual([]);

    w.kube.control.create("CiliumBGPPeeringPolicy", peeringPolicy(64600));
    await w.settle(() => neighbors(w.sim).length === 1, "peered");
    expect(neighbors(w.sim)[0]?.["remoteas"]).toBe("64600");
    expect(w.logs.withMsg("BGP settings in effect")[0]).toMatchObject({ remoteAsn: 64600, remoteAsnFrom: "Cilium (CiliumBGPPeeringPolicy rack0)", peering: "eBGP" });
    expect(mismatches(w, "local-as")).toEqual([]);
  });
});

async function waitEvent(world: World, node: string, reason: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!world.kube.control.events().some((e) => e["reason"] === reason && (e["involvedObject"] as { name?: string } | undefined)?.name === node)) {
    if (Date.now() > deadline) throw new Error(`no ${reason} event on ${node}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
