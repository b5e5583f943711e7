// The lab's pure pieces (no root needed): device mapping, FRR/gobgp/ip JSON parsing, the vtysh
// fallback's removal commands, and the bridge's apply-on-change loop against a fake FRR.
import { describe, expect, it } from "vitest";
import { renderFrrConf } from "../fakes/opnsense/index.ts";
import { mapInterfaceDevices, startFrrBridge, targetConf } from "./bridge.ts";
import { BASE_FRR_CONF, parseKernelRoutes, parseNeighbors, parseRib, parseSummary, removalCommands, type ApplyResult, type Frr } from "./frr.ts";
import { gobgpToml, parseGobgpPeer } from "./gobgp.ts";
import { peerStates } from "./sessions.ts";

const nb = (address: string, node: string, extra: Record<string, string> = {}): Record<string, string> => ({
  enabled: "1",
  address,
  remoteas: "64555",
  updatesource: "lan",
  connecttimer: "5",
  description: `opnsense-bgp-agent:default node=${node}`,
  ...extra,
});
const conf = (neighbors: Record<string, Record<string, string>>): string =>
  renderFrrConf({ bgp: { enabled: "1", asnumber: "64555" }, general: { enabled: "1" }, neighbors });

describe("mapInterfaceDevices", () => {
  const c = conf({ a: nb("10.0.20.11", "worker-1"), b: nb("10.0.30.5", "x", { updatesource: "opt1" }) });

  it("keeps the simulator's lan device when the lab uses the same name", () => {
    expect(mapInterfaceDevices(c, { lan: "vtnet1" })).toBe(c);
    expect(c).toContain(" neighbor 10.0.20.11 update-source vtnet1\n");
  });

  it("maps only the interfaces the lab names, in update-source statements", () => {
    const m = mapInterfaceDevices(c, { lan: "br-lab" });
    expect(m).toContain(" neighbor 10.0.20.11 update-source br-lab\n");
    expect(m).toContain(" neighbor 10.0.30.5 update-source vtnet2\n");
    expect(m.replace("br-lab", "vtnet1")).toBe(c);
  });

  it("a stopped FRR means a config without routing", () => {
    expect(targetConf({ running: false, conf: c, lastReconfigure: 1 }, { lan: "vtnet1" })).toBe(BASE_FRR_CONF);
    expect(targetConf({ running: true, conf: c, lastReconfigure: 1 }, { lan: "vtnet1" })).toBe(c);
  });
});

