import { describe, expect, test } from "vitest";
import { computeDesired } from "../../../src/desired/compute.ts";
import type { ServiceView } from "../../../src/cluster/types.ts";
import type { Config } from "../../../src/config/types.ts";
import type { Capabilities } from "../../../src/domain/types.ts";
import type { DesiredState } from "../../../src/desired/types.ts";
import { CAPS, NO_FACTS, lbService, makeConfig, type Version } from "./fixtures.ts";

const NETWORKS = "interface=lan source=lan asymmetric=true; interface=opt1 source=192.168.50.0/24";
/** The LB pool of these tests, given as accepted prefixes so that it does not show up in the alias. */
const POOL = { BGP_ACCEPT_PREFIXES: "10.0.30.0/24, 2001:db8::/32" };
const cfg = makeConfig({ LB_CLIENT_NETWORKS: NETWORKS, ...POOL });
const desired = (services: readonly ServiceView[], config: Config = cfg, caps: Capabilities = CAPS["26.1"]): DesiredState =>
  computeDesired({ nodes: [], services }, config, caps, NO_FACTS);
const lbRules = (d: DesiredState) => d.rules.filter((r) => r.key !== "bgp-peers");
/** The fields that change between versions and entries, one line per rule. */
const brief = (d: DesiredState) =>
  lbRules(d).map((r) => [r.key, r.spec.interfaces.join(","), r.spec.direction, r.spec.ipprotocol, r.spec.protocol, r.spec.sourceNet, r.spec.destinationNet, r.spec.destinationPort, r.spec.statetype]);

describe("LB alias", () => {
  test("no client networks: no LB alias, no LB rules", () => {
    const d = desired([lbService("web", "front", ["10.0.30.1"])], makeConfig({ LB_ADDRESSES: "10.0.30.0/24" }));
    expect(d.aliases.map((a) => a.key)).toEqual(["bgp-nodes"]);
    expect(lbRules(d)).toEqual([]);
    expect(d.lbAddresses).toEqual([]);
  });

  test("ingress IPs of LoadBalancer services plus LB_ADDRESSES, sorted and deduplicated", () => {
    const config = makeConfig({ LB_CLIENT_NETWORKS: NETWORKS, LB_ADDRESSES: "10.0.31.0/24,10.0.30.0/25" });
    const d = desired(
      [
        lbService("web", "front", ["10.0.30.2", "10.0.30.1"]),
        lbService("db", "pg", ["10.0.30.9"]),
        lbService("web", "internal", ["10.0.30.50"], { type: "ClusterIP" }),
        lbService("web", "pending", []),
      ],
      config,
    );
    const alias = d.aliases.find((a) => a.key === "lb-addresses");
    expect(alias).toEqual({
      key: "lb-addresses",
      spec: {
        name: "k8s_lb_addresses",
        type: "network",
        enabled: true,
        content: ["10.0.30.0/25", "10.0.30.1", "10.0.30.2", "10.0.30.9", "10.0.31.0/24"],
        description: "opnsense-bgp-agent:default lb-addresses",
      },
    });
    expect(d.lbAddresses).toEqual(alias?.spec.content);
    expect(d.problems).toEqual([]);
  });

  test("alias kept when empty", () => {
    expect(desired([]).aliases.find((a) => a.key === "lb-addresses")?.spec.content).toEqual([]);
  });

  test("hostname ingress and invalid IPs are problems on the service; the rest still counts", () => {
    const d = desired([
      lbService("web", "aws", [{ hostname: "abc.elb.example.com" }, "10.0.30.1"]),
      lbService("web", "bad", ["10.0.30.999"]),
    ]);
    expect(d.lbAddresses).toEqual(["10.0.30.1"]);
    expect(d.problems).toEqual([
      { kind: "service", object: "web/aws", message: 'LoadBalancer ingress has hostname "abc.elb.example.com" and no IP; firewall rules need IP addresses, so it is ignored' },
      { kind: "service", object: "web/bad", message: 'LoadBalancer ingress IP "10.0.30.999" is not an IP address; ignored' },
    ]);
  });

  test("owner id suffixes the alias name and the rules point at it", () => {
    const d = desired([], makeConfig({ LB_CLIENT_NETWORKS: "interface=lan source=lan", OWNER_ID: "lab", ...POOL }));
    expect(d.aliases.map((a) => a.spec.name)).toEqual(["k8s_bgp_nodes_lab", "k8s_lb_addresses_lab"]);
    expect(lbRules(d).map((r) => r.spec.destinationNet)).toEqual(["k8s_lb_addresses_lab"]);
    expect(d.categoryName).toBe("opnsense-bgp-agent-lab");
  });
});

