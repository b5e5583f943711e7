import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { computeDesired } from "../../../src/desired/compute.ts";
import type { NodeView } from "../../../src/cluster/types.ts";
import type { DesiredState } from "../../../src/desired/types.ts";
import { CAPS, NO_FACTS, makeConfig, node } from "./fixtures.ts";

const config = makeConfig();
const desired = (nodes: readonly NodeView[], cfg = config, caps = CAPS["26.1"]): DesiredState =>
  computeDesired({ nodes, services: [] }, cfg, caps, NO_FACTS);
const summary = (d: DesiredState) => ({
  neighbors: d.neighbors.map((n) => [n.node, n.spec.address, n.spec.remoteAs]),
  problems: d.problems.map((p) => [p.kind, p.object, p.message]),
});

describe("neighbor of a node", () => {
  test("exact spec from the InternalIP and the config defaults", () => {
    const d = desired([node("worker-1", "10.0.20.11")]);
    expect(d.neighbors).toEqual([
      {
        key: "node=worker-1",
        node: "worker-1",
        spec: {
          enabled: true,
          address: "10.0.20.11",
          remoteAs: 64555,
          updateSource: "",
          linkLocalInterface: "",
          description: "opnsense-bgp-agent:default node=worker-1",
          keepalive: null,
          holddown: null,
          connectTimer: null,
          bfd: false,
          multihop: false,
          password: "",
          peerGroup: "",
          prefixListIn: "",
        },
        ownAddress: true,
      },
    ]);
    expect(d.problems).toEqual([]);
    expect(d.categoryName).toBe("opnsense-bgp-agent");
  });

  test("neighbor settings from the config", () => {
    const cfg = makeConfig({
      BGP_UPDATE_SOURCE: "lan",
      BGP_KEEPALIVE: "10",
      BGP_HOLDDOWN: "30",
      BGP_CONNECT_TIMER: "5",
      BGP_BFD: "true",
      BGP_MULTIHOP: "true",
      BGP_PASSWORD: "md5",
      BGP_PEER_GROUP: "cilium",
      OWNER_ID: "lab",
    });
    const [n] = desired([node("w", "10.0.0.1")], cfg).neighbors;
    expect(n?.spec).toEqual({
      enabled: true,
      address: "10.0.0.1",
      remoteAs: 64555,
      updateSource: "lan",
      linkLocalInterface: "",
      description: "opnsense-bgp-agent:lab node=w",
      keepalive: 10,
      holddown: 30,
      connectTimer: 5,
      bfd: true,
      multihop: true,
      password: "md5",
      peerGroup: "cilium",
      prefixListIn: "",
    });
  });

  test("peer group on os-frr without peer groups: config problem, neighbors without it", () => {
    const d = desired([node("w", "10.0.0.1")], makeConfig({ BGP_PEER_GROUP: "cilium" }), CAPS["24.1"]);
    expect(d.neighbors[0]?.spec.peerGroup).toBe("");
    expect(d.problems).toEqual([
      { kind: "config", object: "BGP_PEER_GROUP", message: "peer groups need os-frr ≥ 1.40 (OPNsense ≥ 24.1.7; this router has no quagga/bgp/getPeergroup); neighbors are created without a peer group" },
    ]);
  });

  const CASES: readonly (readonly [string, NodeView, readonly (readonly unknown[])[], readonly (readonly unknown[])[]])[] = [
    [
      "first IPv4 InternalIP wins over ExternalIP and IPv6",
      node("w", [
        { type: "ExternalIP", address: "203.0.113.5" },
        { type: "InternalIP", address: "fd00::5" },
        { type: "Hostname", address: "w" },
        { type: "InternalIP", address: "10.0.0.5" },
        { type: "InternalIP", address: "10.0.0.6" },
      ]),
      [["w", "10.0.0.5", 64555]],
      [],
    ],
    ["address annotation overrides the InternalIP", node("w", "10.0.0.5", { "opnsense-bgp-agent/address": "10.0.99.5" }), [["w", "10.0.99.5", 64555]], []],
    ["address annotation helps a node without InternalIP", node("w", [], { "opnsense-bgp-agent/address": "10.0.99.5" }), [["w", "10.0.99.5", 64555]], []],
    ["IPv6 address annotation: the node's one peering address, canonical", node("w", "10.0.0.5", { "opnsense-bgp-agent/address": "FD00:0::5" }), [["w", "fd00::5", 64555]], []],
    ["annotation with one address of each family: the IPv4 one (BGP_ADDRESS_FAMILY=ipv4)", node("w", "10.0.0.5", { "opnsense-bgp-agent/address": "fd00::5, 10.0.99.5" }), [["w", "10.0.99.5", 64555]], []],
    [
      "annotation with two IPv4 addresses",
      node("w", "10.0.0.5", { "opnsense-bgp-agent/address": "10.0.99.5,10.0.99.6" }),
      [],
      [["node", "w", 'annotation opnsense-bgp-agent/address="10.0.99.5,10.0.99.6" is not an IPv4 or IPv6 address (or one of each, comma-separated); the node keeps its current neighbor, if any']],
    ],
    [
      "bad address annotation",
      node("w", "10.0.0.5", { "opnsense-bgp-agent/address": "10.0.0.300" }),
      [],
      [["node", "w", 'annotation opnsense-bgp-agent/address="10.0.0.300" is not an IPv4 or IPv6 address (or one of each, comma-separated); the node keeps its current neighbor, if any']],
    ],
    [
      "no InternalIP",
      node("w", [{ type: "ExternalIP", address: "203.0.113.5" }]),
      [],
      [["node", "w", "node has no InternalIP address; set annotation opnsense-bgp-agent/address to its peering address; the node keeps its current neighbor, if any"]],
    ],
    ["IPv6-only node peers over IPv6 (canonical address)", node("w", "FD00::0:5"), [["w", "fd00::5", 64555]], []],
    [
      "asn annotation outside BGP_ALLOWED_ASNS is refused",
      node("w", "10.0.0.5", { "opnsense-bgp-agent/asn": "4200000001" }),
      [],
      [["node", "w", "annotation opnsense-bgp-agent/asn refused: AS 4200000001 is not allowed (BGP_REMOTE_ASN 64555); the node keeps its current neighbor, if any"]],
    ],
    [
      "bad asn annotation",
      node("w", "10.0.0.5", { "opnsense-bgp-agent/asn": "0" }),
      [],
      [["node", "w", 'annotation opnsense-bgp-agent/asn="0" is not an AS number (1–4294967295); the node keeps its current neighbor, if any']],
    ],
    [
      "asn annotation too large",
      node("w", "10.0.0.5", { "opnsense-bgp-agent/asn": "4294967296" }),
      [],
      [["node", "w", 'annotation opnsense-bgp-agent/asn="4294967296" is not an AS number (1–4294967295); the node keeps its current neighbor, if any']],
    ],
    ["skip=true skips silently", node("w", "10.0.0.5", { "opnsense-bgp-agent/skip": "true" }), [], []],
    ["skip=true skips even a node without address", node("w", [], { "opnsense-bgp-agent/skip": "true" }), [], []],
    ["skip=false keeps the node", node("w", "10.0.0.5", { "opnsense-bgp-agent/skip": "false" }), [["w", "10.0.0.5", 64555]], []],
    // One boolean grammar everywhere: skip=yes means what asymmetric=yes means.
    ["skip=yes skips like skip=true", node("w", "10.0.0.5", { "opnsense-bgp-agent/skip": "yes" }), [], []],
    [
      "skip with another value",
      node("w", "10.0.0.5", { "opnsense-bgp-agent/skip": "maybe" }),
      [],
      [["node", "w", 'annotation opnsense-bgp-agent/skip="maybe" is not a boolean (true/false, 1/0, yes/no); the node keeps its current neighbor, if any']],
    ],
    [
      "several bad annotations are all reported",
      node("w", "10.0.0.5", { "opnsense-bgp-agent/address": "x", "opnsense-bgp-agent/asn": "x" }),
      [],
      [
        ["node", "w", 'annotation opnsense-bgp-agent/address="x" is not an IPv4 or IPv6 address (or one of each, comma-separated); the node keeps its current neighbor, if any'],
        ["node", "w", 'annotation opnsense-bgp-agent/asn="x" is not an AS number (1–4294967295); the node keeps its current neighbor, if any'],
      ],
    ],
  ];

  test.each(CASES)("%s", (_, n, neighbors, problems) => {
    expect(summary(desired([n]))).toEqual({ neighbors, problems });
  });

  test("a bad node does not stop the others", () => {
    const d = desired([node("a", "10.0.0.1"), node("b", []), node("c", "10.0.0.3")]);
    expect(d.neighbors.map((n) => n.node)).toEqual(["a", "c"]);
    expect(d.problems.map((p) => p.object)).toEqual(["b"]);
  });

  test("duplicate address: the later node by name gets the problem, whatever the input order", () => {
    const nodes = [node("worker-b", "10.0.0.5"), node("worker-a", "10.0.0.5"), node("worker-c", "10.0.0.6")];
    for (const order of [nodes, [...nodes].reverse()]) {
      expect(summary(desired(order))).toEqual({
        neighbors: [
          ["worker-a", "10.0.0.5", 64555],
          ["worker-c", "10.0.0.6", 64555],
        ],
        problems: [
          ["node", "worker-b", "address 10.0.0.5 is already peered by node worker-a (set annotation opnsense-bgp-agent/address to tell them apart); the node keeps its current neighbor, if any"],
        ],
      });
    }
  });

  test("long node names keep the description within 80 characters and keys unique", () => {
    const long = `worker-${"x".repeat(90)}`;
    const d = desired([node(`${long}-1`, "10.0.0.1"), node(`${long}-2`, "10.0.0.2")]);
    const [a, b] = d.neighbors;
    expect(a?.key).not.toBe(b?.key);
    for (const n of d.neighbors) {
      expect(n.spec.description.length).toBeLessThanOrEqual(80);
      expect(n.spec.description).toBe(`opnsense-bgp-agent:default ${n.key}`);
    }
  });
});