describe("FRR JSON parsing", () => {
  it("show bgp summary json: peers of every address family", () => {
    const text = JSON.stringify({
      ipv4Unicast: {
        routerId: "10.0.20.1",
        peers: {
          "10.0.20.11": { state: "Established", peerUptimeMsec: 36000, pfxRcd: 1, desc: "opnsense-bgp-agent:default node=worker-1" },
          "10.0.20.13": { state: "Connect", peerUptimeMsec: 0, pfxRcd: 0 },
        },
      },
    });
    const s = parseSummary(text);
    expect(s.get("10.0.20.11")).toEqual({ state: "Established", peerUptimeMsec: 36000, pfxRcd: 1, desc: "opnsense-bgp-agent:default node=worker-1" });
    expect(s.get("10.0.20.13")?.desc).toBeNull();
    expect(parseSummary("{}").size).toBe(0);
    expect(parseSummary("").size).toBe(0);
  });

  it("show bgp neighbors json", () => {
    const n = parseNeighbors(
      JSON.stringify({
        "10.0.20.11": { bgpState: "Established", connectionsEstablished: 1, connectionsDropped: 0, bgpTimerUpMsec: 36000, nbrDesc: "d", updateSource: "vtnet1", messageStats: { routeRefreshSent: 2 } },
      }),
    );
    expect(n.get("10.0.20.11")).toEqual({ bgpState: "Established", connectionsEstablished: 1, connectionsDropped: 0, bgpTimerUpMsec: 36000, nbrDesc: "d", updateSource: "vtnet1", routeRefreshSent: 2 });
  });

  it("show bgp ipv4 unicast json: paths with next hops", () => {
    const r = parseRib(
      JSON.stringify({
        routerId: "10.0.20.1",
        routes: {
          "10.96.0.10/32": [
            { valid: true, multipath: true, nexthops: [{ ip: "10.0.20.12", afi: "ipv4", used: true }] },
            { valid: true, bestpath: true, nexthops: [{ ip: "10.0.20.11", afi: "ipv4", used: true }] },
          ],
        },
      }),
    );
    expect(r.get("10.96.0.10/32")).toEqual([
      { nexthops: ["10.0.20.12"], bestpath: false, multipath: true },
      { nexthops: ["10.0.20.11"], bestpath: true, multipath: false },
    ]);
    expect(parseRib(JSON.stringify({ warning: "Default BGP instance not found" })).size).toBe(0);
  });

  it("ip -j route: single and ECMP routes", () => {
    const k = parseKernelRoutes(
      JSON.stringify([
        { dst: "10.96.0.11", gateway: "10.0.20.11", dev: "vtnet1", protocol: "bgp", metric: 20, flags: [] },
        { dst: "10.96.0.10", protocol: "bgp", metric: 20, flags: [], nexthops: [{ gateway: "10.0.20.11", dev: "vtnet1" }, { gateway: "10.0.20.12", dev: "vtnet1" }] },
      ]),
    );
    expect(k.get("10.96.0.11/32")?.gateways).toEqual(["10.0.20.11"]);
    expect(k.get("10.96.0.10/32")?.gateways).toEqual(["10.0.20.11", "10.0.20.12"]);
    expect(parseKernelRoutes("").size).toBe(0);
    const d = parseKernelRoutes(JSON.stringify([{ dst: "default", gateway: "10.0.20.13", dev: "vtnet1", protocol: "bgp", metric: 20, flags: [] }]));
    expect([...d.keys()]).toEqual(["0.0.0.0/0"]);
  });
  it("`ip -6 -j route`: IPv6 host routes are /128, the default route ::/0", () => {
    const k = parseKernelRoutes(
      JSON.stringify([
        { dst: "fd00:96::13", gateway: "fd00:20::13", dev: "vtnet1", protocol: "bgp", metric: 20, flags: [] },
        { dst: "default", gateway: "fd00:20::13", dev: "vtnet1", protocol: "bgp", metric: 20, flags: [] },
      ]),
    );
    expect([...k.keys()]).toEqual(["fd00:96::13/128", "::/0"]);
  });
});

describe("vtysh fallback: removal commands", () => {
  const two = conf({ a: nb("10.0.20.11", "worker-1"), b: nb("10.0.20.12", "worker-2") });
  const one = conf({ b: nb("10.0.20.12", "worker-2") });

  it("a removed neighbor is one `no neighbor`", () => {
    expect(removalCommands(two, one)).toEqual([["router bgp 64555", "no neighbor 10.0.20.11"]]);
  });
  it("added neighbors need no removal", () => {
    expect(removalCommands(one, two)).toEqual([]);
    expect(removalCommands(two, two)).toEqual([]);
  });
  it("a changed line of a kept neighbor is negated in its context", () => {
    const changed = conf({ a: nb("10.0.20.11", "worker-1", { connecttimer: "" }), b: nb("10.0.20.12", "worker-2") });
    expect(removalCommands(two, changed)).toEqual([["router bgp 64555", "no neighbor 10.0.20.11 timers connect 5"]]);
  });
  it("no BGP at all removes the router", () => {
    expect(removalCommands(two, BASE_FRR_CONF)).toEqual([["no router bgp 64555"]]);
  });
});