describe("addresses scope: rule bodies per version", () => {
  const services = [lbService("web", "front", ["10.0.30.1"])];
  const EXPECTED: Readonly<Record<Exclude<Version, "24.1">, readonly unknown[]>> = {
    "24.7": [["lb 2 in inet", "opt1", "in", "inet", "any", "192.168.50.0/24", "k8s_lb_addresses", "", null]],
    "25.1": [
      ["lb 1 in inet", "lan", "in", "inet", "any", "lan", "k8s_lb_addresses", "", "sloppy"],
      ["lb 1 out inet", "lan", "out", "inet", "any", "lan", "k8s_lb_addresses", "", "sloppy"],
      ["lb 2 in inet", "opt1", "in", "inet", "any", "192.168.50.0/24", "k8s_lb_addresses", "", "keep"],
    ],
    "25.7": [
      ["lb 1 in inet", "lan", "in", "inet", "any", "lan", "k8s_lb_addresses", "", "sloppy"],
      ["lb 1 out inet", "lan", "out", "inet", "any", "lan", "k8s_lb_addresses", "", "sloppy"],
      ["lb 2 in inet", "opt1", "in", "inet", "any", "192.168.50.0/24", "k8s_lb_addresses", "", "keep"],
    ],
    "26.1": [
      ["lb 1 any inet", "lan", "any", "inet", "any", "lan", "k8s_lb_addresses", "", "sloppy"],
      ["lb 2 in inet", "opt1", "in", "inet", "any", "192.168.50.0/24", "k8s_lb_addresses", "", "keep"],
    ],
    "26.7": [
      ["lb 1 any inet", "lan", "any", "inet", "any", "lan", "k8s_lb_addresses", "", "sloppy"],
      ["lb 2 in inet", "opt1", "in", "inet", "any", "192.168.50.0/24", "k8s_lb_addresses", "", "keep"],
    ],
  };
  test.each(Object.entries(EXPECTED))("OPNsense %s", (version, expected) => {
    const d = desired(services, cfg, CAPS[version as Version]);
    expect(brief(d)).toEqual(expected);
    const problems = d.problems.filter((p) => p.kind === "config");
    if (version === "24.7") {
      expect(problems).toEqual([
        {
          kind: "config",
          object: "LB_CLIENT_NETWORKS entry 1",
          message: `sloppy state needs OPNsense ≥ 25.1 (this router's rule template has no statetype); no rule created for this entry ("interface=lan source=lan asymmetric=true")`,
        },
      ]);
    } else {
      expect(problems).toEqual([]);
    }
  });

  test("full body of the 26.1 sloppy rule", () => {
    expect(lbRules(desired(services))[0]).toEqual({
      key: "lb 1 any inet",
      spec: {
        enabled: true,
        action: "pass",
        quick: true,
        interfaces: ["lan"],
        direction: "any",
        ipprotocol: "inet",
        protocol: "any",
        sourceNet: "lan",
        sourcePort: "",
        destinationNet: "k8s_lb_addresses",
        destinationPort: "",
        statetype: "sloppy",
        description: "opnsense-bgp-agent:default lb 1 any inet",
      },
    });
  });

  test("rules exist while no service has an address yet (stable rule set)", () => {
    expect(brief(desired([])).map((r) => r[0])).toEqual(["lb 1 any inet", "lb 2 in inet"]);
  });
});

