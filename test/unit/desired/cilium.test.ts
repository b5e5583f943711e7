/** Cilium's pools and BGP config against the agent and the router: the pure decisions as tables. */
import { describe, expect, test } from "vitest";
import type { CiliumBgpConfig, CiliumPool, CiliumView } from "../../../src/cluster/cilium.ts";
import { NO_CILIUM } from "../../../src/cluster/cilium.ts";
import type { ClusterView } from "../../../src/cluster/types.ts";
import { ciliumMismatches, mismatchMessage, resolveRemoteAsn, type CheckInput } from "../../../src/desired/cilium-check.ts";
import { poolCidrs } from "../../../src/desired/cilium-pools.ts";
import { effectiveAcceptPrefixes, effectiveLbPrefixes } from "../../../src/desired/lb-prefixes.ts";
import { makeConfig, node } from "./fixtures.ts";

const pool = (name: string, blocks: CiliumPool["blocks"], disabled = false): CiliumPool => ({ name, disabled, blocks });
const block = (cidr: string | null, start: string | null = null, stop: string | null = null) => ({ cidr, start, stop });
const view = (cilium: Partial<CiliumView>, nodes = [node("w1", "10.0.20.11")]): ClusterView => ({ nodes, services: [], cilium: { ...NO_CILIUM, ...cilium } });

describe("pools as CIDRs", () => {
  test.each([
    ["a CIDR, aligned", [block("10.96.0.5/24")], ["10.96.0.0/24"], []],
    ["a range, exactly", [block(null, "10.96.0.10", "10.96.0.20")], ["10.96.0.10/31", "10.96.0.12/30", "10.96.0.16/30", "10.96.0.20/32"], []],
    ["start alone is one address", [block(null, "10.96.0.7")], ["10.96.0.7/32"], []],
    ["a broken block is reported, the rest counts", [block("nonsense"), block("10.97.0.0/25")], ["10.97.0.0/25"], ['block 1: cidr "nonsense" is not a CIDR']],
    ["an empty block", [block(null)], [], ["block 1: neither cidr nor start is set"]],
  ] as const)("%s", (_, blocks, cidrs, problems) => {
    expect(poolCidrs(pool("p", blocks))).toEqual({ cidrs, problems });
  });

  test("a disabled pool gives nothing", () => {
    expect(poolCidrs(pool("p", [block("10.96.0.0/24")], true))).toEqual({ cidrs: [], problems: [] });
  });
});

describe("effective LB and accepted prefixes", () => {
  test("LB_ADDRESSES merged with the pools; accepted routes follow unless BGP_ACCEPT_PREFIXES is explicit", () => {
    const v = view({ pools: [pool("blue", [block("10.96.0.0/24")]), pool("off", [block("10.99.0.0/24")], true)] });
    const lb = effectiveLbPrefixes(makeConfig({ LB_ADDRESSES: "10.98.0.7" }), v);
    expect(lb).toMatchObject({ prefixes: ["10.96.0.0/24", "10.98.0.7"], pools: ["blue"], disabledPools: ["off"], label: "LB_ADDRESSES and the Cilium pools (blue)" });
    expect(effectiveAcceptPrefixes(makeConfig({ LB_ADDRESSES: "10.98.0.7" }), v)).toEqual({ prefixes: ["10.96.0.0/24", "10.98.0.7/32"], from: "LB_ADDRESSES and Cilium pools" });
    expect(effectiveAcceptPrefixes(makeConfig(), v)).toEqual({ prefixes: ["10.96.0.0/24"], from: "Cilium pools" });
    expect(effectiveAcceptPrefixes(makeConfig({ BGP_ACCEPT_PREFIXES: "10.50.0.0/16" }), v)).toEqual({ prefixes: ["10.50.0.0/16"], from: "BGP_ACCEPT_PREFIXES" });
    // `none` stays none: a pool appearing must not switch filtering back on behind the owner's back.
    expect(effectiveAcceptPrefixes(makeConfig({ BGP_ACCEPT_PREFIXES: "none" }), v)).toEqual({ prefixes: [], from: "none" });
  });
});

const policy = (over: Partial<CiliumBgpConfig> = {}, peer: Partial<CiliumBgpConfig["instances"][number]["peers"][number]> = {}, localAsn = 64555): CiliumBgpConfig => ({
  kind: "CiliumBGPPeeringPolicy",
  name: "opnsense",
  nodeSelector: { matchLabels: { "homelab/role": "worker" }, matchExpressions: [] },
  instances: [
    {
      localAsn,
      peers: [{ peerAddress: "10.0.20.1/32", peerAsn: 64555, holdTimeSeconds: 90, keepAliveTimeSeconds: 30, gracefulRestart: true, peerConfigRef: null, ...peer }],
    },
  ],
  ...over,
});

function input(over: Partial<CheckInput> & { cilium: CiliumView }): CheckInput {
  return {
    config: makeConfig({ BGP_KEEPALIVE: "30", BGP_HOLDDOWN: "90" }),
    remoteAsn: 64555,
    nodes: [node("w1", "10.0.20.11")],
    agentAsOf: new Map(),
    lbPrefixes: ["10.96.0.0/24"],
    router: { asNumber: 64555, graceful: true, addresses: ["10.0.20.1"] },
    ...over,
  };
}
const kinds = (i: CheckInput) => ciliumMismatches(i).map((m) => [m.node, m.kind]);