describe("gobgp", () => {
  it("config peers with the router with connect-retry 5", () => {
    const t = gobgpToml({ asn: 64555, ip: "10.0.20.11", peer: "10.0.20.1", peerAsn: 64555 });
    expect(t).toContain('neighbor-address = "10.0.20.1"');
    expect(t).toContain("connect-retry = 5");
    expect(t).toContain('local-address-list = ["10.0.20.11"]');
    expect(t).not.toContain("ipv6-unicast");
  });
  it("an IPv6 address adds a second session, to the router's IPv6 address, for ipv6-unicast", () => {
    const t = gobgpToml({ asn: 64555, ip: "10.0.20.13", peer: "10.0.20.1", peerAsn: 64555, ipv6: { ip: "fd00:20::13", peer: "fd00:20::1" } });
    expect(t).toContain('local-address-list = ["10.0.20.13", "fd00:20::13"]');
    expect(t).toMatch(/neighbor-address = "fd00:20::1"[\s\S]*local-address = "fd00:20::13"[\s\S]*afi-safi-name = "ipv6-unicast"/);
    expect(t.match(/\[\[neighbors\]\]/g)).toHaveLength(2);
  });
  it("parses `gobgp neighbor X -j`", () => {
    const p = parseGobgpPeer(
      JSON.stringify({
        conf: { neighbor_address: "10.0.20.1" },
        state: { messages: { received: { open: 1, keepalive: 3 } }, session_state: 6 },
        timers: { state: { uptime: { seconds: 1795601754 } } },
      }),
    );
    expect(p).toEqual({ state: "established", upSince: 1795601754, opensReceived: 1 });
    expect(parseGobgpPeer(JSON.stringify({ state: { session_state: 3 } })).state).toBe("active");
  });
});

describe("FRR bridge (fake FRR)", () => {
  it("applies each new running config once, mapped, and a stop as no routing", async () => {
    let running = { running: false, conf: "", lastReconfigure: null as number | null };
    const seen: string[] = [];
    const frr: Pick<Frr, "apply"> = {
      apply: async (c: string): Promise<ApplyResult> => {
        seen.push(c);
        return { method: "frr-reload", ok: true, output: "", ms: 1 };
      },
    };
    const control = { running: () => ({ frr: { ...running, bgpd: running.running, asnumber: "64555", neighbors: [] }, pf: { rules: [], tables: {}, lastFilterApply: null, lastAliasReconfigure: null, pendingRollback: null } }) };
    const bridge = startFrrBridge({ control, frr, interfaceDevices: { lan: "br0" }, pollMs: 5 });
    await bridge.synced(2000);
    expect(seen).toEqual([BASE_FRR_CONF]);

    const c1 = conf({ a: nb("10.0.20.11", "worker-1") });
    running = { running: true, conf: c1, lastReconfigure: 1 };
    await bridge.synced(2000);
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toHaveLength(2);
    expect(seen[1]).toContain("neighbor 10.0.20.11 update-source br0");

    running = { running: false, conf: c1, lastReconfigure: 2 };
    await bridge.synced(2000);
    expect(seen.at(-1)).toBe(BASE_FRR_CONF);
    expect(bridge.applies).toHaveLength(3);
    expect(bridge.failures).toEqual([]);
    await bridge.stop();
  });
});

describe("session mirror (real FRR → simulator peers)", () => {
  it("copies state and the peer's RIB prefixes; an absent or odd state is Idle, a down peer holds none", () => {
    const summary = new Map([
      ["10.0.20.11", { state: "Established", peerUptimeMsec: 5000, pfxRcd: 1, desc: null }],
      ["10.0.20.12", { state: "Idle (Admin)", peerUptimeMsec: 0, pfxRcd: 0, desc: null }],
      ["10.0.20.13", { state: "Active", peerUptimeMsec: 0, pfxRcd: 0, desc: null }],
    ]);
    const rib = new Map([
      ["10.96.0.10/32", [{ nexthops: ["10.0.20.11"], bestpath: true, multipath: false }, { nexthops: ["10.0.20.13"], bestpath: false, multipath: true }]],
      ["10.96.0.11/32", [{ nexthops: ["10.0.20.12"], bestpath: true, multipath: false }]],
    ]);
    expect(peerStates(["10.0.20.11", "10.0.20.12", "10.0.20.13", "10.0.20.14"], summary, rib)).toEqual(
      new Map([
        ["10.0.20.11", { state: "Established", prefixes: ["10.96.0.10/32"] }],
        ["10.0.20.12", { state: "Idle", prefixes: [] }],
        ["10.0.20.13", { state: "Active", prefixes: [] }],
        ["10.0.20.14", { state: "Idle", prefixes: [] }],
      ]),
    );
  });
});