describe("node alias and TCP 179 rule", () => {
  test("host alias of the neighbor addresses, sorted", () => {
    const d = desired([node("b", "10.0.0.20"), node("a", "10.0.0.3"), node("c", [])]);
    expect(d.aliases).toEqual([
      {
        key: "bgp-nodes",
        spec: { name: "k8s_bgp_nodes", type: "host", enabled: true, content: ["10.0.0.20", "10.0.0.3"], description: "opnsense-bgp-agent:default bgp-nodes" },
      },
    ]);
  });

  test("alias kept (empty) without nodes, so the rule stays valid", () => {
    const d = desired([]);
    expect(d.aliases.map((a) => [a.spec.name, a.spec.content])).toEqual([["k8s_bgp_nodes", []]]);
    expect(d.rules.map((r) => r.key)).toEqual(["bgp-peers"]);
  });

  test.each([
    ["24.7", null],
    ["25.1", "keep"],
    ["26.7", "keep"],
  ] as const)("BGP rule on %s", (version, statetype) => {
    const cfg = makeConfig({ FIREWALL_INTERFACE: "opt3", OWNER_ID: "lab-2" });
    expect(desired([], cfg, CAPS[version]).rules).toEqual([
      {
        key: "bgp-peers",
        spec: {
          enabled: true,
          action: "pass",
          quick: true,
          interfaces: ["opt3"],
          direction: "in",
          ipprotocol: "inet",
          protocol: "TCP",
          sourceNet: "k8s_bgp_nodes_lab_2",
          sourcePort: "",
          destinationNet: "(self)",
          destinationPort: "179",
          statetype,
          description: "opnsense-bgp-agent:lab-2 bgp-peers",
        },
      },
    ]);
  });
});