describe("Cilium BGP cross-check", () => {
  test("the README's seed setup agrees with the agent's defaults: no mismatch", () => {
    expect(ciliumMismatches(input({ cilium: { ...NO_CILIUM, bgp: [policy()], selectedNodes: ["w1"] } }))).toEqual([]);
  });

  test.each([
    ["local AS", policy({}, {}, 64600), {}, [["w1", "local-as"]]],
    ["peer AS", policy({}, { peerAsn: 64512 }), {}, [["w1", "peer-as"]]],
    ["timers", policy({}, { holdTimeSeconds: 9, keepAliveTimeSeconds: 3 }), {}, [["w1", "timers"]]],
    ["graceful restart on one side", policy({}, { gracefulRestart: false }), {}, [["w1", "graceful-restart"]]],
    ["peer address of a node", policy({}, { peerAddress: "10.0.20.11/32" }), {}, [["w1", "peer-address"]]],
    ["router AS unknown: nothing to compare", policy({}, { peerAsn: 64512 }), { router: { asNumber: null, graceful: null, addresses: ["10.0.20.1"] } }, []],
  ] as const)("%s", (_, config, over, expected) => {
    expect(kinds(input({ cilium: { ...NO_CILIUM, bgp: [config], selectedNodes: ["w1"] }, ...over }))).toEqual(expected);
  });

  test("nodes selected on one side only", () => {
    const selectsOther = policy({ nodeSelector: { matchLabels: { cilium: "bgp" }, matchExpressions: [] } });
    expect(kinds(input({ cilium: { ...NO_CILIUM, bgp: [selectsOther], selectedNodes: ["w9"] } }))).toEqual([
      ["w1", "not-peered-by-cilium"],
      ["w9", "not-enrolled"],
    ]);
  });

  test("the node's asn annotation is what the agent writes, and the message names it", () => {
    const [m] = ciliumMismatches(input({ cilium: { ...NO_CILIUM, bgp: [policy()], selectedNodes: ["w1"] }, agentAsOf: new Map([["w1", 65010]]) }));
    expect(m?.kind).toBe("local-as");
    expect(mismatchMessage(m ?? ({} as never))).toBe(
      "local AS differs: Cilium 64555 (CiliumBGPPeeringPolicy opnsense); agent: remote AS 65010 (annotation opnsense-bgp-agent/asn). OPNsense rejects the session (bad peer AS); make BGP_REMOTE_ASN (or the node's asn annotation) equal Cilium's localASN",
    );
  });

  test("cluster config: timers and graceful restart come from the referenced peer config", () => {
    const cc: CiliumBgpConfig = { ...policy({}, { holdTimeSeconds: null, keepAliveTimeSeconds: null, gracefulRestart: null, peerConfigRef: "pc" }), kind: "CiliumBGPClusterConfig" };
    const pc = { name: "pc", holdTimeSeconds: 30, keepAliveTimeSeconds: 10, gracefulRestart: true };
    const ms = ciliumMismatches(input({ cilium: { ...NO_CILIUM, bgp: [cc], peerConfigs: [pc], selectedNodes: ["w1"] } }));
    expect(ms.map((m) => [m.kind, m.cilium])).toEqual([["timers", "hold 30s keepalive 10s (CiliumBGPPeerConfig pc (via CiliumBGPClusterConfig opnsense))"]]);
  });
});

describe("the nodes' AS", () => {
  test.each([
    ["BGP_REMOTE_ASN wins", { BGP_REMOTE_ASN: "64555" }, [policy({}, {}, 64600)], { ok: true, asn: 64555, from: "BGP_REMOTE_ASN" }],
    ["unset: Cilium's one local AS", { BGP_REMOTE_ASN: "" }, [policy({}, {}, 64600)], { ok: true, asn: 64600, from: "Cilium (CiliumBGPPeeringPolicy opnsense)" }],
    [
      "unset and two local ASes: refused",
      { BGP_REMOTE_ASN: "" },
      [policy({}, {}, 64600), policy({ name: "other" }, {}, 64601)],
      { ok: false, message: "BGP_REMOTE_ASN is not set and Cilium's BGP configs name several local AS numbers for the enrolled nodes: 64600 (CiliumBGPPeeringPolicy opnsense), 64601 (CiliumBGPPeeringPolicy other); set BGP_REMOTE_ASN" },
    ],
    ["unset and no Cilium BGP: refused", { BGP_REMOTE_ASN: "" }, null, { ok: false, message: "BGP_REMOTE_ASN is not set and cannot be taken from Cilium: the cluster serves no Cilium BGP resources; set BGP_REMOTE_ASN" }],
  ] as const)("%s", (_, env, bgp, result) => {
    expect(resolveRemoteAsn(makeConfig(env), view({ bgp: bgp === null ? null : [...bgp] }))).toEqual(result);
  });
});
