// BGP lab (design §8.3): real FRR (zebra + bgpd) in a router namespace on a bridge named like
// the OPNsense LAN NIC, gobgpd in node namespaces playing the Cilium speakers. The OPNsense
// simulator's running FRR state is bridged into the real FRR with frr-reload.py, the way os-frr's
// service/reconfigure does it. Root only; skips with the reason in the suite name otherwise.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { featuresOf, VERSIONS, type OpnVersion } from "../fakes/opnsense/index.ts";
import { createLab, labSkipReason, type Lab } from "./netns.ts";
import { startAgentWorld, startSimWorld } from "./harness.ts";
import { eventually } from "./wait.ts";
import { mirrorSessions } from "./sessions.ts";

const skipReason = await labSkipReason();
if (skipReason !== null) console.warn(`[bgp-lab] skipped: ${skipReason}`);

const W1 = { name: "worker-1", ip: "10.0.20.11", lb: "10.96.0.11/32" };
const W2 = { name: "worker-2", ip: "10.0.20.12", lb: "10.96.0.12/32" };
/** the filter test's own node, peered only there; also the IPv6 test's (its gobgpd has an ipv6-unicast session to the router's fd00:20::1) */
const W3 = { name: "worker-3", ip: "10.0.20.13", lb: "10.96.0.13/32", ip6: "fd00:20::13", lb6: "fd00:96::13/128" };
/** what W3 announces over IPv6 beyond its pool /128: the agent's IPv6 prefix-list rows must drop it */
const W3_UNWANTED6 = ["fd00:97::5/128", "::/0"] as const;
/** what W3 announces beyond its pool /32: everything a prefix list on the router should drop */
const W3_UNWANTED = ["10.97.0.5/32", "0.0.0.0/0", "10.0.20.0/24"] as const;
/** the node subnet is connected on the router, so zebra never installs the BGP copy */
const KERNEL_INSTALLABLE = [W3.lb, "10.97.0.5/32", "0.0.0.0/0"] as const;
/** announced by both nodes (ECMP) */
const SHARED_LB = "10.96.0.10/32";
/**
 * Simulated OPNsense release (BGP_LAB_OPNSENSE_VERSION): only releases whose reconfigure is a
 * frr-reload (os-frr ≥ 1.43, i.e. ≥ 25.1.4); older ones restart FRR and drop every session.
 */
const RELOAD_VERSIONS: readonly OpnVersion[] = VERSIONS.filter((v) => featuresOf(v).osFrrMinor >= 43);
const VERSION: OpnVersion = RELOAD_VERSIONS.find((v) => v === process.env["BGP_LAB_OPNSENSE_VERSION"]) ?? "26.7";
/** os-frr renders neighbor descriptions from 1.52 on */
const RENDERS_DESCRIPTION = featuresOf(VERSION).osFrrMinor >= 52;

function neighborFields(w: { name: string; ip: string }): Record<string, string> {
  return {
    enabled: "1",
    address: w.ip,
    remoteas: "64555",
    updatesource: "lan",
    connecttimer: "5",
    description: `opnsense-bgp-agent:default node=${w.name}`,
  };
}