describe("properties", () => {
  const nodeArb = fc.record({
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
    ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant("")),
    skip: fc.constantFrom(undefined, "true", "false", "maybe"),
    asn: fc.constantFrom(undefined, "65001", "0", "x"),
  });
  const toNode = (n: { name: string; ip: string; skip: string | undefined; asn: string | undefined }): NodeView => {
    const annotations: Record<string, string> = {};
    if (n.skip !== undefined) annotations["opnsense-bgp-agent/skip"] = n.skip;
    if (n.asn !== undefined) annotations["opnsense-bgp-agent/asn"] = n.asn;
    return node(n.name, n.ip === "" ? [] : n.ip, annotations);
  };

  test("deterministic in node order, unique keys and addresses, every node accounted for", () => {
    fc.assert(
      fc.property(fc.uniqueArray(nodeArb, { selector: (n) => n.name, maxLength: 12 }), (raw) => {
        const nodes = raw.map(toNode);
        const d = desired(nodes);
        expect(desired([...nodes].reverse())).toEqual(d);
        expect(new Set(d.neighbors.map((n) => n.key)).size).toBe(d.neighbors.length);
        expect(new Set(d.neighbors.map((n) => n.spec.address)).size).toBe(d.neighbors.length);
        for (const n of nodes) {
          const skipped = n.annotations["opnsense-bgp-agent/skip"] === "true";
          const made = d.neighbors.some((x) => x.node === n.name);
          const reported = d.problems.some((p) => p.object === n.name);
          expect(skipped ? !made && !reported : made !== reported).toBe(true);
        }
      }),
    );
  });
});