describe("IPv6", () => {
  const config = makeConfig({
    LB_CLIENT_NETWORKS: "interface=lan source=lan asymmetric=true; interface=opt1 source=192.168.50.0/24; interface=opt2 source=2001:db8:50::/64",
    ...POOL,
  });
  test("IPv6 LB addresses add inet6 rules; literal sources keep their family", () => {
    const d = desired([lbService("web", "front", ["10.0.30.1", "2001:DB8:30::1"])], config, CAPS["25.7"]);
    expect(d.lbAddresses).toEqual(["10.0.30.1", "2001:db8:30::1"]);
    expect(brief(d).map((r) => r[0])).toEqual([
      "lb 1 in inet",
      "lb 1 out inet",
      "lb 1 in inet6",
      "lb 1 out inet6",
      "lb 2 in inet",
      "lb 3 in inet6",
    ]);
    expect(lbRules(d).find((r) => r.key === "lb 3 in inet6")?.spec).toMatchObject({ ipprotocol: "inet6", sourceNet: "2001:db8:50::/64", interfaces: ["opt2"] });
  });
  test("without IPv6 LB addresses there are no inet6 rules (and an IPv6-only source gets none)", () => {
    const d = desired([lbService("web", "front", ["10.0.30.1"])], config, CAPS["26.1"]);
    expect(brief(d).map((r) => r[0])).toEqual(["lb 1 any inet", "lb 2 in inet"]);
  });
});