describe.skipIf(skipReason !== null)(
  skipReason !== null ? `BGP lab — SKIPPED: ${skipReason}` : `BGP lab: real FRR + gobgpd in network namespaces (simulated OPNsense ${VERSION})`,
  () => {
    let lab: Lab | null = null;
    const L = (): Lab => {
      if (lab === null) throw new Error("lab not created");
      return lab;
    };

    beforeAll(async () => {
      lab = await createLab({ nodes: [W1, W2, W3] });
      for (const w of [W1, W2]) {
        await lab.node(w.name).announce(w.lb);
        await lab.node(w.name).announce(SHARED_LB);
      }
      for (const p of [W3.lb, ...W3_UNWANTED, W3.lb6, ...W3_UNWANTED6]) await lab.node(W3.name).announce(p);
    }, 30_000);

    afterAll(async () => {
      await lab?.teardown();
    }, 30_000);

    const established = async (ip: string): Promise<boolean> => (await L().frr.summary()).get(ip)?.state === "Established";
    const inRib = async (prefix: string, via: string): Promise<boolean> =>
      ((await L().frr.rib()).get(prefix) ?? []).some((p) => p.nexthops.includes(via));
    const inKernel = async (prefix: string, via: string): Promise<boolean> =>
      (await L().frr.kernelRoutes()).get(prefix)?.gateways.includes(via) ?? false;

    it("simulator reconfigure → rendered frr.conf → real FRR reload → session and routes", async () => {
      const w = await startSimWorld(L(), VERSION);
      try {
        w.sim.control.seedNeighbor(neighborFields(W1));
        expect(await w.api("POST", "/api/quagga/service/reconfigure", {})).toEqual({ status: "ok" });
        await eventually(`FRR session to ${W1.ip} Established`, () => established(W1.ip), w.diagnostics);
        await eventually(`${W1.lb} via ${W1.ip} in FRR's RIB`, () => inRib(W1.lb, W1.ip), w.diagnostics);
        await eventually(`${W1.lb} via ${W1.ip} in the router's kernel table`, () => inKernel(W1.lb, W1.ip), w.diagnostics);

        // the simulator's `lan` became the lab's LAN device in the real FRR
        const running = await L().frr.runningConfig();
        expect(running).toContain(`neighbor ${W1.ip} update-source ${L().routerDevice}`);
        expect(running).toContain(`neighbor ${W1.ip} timers connect 5`);
        const nb = (await L().frr.neighbors()).get(W1.ip);
        expect(nb?.nbrDesc).toBe(RENDERS_DESCRIPTION ? `opnsense-bgp-agent:default node=${W1.name}` : null);
        await w.bridge.synced();
        expect(w.bridge.failures).toEqual([]);
        expect(w.bridge.applies.at(-1)?.method).toBe(L().frr.applyMethod);
      } finally {
        await w.close();
      }
    }, 60_000);

    it("prefix list linked in on the neighbor (contract §3.7): only the pool /32 is accepted, without a session reset", async () => {
      const w = await startSimWorld(L(), VERSION);
      try {
        // iBGP on both sides (router AS 64555 is the simulator's fresh install), timers like the node's
        const neighborUuid = w.sim.control.seedNeighbor({ ...neighborFields(W3), keepalive: "30", holddown: "90" });
        await w.api("POST", "/api/quagga/service/reconfigure", {});
        await eventually(`FRR session to ${W3.ip} Established`, () => established(W3.ip), w.diagnostics);

        // no prefix list yet: os-frr renders `no bgp ebgp-requires-policy`, so everything is accepted
        await eventually(`all of W3's prefixes in FRR's RIB`, async () => {
          const rib = await L().frr.rib();
          return [W3.lb, ...W3_UNWANTED].every((p) => (rib.get(p) ?? []).some((x) => x.nexthops.includes(W3.ip)));
        }, w.diagnostics);
        await eventually(`W3's installable prefixes in the kernel`, async () => {
          for (const p of KERNEL_INSTALLABLE) if (!(await inKernel(p, W3.ip))) return false;
          return true;
        }, w.diagnostics);
        const before = (await L().frr.neighbors()).get(W3.ip);
        const gobgpBefore = await L().node(W3.name).peer(L().routerIp);

        // one permit row; the implicit deny drops the rest. Link it through the API like a client would.
        const pl = w.sim.control.seedPrefixlist({ name: "k8s-lb-in", seqnumber: "10", action: "permit", network: "10.96.0.0/24 le 32", description: "lab" });
        expect(await w.api("POST", `/api/quagga/bgp/setNeighbor/${neighborUuid}`, { neighbor: { linkedPrefixlistIn: pl } })).toEqual({ result: "saved" });
        await w.api("POST", "/api/quagga/service/reconfigure", {});
        await w.bridge.synced();
        expect(w.bridge.failures).toEqual([]);
        const running = await L().frr.runningConfig();
        expect(running).toMatch(/^ip prefix-list k8s-lb-in seq 10 permit 10\.96\.0\.0\/24 le 32$/m);
        expect(running).toMatch(new RegExp(`^\\s+neighbor ${W3.ip.replace(/\./g, "\\.")} prefix-list k8s-lb-in in$`, "m"));

        // the re-filter question of §3.7: the routes were received before the link existed
        const refilterMs = await eventually(`only ${W3.lb} left in FRR's RIB after the reload`, async () => {
          const rib = await L().frr.rib();
          return rib.size === 1 && (rib.get(W3.lb) ?? []).some((x) => x.nexthops.includes(W3.ip));
        }, w.diagnostics, 15_000);
        await eventually(`only ${W3.lb} left in the router's kernel table`, async () => {
          const k = await L().frr.kernelRoutes();
          return k.size === 1 && (k.get(W3.lb)?.gateways.includes(W3.ip) ?? false);
        }, w.diagnostics);

        // … and that took no session reset, on either side
        const after = (await L().frr.neighbors()).get(W3.ip);
        expect(after?.bgpState).toBe("Established");
        expect(after?.connectionsEstablished).toBe(before?.connectionsEstablished);
        expect(after?.connectionsDropped).toBe(0);
        // FRR asked the node to resend its routes (no soft-reconfiguration inbound is rendered)
        expect(after?.routeRefreshSent ?? 0).toBeGreaterThan(before?.routeRefreshSent ?? 0);
        expect(await L().node(W3.name).peer(L().routerIp)).toEqual(gobgpBefore);
        // the simulator models the link change the same way: no session dropped
        expect(w.sim.control.counters().sessionsDropped).toBe(0);
        console.info(
          `[bgp-lab] prefix-list link applied by reload: RIB re-filtered ${refilterMs} ms after the reload, ` +
            `no session reset, ROUTE-REFRESH sent ${before?.routeRefreshSent ?? 0} → ${after?.routeRefreshSent ?? 0}`,
        );
      } finally {
        await w.close();
      }
    }, 60_000);

    it("agent, seed setup (iBGP 64555 both sides, keepalive 30 / hold 90, LB pool 10.96.0.0/24): the node's session comes up and only its pool /32 is installed", async () => {
      const w = await startAgentWorld(L(), VERSION, { LB_ADDRESSES: "10.96.0.0/24", BGP_KEEPALIVE: "30", BGP_HOLDDOWN: "90" });
      try {
        w.kube.control.createNode({
          name: W3.name,
          labels: { "homelab/role": "worker" },
          addresses: [{ type: "InternalIP", address: W3.ip }, { type: "Hostname", address: W3.name }],
        });
        await eventually(`FRR session to ${W3.ip} Established`, () => established(W3.ip), w.diagnostics);
        await eventually(`${W3.lb} via ${W3.ip} in the router's kernel table`, () => inKernel(W3.lb, W3.ip), w.diagnostics);
        await w.bridge.synced();
        const running = await L().frr.runningConfig();
        expect(running).toMatch(new RegExp(`^\\s+neighbor ${W3.ip.replace(/\./g, "\\.")} prefix-list opnsense-bgp-agent-in in$`, "m"));
        expect(running).toMatch(new RegExp(`^\\s+neighbor ${W3.ip.replace(/\./g, "\\.")} timers 30 90$`, "m"));
        // Whatever else the node announces never reaches FRR's RIB nor the kernel.
        const rib = await L().frr.rib();
        expect([...rib.keys()]).toEqual([W3.lb]);
        const kernel = await L().frr.kernelRoutes();
        expect([...kernel.keys()]).toEqual([W3.lb]);
        const nb = (await L().frr.neighbors()).get(W3.ip);
        expect(nb?.bgpState).toBe("Established");
        // FRR's pfxRcd counts only what passed the inbound prefix list (4 announced, 1 accepted):
        // the number the agent reports as received and accepted.
        expect((await L().frr.summary()).get(W3.ip)?.pfxRcd).toBe(1);
      } finally {
        await w.close();
      }
    }, 60_000);

    it("agent, IPv6 peering (BGP_ADDRESS_FAMILY=ipv6, dual-stack node): IPv6 session Established, only the IPv6 pool /128 accepted", async () => {
      const w = await startAgentWorld(L(), VERSION, { LB_ADDRESSES: "10.96.0.0/24,fd00:96::/64", BGP_ADDRESS_FAMILY: "ipv6" });
      try {
        w.kube.control.createNode({
          name: W3.name,
          labels: { "homelab/role": "worker" },
          addresses: [{ type: "InternalIP", address: W3.ip }, { type: "InternalIP", address: W3.ip6 }, { type: "Hostname", address: W3.name }],
        });
        const ms = await eventually(`FRR session to ${W3.ip6} Established`, () => established(W3.ip6), w.diagnostics);
        await eventually(`${W3.lb6} via ${W3.ip6} in FRR's IPv6 RIB`, async () => ((await L().frr.rib("ipv6")).get(W3.lb6) ?? []).some((p) => p.nexthops.includes(W3.ip6)), w.diagnostics);
        await eventually(`${W3.lb6} in the router's IPv6 kernel table`, async () => (await L().frr.kernelRoutes("ipv6")).has(W3.lb6), w.diagnostics);
        await w.bridge.synced();
        expect(w.bridge.failures).toEqual([]);
        const running = await L().frr.runningConfig();
        // os-frr's rendering: no update-source for an IPv6 neighbor, activated in the IPv6 family with the agent's list
        expect(running).toMatch(/^ neighbor fd00:20::13 remote-as 64555$/m);
        expect(running).not.toMatch(/neighbor fd00:20::13 update-source/);
        expect(running).toMatch(/address-family ipv6 unicast\n(?:  .*\n)*  neighbor fd00:20::13 activate\n(?:  .*\n)*  neighbor fd00:20::13 prefix-list opnsense-bgp-agent-in in/);
        expect(running).toMatch(/^ipv6 prefix-list opnsense-bgp-agent-in seq \d+ permit fd00:96::\/64 le 128$/m);
        expect(running).toMatch(/^ipv6 prefix-list opnsense-bgp-agent-in seq 4294967294 deny ::\/0 le 128$/m);
        // No IPv4 neighbor: the node peers over IPv6 only.
        expect([...(await L().frr.summary()).keys()]).toEqual([W3.ip6]);
        // The default route and the foreign /128 never reach FRR's RIB or the kernel.
        expect([...(await L().frr.rib("ipv6")).keys()]).toEqual([W3.lb6]);
        expect([...(await L().frr.kernelRoutes("ipv6")).keys()]).toEqual([W3.lb6]);
        expect((await L().frr.summary()).get(W3.ip6)?.pfxRcd).toBe(1);
        console.info(`[bgp-lab] IPv6 peering: node labelled → FRR session to ${W3.ip6} Established in ${ms} ms`);
      } finally {
        await w.close();
      }
    }, 60_000);

    it("agent: label → session + routes; second node keeps the first session; unlabel → neighbor and routes gone", async () => {
      const w = await startAgentWorld(L(), VERSION);
      try {
        const k = w.kube.control;
        for (const n of [W1, W2]) {
          k.createNode({ name: n.name, addresses: [{ type: "InternalIP", address: n.ip }, { type: "Hostname", address: n.name }] });
        }
        // a node outside the selector gets no neighbor
        await w.agent.controller.idle();
        expect((await L().frr.neighbors()).size).toBe(0);

        const t: Record<string, number> = {};
        // 1. label worker-1
        k.labelNode(W1.name, "homelab/role", "worker");
        t["label worker-1 → Established"] = await eventually(`FRR session to ${W1.ip} Established after labelling ${W1.name}`, () => established(W1.ip), w.diagnostics);
        await eventually(`${W1.lb} via ${W1.ip} in FRR's RIB`, () => inRib(W1.lb, W1.ip), w.diagnostics);
        await eventually(`${W1.lb} via ${W1.ip} in the router's kernel table`, () => inKernel(W1.lb, W1.ip), w.diagnostics);
        const n1 = (await L().frr.neighbors()).get(W1.ip);
        expect(n1?.updateSource).toBe(L().routerDevice);
        expect(n1?.connectionsEstablished).toBe(1);
        const g1 = await L().node(W1.name).peer(L().routerIp);
        expect(g1.state).toBe("established");

        // 2. label worker-2: both up, and the first session was not reset by the reload
        k.labelNode(W2.name, "homelab/role", "worker");
        t["label worker-2 → Established"] = await eventually(`FRR session to ${W2.ip} Established after labelling ${W2.name}`, () => established(W2.ip), w.diagnostics);
        await eventually(`${SHARED_LB} via both nodes in the kernel (ECMP)`, async () => (await inKernel(SHARED_LB, W1.ip)) && (await inKernel(SHARED_LB, W2.ip)), w.diagnostics);
        const after2 = await L().frr.neighbors();
        const s1 = after2.get(W1.ip);
        expect(s1?.bgpState).toBe("Established");
        expect(s1?.connectionsEstablished).toBe(n1?.connectionsEstablished);
        expect(s1?.connectionsDropped).toBe(0);
        expect(s1?.bgpTimerUpMsec ?? 0).toBeGreaterThanOrEqual(n1?.bgpTimerUpMsec ?? Number.MAX_SAFE_INTEGER);
        expect(await inRib(W2.lb, W2.ip)).toBe(true);
        // the node's side saw no reset either
        expect(await L().node(W1.name).peer(L().routerIp)).toEqual(g1);

        // 3. unlabel worker-1: its neighbor and its routes go, worker-2 stays up untouched
        const n2 = after2.get(W2.ip);
        k.labelNode(W1.name, "homelab/role", null);
        t["unlabel worker-1 → neighbor gone"] = await eventually(`neighbor ${W1.ip} removed from FRR after unlabelling ${W1.name}`, async () => !(await L().frr.neighbors()).has(W1.ip), w.diagnostics);
        await eventually(`${W1.lb} withdrawn from FRR's RIB and the kernel`, async () => !(await L().frr.rib()).has(W1.lb) && !(await L().frr.kernelRoutes()).has(W1.lb), w.diagnostics);
        await eventually(`${SHARED_LB} only via ${W2.ip}`, async () => {
          const r = (await L().frr.kernelRoutes()).get(SHARED_LB);
          return r !== undefined && r.gateways.length === 1 && r.gateways[0] === W2.ip;
        }, w.diagnostics);
        const s2 = (await L().frr.neighbors()).get(W2.ip);
        expect(s2?.bgpState).toBe("Established");
        expect(s2?.connectionsEstablished).toBe(n2?.connectionsEstablished);
        expect(s2?.connectionsDropped).toBe(0);

        await w.bridge.synced();
        expect(w.bridge.failures).toEqual([]);
        // the simulator agrees: reloads only, no session dropped except the removed one
        expect(w.sim.control.counters().sessionsDropped).toBe(1);

        // 4. session status as the agent reports it: real FRR's sessions copied into the
        // simulator's diagnostics (sessions.ts), then one pass reads them
        const look = async () => {
          await mirrorSessions(L().frr, w.sim.control);
          const report = await w.agent.controller.runNow("lab: session status");
          return { report, status: w.agent.controller.status().nodes.find((n) => n.node === W2.name) };
        };
        const real = (await L().frr.summary()).get(W2.ip);
        const up = await look();
        expect(up.status).toMatchObject({ address: W2.ip, state: "Established", prefixesReceived: real?.pfxRcd, prefixesAccepted: real?.pfxRcd });
        expect(up.report.sessionEvents?.map((e) => [e.node, e.reason])).toEqual([[W2.name, "BGPSessionEstablished"]]);
        const sessionStart = Date.now();
        await L().node(W2.name).stop();
        t["gobgpd stopped → FRR session down"] = await eventually(`FRR session to ${W2.ip} down after stopping gobgpd`, async () => !(await established(W2.ip)), w.diagnostics);
        const down = await look();
        expect(down.status?.state).not.toBe("Established");
        expect(down.report.sessionEvents?.map((e) => [e.node, e.reason, e.type])).toEqual([[W2.name, "BGPSessionDown", "Warning"]]);
        await L().node(W2.name).start();
        t["gobgpd restarted → Established"] = await eventually(`FRR session to ${W2.ip} Established after restarting gobgpd`, () => established(W2.ip), w.diagnostics);
        await eventually(`${W2.lb} back in FRR's RIB`, () => inRib(W2.lb, W2.ip), w.diagnostics);
        const back = await look();
        expect(back.status).toMatchObject({ state: "Established", prefixesReceived: 2 });
        expect(back.report.sessionEvents?.map((e) => [e.node, e.reason])).toEqual([[W2.name, "BGPSessionEstablished"]]);
        expect(Date.parse(back.status?.lastChange ?? "")).toBeGreaterThanOrEqual(sessionStart);
        console.info(`[bgp-lab] ${Object.entries(t).map(([k2, v]) => `${k2}: ${v} ms`).join(", ")}; FRR applies: ${w.bridge.applies.map((a) => `${a.method} ${a.ms} ms (${(a.conf.match(/remote-as/g) ?? []).length} neighbors)`).join(", ")}`);
      } finally {
        await w.close();
      }
    }, 90_000);
  },
);