describe("BGP_ADDRESS_FAMILY", () => {
  const dualStack = (name: string, v4: string, v6: string, annotations: Record<string, string> = {}) =>
    node(name, [
      { type: "InternalIP", address: v4 },
      { type: "InternalIP", address: v6 },
    ], annotations);
  const brief = (d: DesiredState) => ({
    neighbors: d.neighbors.map((n) => [n.key, n.spec.address, n.spec.updateSource, n.spec.linkLocalInterface, n.spec.description, n.ownAddress]),
    problems: d.problems.map((p) => p.message),
  });
  const V4 = ["node=w", "10.0.0.5", "lan", "", "opnsense-bgp-agent:default node=w", true] as const;
  const V6 = ["node=w ipv6", "fd00::5", "", "", "opnsense-bgp-agent:default node=w ipv6", true] as const;
  const CASES: readonly (readonly [string, string, NodeView, readonly (readonly unknown[])[], readonly string[]])[] = [
    ["ipv4: dual-stack node peers over IPv4 (unchanged key)", "ipv4", dualStack("w", "10.0.0.5", "fd00::5"), [V4], []],
    ["ipv4: IPv6-only node peers over IPv6, no update-source", "ipv4", node("w", "fd00::5"), [V6], []],
    ["ipv6: dual-stack node peers over IPv6", "ipv6", dualStack("w", "10.0.0.5", "fd00::5"), [V6], []],
    ["ipv6: IPv4-only node falls back to IPv4", "ipv6", node("w", "10.0.0.5"), [V4], []],
    ["dual: one neighbor per family", "dual", dualStack("w", "10.0.0.5", "fd00::5"), [V4, V6], []],
    ["dual: an IPv4-only node gets one", "dual", node("w", "10.0.0.5"), [V4], []],
    [
      "dual: an IPv4 annotation replaces only the IPv4 InternalIP",
      "dual",
      dualStack("w", "10.0.0.5", "fd00::5", { "opnsense-bgp-agent/address": "10.0.99.5" }),
      [["node=w", "10.0.99.5", "lan", "", "opnsense-bgp-agent:default node=w", false], V6],
      [],
    ],
    [
      "dual: a refused IPv6 address costs only the IPv6 neighbor",
      "dual",
      dualStack("w", "10.0.0.5", "fe80::5"),
      [V4],
      ["peering address refused: fe80::5 is link-local, never a node's address; the node keeps its current neighbor, if any"],
    ],
    [
      "ipv6: a refused IPv6 address is the node's problem (no fallback to IPv4)",
      "ipv6",
      dualStack("w", "10.0.0.5", "::ffff:10.0.0.5"),
      [],
      ["peering address refused: ::ffff:a00:5 is ipv4-mapped, never a node's address; the node keeps its current neighbor, if any"],
    ],
  ];
  test.each(CASES)("%s", (_, family, n, neighbors, problems) => {
    const cfg = makeConfig({ BGP_ADDRESS_FAMILY: family, BGP_UPDATE_SOURCE: "lan" });
    const d = desired([n], cfg);
    expect(brief(d).neighbors).toEqual(neighbors);
    expect(brief(d).problems).toEqual(problems);
  });

  test("a refused IPv6 address in dual mode keeps the node's IPv6 neighbor and drops nothing else", () => {
    const cfg = makeConfig({ BGP_ADDRESS_FAMILY: "dual", BGP_PEER_NETWORKS: "10.0.0.0/24,fd00::/64" });
    const d = desired([dualStack("w", "10.0.0.5", "fd01::5")], cfg);
    expect(d.neighbors.map((x) => x.key)).toEqual(["node=w"]);
    expect(d.problems.map((p) => p.message)).toEqual([
      "peering address refused: fd01::5 is outside BGP_PEER_NETWORKS (10.0.0.0/24, fd00::/64); the node keeps its current neighbor, if any",
    ]);
  });

  test("an IPv6 InternalIP of another node cannot be claimed by annotation", () => {
    const cfg = makeConfig({ BGP_ADDRESS_FAMILY: "dual" });
    const d = desired([dualStack("a", "10.0.0.5", "fd00::5"), node("b", "10.0.0.6", { "opnsense-bgp-agent/address": "fd00:0::5" })], cfg);
    expect(d.neighbors.map((x) => [x.key, x.spec.address])).toEqual([
      ["node=a", "10.0.0.5"],
      ["node=a ipv6", "fd00::5"],
      ["node=b", "10.0.0.6"],
    ]);
    expect(d.problems.map((p) => [p.object, p.message])).toEqual([
      ["b", "annotation opnsense-bgp-agent/address=fd00::5 is the InternalIP of node a; the node keeps its current neighbor, if any"],
    ]);
  });

  test("IPv6 peers inside an IPv6 LB prefix are refused", () => {
    const cfg = makeConfig({ LB_ADDRESSES: "2001:db8:96::/64" });
    const d = desired([node("w", "2001:db8:96::5")], cfg);
    expect(d.neighbors).toEqual([]);
    expect(d.problems[0]?.message).toMatch(/^peering address refused: 2001:db8:96::5 lies in the LoadBalancer prefix 2001:db8:96::\/64/);
  });
});