describe("ports scope", () => {
  const portsCfg = makeConfig({ LB_CLIENT_NETWORKS: "interface=lan source=lan asymmetric=true; interface=opt1 source=192.168.50.0/24", LB_ACCESS_SCOPE: "ports", ...POOL });

  test("one rule per address, port and protocol; source from the entry", () => {
    const d = desired(
      [lbService("web", "front", ["10.0.30.1"], { ports: [{ port: 443, protocol: "TCP" }, { port: 53, protocol: "udp" }] })],
      portsCfg,
      CAPS["26.1"],
    );
    expect(brief(d)).toEqual([
      ["lb 1 any inet web/front 10.0.30.1 TCP/443", "lan", "any", "inet", "TCP", "lan", "10.0.30.1", "443", "sloppy"],
      ["lb 1 any inet web/front 10.0.30.1 UDP/53", "lan", "any", "inet", "UDP", "lan", "10.0.30.1", "53", "sloppy"],
      ["lb 2 in inet web/front 10.0.30.1 TCP/443", "opt1", "in", "inet", "TCP", "192.168.50.0/24", "10.0.30.1", "443", "keep"],
      ["lb 2 in inet web/front 10.0.30.1 UDP/53", "opt1", "in", "inet", "UDP", "192.168.50.0/24", "10.0.30.1", "53", "keep"],
    ]);
  });

  test("loadBalancerSourceRanges narrow a literal source; a named source keeps its source and the ranges are reported; bad ranges reported", () => {
    const d = desired(
      [lbService("web", "front", ["10.0.30.1"], { ranges: ["192.168.50.128/25", "2001:db8::/32", "nope", "192.168.0.0/16", "198.51.100.7/32"] })],
      portsCfg,
      CAPS["25.1"],
    );
    expect(brief(d)).toEqual([
      ["lb 1 in inet web/front 10.0.30.1 TCP/443 from lan", "lan", "in", "inet", "TCP", "lan", "10.0.30.1", "443", "sloppy"],
      ["lb 1 out inet web/front 10.0.30.1 TCP/443 from lan", "lan", "out", "inet", "TCP", "lan", "10.0.30.1", "443", "sloppy"],
      ["lb 2 in inet web/front 10.0.30.1 TCP/443 from 192.168.50.128/25", "opt1", "in", "inet", "TCP", "192.168.50.128/25", "10.0.30.1", "443", "keep"],
      ["lb 2 in inet web/front 10.0.30.1 TCP/443 from 192.168.50.0/24", "opt1", "in", "inet", "TCP", "192.168.50.0/24", "10.0.30.1", "443", "keep"],
    ]);
    expect(d.problems).toEqual([
      { kind: "service", object: "web/front", message: 'loadBalancerSourceRanges entry "nope" is not an address or CIDR; ignored' },
      {
        kind: "service",
        object: "web/front",
        message:
          'loadBalancerSourceRanges (192.168.50.128/25, 2001:db8::/32, 192.168.0.0/16, 198.51.100.7/32) cannot be intersected with the named source "lan" of LB_CLIENT_NETWORKS entry 1: its rules keep that source and the ranges are not applied (give the entry a CIDR source to have them honoured)',
      },
    ]);
  });

  test("0.0.0.0/0 never widens an entry (the WAN attack of issue 9); a disjoint range gives no rule and a problem naming entry and ranges", () => {
    const config = makeConfig({ LB_CLIENT_NETWORKS: "interface=wan source=192.168.50.0/24", LB_ACCESS_SCOPE: "ports", ...POOL });
    const d = desired(
      [lbService("web", "wide", ["10.0.30.1"], { ranges: ["0.0.0.0/0"] }), lbService("web", "far", ["10.0.30.2"], { ranges: ["203.0.113.0/24", "2001:db8::/32"] })],
      config,
      CAPS["26.1"],
    );
    expect(brief(d)).toEqual([["lb 1 in inet web/wide 10.0.30.1 TCP/443 from 192.168.50.0/24", "wan", "in", "inet", "TCP", "192.168.50.0/24", "10.0.30.1", "443", "keep"]]);
    expect(d.problems).toEqual([
      {
        kind: "service",
        object: "web/far",
        message: "loadBalancerSourceRanges (203.0.113.0/24, 2001:db8::/32) share no address with the source 192.168.50.0/24 of LB_CLIENT_NETWORKS entry 1; no rule from that entry",
      },
    ]);
  });

  test("source any: the ranges become the sources; a named source with only /0 ranges is not reported but keeps to their families", () => {
    const config = makeConfig({ LB_CLIENT_NETWORKS: "interface=opt1 source=any; interface=lan source=lan", LB_ACCESS_SCOPE: "ports", ...POOL });
    const d = desired([lbService("web", "front", ["10.0.30.1", "2001:db8:30::1"], { ranges: ["0.0.0.0/0", "192.168.1.0/24"] })], config, CAPS["26.1"]);
    expect(brief(d).map((r) => [r[1], r[3], r[5], r[6]])).toEqual([
      ["opt1", "inet", "0.0.0.0/0", "10.0.30.1"],
      ["opt1", "inet", "192.168.1.0/24", "10.0.30.1"],
      ["lan", "inet", "lan", "10.0.30.1"],
    ]);
    expect(d.problems.map((p) => p.message)).toEqual([expect.stringContaining('named source "lan"')]);
    const wideOnly = desired([lbService("web", "front", ["10.0.30.1", "2001:db8:30::1"], { ranges: ["0.0.0.0/0"] })], config, CAPS["26.1"]);
    expect(brief(wideOnly).filter((r) => r[1] === "lan").map((r) => [r[3], r[5], r[6]])).toEqual([["inet", "lan", "10.0.30.1"]]);
    expect(wideOnly.problems).toEqual([]);
  });

  test("a service whose ranges are all unparsable gets no rules (fail closed), only the parse problems", () => {
    const d = desired([lbService("web", "front", ["10.0.30.1"], { ranges: ["nope"] })], portsCfg, CAPS["26.1"]);
    expect(lbRules(d)).toEqual([]);
    expect(d.problems.map((p) => p.message)).toEqual(['loadBalancerSourceRanges entry "nope" is not an address or CIDR; ignored']);
  });

  test("IPv6 ingress gets inet6 rules; the IPv4 entry source is not used for it", () => {
    const d = desired([lbService("web", "v6", ["2001:db8:30::1"])], portsCfg, CAPS["26.7"]);
    expect(brief(d)).toEqual([["lb 1 any inet6 web/v6 2001:db8:30::1 TCP/443", "lan", "any", "inet6", "TCP", "lan", "2001:db8:30::1", "443", "sloppy"]]);
  });

  test("SCTP ports are reported once, not per entry", () => {
    const d = desired([lbService("tel", "sip", ["10.0.30.5"], { ports: [{ port: 5060, protocol: "SCTP" }] })], portsCfg, CAPS["26.1"]);
    expect(lbRules(d)).toEqual([]);
    expect(d.problems).toEqual([{ kind: "service", object: "tel/sip", message: "port 5060/SCTP: OPNsense rules take ports only for TCP and UDP; no rule for this port" }]);
  });

  test("on 24.x asymmetric entries get no rule, the others keep working with statetype null", () => {
    const d = desired([lbService("web", "front", ["10.0.30.1"])], portsCfg, CAPS["24.7"]);
    expect(brief(d)).toEqual([["lb 2 in inet web/front 10.0.30.1 TCP/443", "opt1", "in", "inet", "TCP", "192.168.50.0/24", "10.0.30.1", "443", null]]);
    expect(d.problems.map((p) => p.object)).toEqual(["LB_CLIENT_NETWORKS entry 1"]);
  });

  test("very long names are hashed so descriptions stay within 255 bytes, keys unique and stable", () => {
    const ns = "n".repeat(63);
    const services = [1, 2].map((i) => lbService(ns, `${"s".repeat(62)}${i}`, ["2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"], { ranges: ["2001:db8:aaaa:bbbb:cccc:dddd:eeee:0/112"] }));
    const config = makeConfig({ LB_CLIENT_NETWORKS: "interface=lan source=2001:db8:aaaa::/48; interface=opt1 source=2001:db8::/32", LB_ACCESS_SCOPE: "ports", ...POOL });
    const d = desired(services, config, CAPS["26.1"]);
    const keys = lbRules(d).map((r) => r.key);
    expect(keys).toHaveLength(4);
    expect(new Set(keys).size).toBe(4);
    for (const r of lbRules(d)) {
      expect(Buffer.byteLength(r.spec.description)).toBeLessThanOrEqual(255);
      expect(r.spec.description).toBe(`opnsense-bgp-agent:default ${r.key}`);
    }
    expect(keys.some((k) => k.includes("~"))).toBe(true);
    expect(lbRules(desired([...services].reverse(), config, CAPS["26.1"])).map((r) => r.key)).toEqual(keys);
  });
});

test("problems are collected, nothing throws, and the BGP part is unaffected by LB problems", () => {
  const d = desired([lbService("web", "x", [{ hostname: "h" }], { ranges: ["bad"] })], makeConfig({ LB_CLIENT_NETWORKS: NETWORKS, LB_ACCESS_SCOPE: "ports", ...POOL }), CAPS["24.1"]);
  expect(d.rules[0]?.key).toBe("bgp-peers");
  expect(d.problems.map((p) => [p.kind, p.object]).sort()).toEqual([["config", "LB_CLIENT_NETWORKS entry 1"], ["service", "web/x"], ["service", "web/x"]]);
});

describe("ingress IPs are checked before they become alias entries or rule destinations", () => {
  const ports = { LB_CLIENT_NETWORKS: "interface=lan source=10.0.20.0/24", LB_ACCESS_SCOPE: "ports" };
  const destinations = (d: DesiredState) => lbRules(d).map((r) => r.spec.destinationNet);

  test("special addresses and addresses outside LB_ADDRESSES are ignored, each reported on its Service", () => {
    const config = makeConfig({ ...ports, LB_ADDRESSES: "10.96.0.0/24, fd00:96::/64" });
    const d = desired(
      [lbService("apps", "evil", ["10.0.20.1", "0.0.0.0", "255.255.255.255", "127.0.0.1", "224.0.0.1", "169.254.0.1", "::", "fe80::1", "10.96.0.20", "fd00:96::20"])],
      config,
    );
    // (The entry's IPv4 source gives the IPv6 address no rule; it still counts for the alias.)
    expect(destinations(d)).toEqual(["10.96.0.20"]);
    expect(d.lbAddresses).toEqual(["10.96.0.0/24", "10.96.0.20", "fd00:96::/64", "fd00:96::20"]);
    expect(d.problems.map((p) => [p.kind, p.object, p.message])).toEqual([
      ["service", "apps/evil", 'LoadBalancer ingress IP "10.0.20.1" is outside LB_ADDRESSES (10.96.0.0/24, fd00:96::/64); ignored'],
      ["service", "apps/evil", 'LoadBalancer ingress IP "0.0.0.0" is not a unicast host address (unspecified); ignored'],
      ["service", "apps/evil", 'LoadBalancer ingress IP "255.255.255.255" is not a unicast host address (broadcast); ignored'],
      ["service", "apps/evil", 'LoadBalancer ingress IP "127.0.0.1" is not a unicast host address (loopback); ignored'],
      ["service", "apps/evil", 'LoadBalancer ingress IP "224.0.0.1" is not a unicast host address (multicast); ignored'],
      ["service", "apps/evil", 'LoadBalancer ingress IP "169.254.0.1" is not a unicast host address (link-local); ignored'],
      ["service", "apps/evil", 'LoadBalancer ingress IP "::" is not a unicast host address (unspecified); ignored'],
      ["service", "apps/evil", 'LoadBalancer ingress IP "fe80::1" is not a unicast host address (link-local); ignored'],
    ]);
  });

  test("explicit BGP_ACCEPT_PREFIXES bound the IPs as well: an IP must lie in both lists", () => {
    const config = makeConfig({ ...ports, LB_ADDRESSES: "10.96.0.0/23", BGP_ACCEPT_PREFIXES: "10.96.0.0/24, 10.97.0.0/24" });
    const d = desired([lbService("apps", "web", ["10.96.0.5", "10.96.1.5", "10.97.0.5"])], config);
    expect(destinations(d)).toEqual(["10.96.0.5"]);
    expect(d.problems.map((p) => p.message)).toEqual([
      'LoadBalancer ingress IP "10.96.1.5" is outside BGP_ACCEPT_PREFIXES (10.96.0.0/24, 10.97.0.0/24); ignored',
      'LoadBalancer ingress IP "10.97.0.5" is outside LB_ADDRESSES (10.96.0.0/23); ignored',
    ]);
  });

  test("the same checks hold in the addresses scope (alias content)", () => {
    const config = makeConfig({ LB_CLIENT_NETWORKS: "interface=lan source=lan", LB_ADDRESSES: "10.96.0.0/24" });
    const d = desired([lbService("apps", "web", ["10.0.20.1", "10.96.0.7"])], config);
    expect(d.aliases.find((a) => a.key === "lb-addresses")?.spec.content).toEqual(["10.96.0.0/24", "10.96.0.7"]);
  });

  test("no pool at all: unicast IPs are used as before, special ones still refused, and one config problem per pass says so", () => {
    const config = makeConfig({ ...ports, BGP_ACCEPT_PREFIXES: "none" });
    const d = desired([lbService("apps", "a", ["10.0.20.1", "0.0.0.0"]), lbService("apps", "b", ["192.0.2.7"])], config);
    expect(destinations(d)).toEqual(["10.0.20.1", "192.0.2.7"]);
    expect(d.problems.map((p) => [p.kind, p.object])).toEqual([
      ["service", "apps/a"],
      ["config", "LB_ADDRESSES"],
    ]);
    expect(d.problems[1]?.message).toMatch(/^LB_ADDRESSES is empty .* 2 LoadBalancer ingress IP\(s\) are used unchecked/);
    expect(desired([], config).problems).toEqual([]);
  });
});

describe("SERVICE_NAMESPACES", () => {
  test("Services in other namespaces give no alias entry, no rule and no problem", () => {
    const config = makeConfig({ LB_CLIENT_NETWORKS: "interface=lan source=lan", LB_ACCESS_SCOPE: "ports", SERVICE_NAMESPACES: "apps, web", ...POOL });
    const d = desired(
      [
        lbService("apps", "a", ["10.0.30.1"]),
        lbService("web", "b", ["10.0.30.2"]),
        lbService("other", "c", ["10.0.30.3", "0.0.0.0", { hostname: "h" }], { ranges: ["bad"] }),
      ],
      config,
    );
    expect(d.lbAddresses).toEqual(["10.0.30.1", "10.0.30.2"]);
    expect(lbRules(d).map((r) => r.spec.destinationNet)).toEqual(["10.0.30.1", "10.0.30.2"]);
    expect(d.problems).toEqual([]);
  });

  test("unset: every namespace", () => {
    const d = desired([lbService("apps", "a", ["10.0.30.1"]), lbService("other", "c", ["10.0.30.3"])]);
    expect(d.lbAddresses).toEqual(["10.0.30.1", "10.0.30.3"]);
  });
});