describe("firewall and route filter for IPv6 neighbors", () => {
  const cfg = makeConfig({ BGP_ADDRESS_FAMILY: "dual", LB_ADDRESSES: "10.96.0.0/24,2001:db8:96::/64" });
  const rows = (d: DesiredState) => d.prefixRows.map((r) => [r.key, r.spec.version, r.spec.seqnumber, r.spec.action, r.spec.network]);
  const rules = (d: DesiredState) => d.rules.map((r) => [r.key, r.spec.ipprotocol, r.spec.sourceNet, r.spec.destinationNet, r.spec.destinationPort]);

  test("IPv4 only: one inet rule and the IPv4 deny row, as before", () => {
    const d = desired([node("a", "10.0.0.5")], cfg);
    expect(rules(d)).toEqual([["bgp-peers", "inet", "k8s_bgp_nodes", "(self)", "179"]]);
    expect(rows(d)).toEqual([
      ["prefix-in deny-rest", "IPv4", 4294967294, "deny", "0.0.0.0/0 le 32"],
      ["prefix-in permit 10.96.0.0/24", "IPv4", 10, "permit", "10.96.0.0/24 le 32"],
      ["prefix-in permit 2001:db8:96::/64", "IPv6", 20, "permit", "2001:db8:96::/64 le 128"],
    ]);
    expect(d.aliases[0]?.spec.content).toEqual(["10.0.0.5"]);
  });

  test("an IPv6 neighbor adds the inet6 rule, its address in the node alias and the IPv6 deny row", () => {
    const d = desired([node("a", [{ type: "InternalIP", address: "10.0.0.5" }, { type: "InternalIP", address: "fd00::5" }])], cfg);
    expect(rules(d)).toEqual([
      ["bgp-peers", "inet", "k8s_bgp_nodes", "(self)", "179"],
      ["bgp-peers ipv6", "inet6", "k8s_bgp_nodes", "(self)", "179"],
    ]);
    expect(d.rules[1]?.spec.description).toBe("opnsense-bgp-agent:default bgp-peers ipv6");
    expect(rows(d)).toContainEqual(["prefix-in deny-rest ipv6", "IPv6", 4294967294, "deny", "::/0 le 128"]);
    expect(d.aliases[0]?.spec.content).toEqual(["10.0.0.5", "fd00::5"]);
    // Every neighbor links the one anchor row; its name is the IPv6 list's name too.
    expect(new Set(d.neighbors.map((n) => n.spec.prefixListIn)).size).toBe(1);
  });

  test("no IPv6 deny row when route filtering is off", () => {
    const d = desired([node("a", "fd00::5")], makeConfig({ BGP_ACCEPT_PREFIXES: "none" }));
    expect(d.prefixRows).toEqual([]);
    expect(rules(d).map((r) => r[0])).toEqual(["bgp-peers", "bgp-peers ipv6"]);
  });
});
