/** Peering policy, prefix list and retention: the pure decisions behind issue 8 and the deletion guard. */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { computeDesired } from "../../../src/desired/compute.ts";
import { anchorRowUuid, desiredPrefixRows, permitNetwork, prefixListName } from "../../../src/desired/prefix-list.ts";
import { asnRefusal, peeringAddressRefusal } from "../../../src/desired/peering-policy.ts";
import { deletionNeedsConfirmation } from "../../../src/desired/retention.ts";
import type { RouterFacts } from "../../../src/desired/types.ts";
import type { Neighbor } from "../../../src/domain/types.ts";
import { isUpsertableUuid } from "../../../src/opnsense/codec.ts";
import { neighbor } from "../plan/helpers.ts";
import { CAPS, NO_FACTS, makeConfig, node } from "./fixtures.ts";

const owned = (...ns: Neighbor[]): RouterFacts => ({ ...NO_FACTS, ownedNeighbors: new Map(ns.map((n) => [n.description.replace(/^\S+ /, ""), n])) });
const ours = (name: string, address: string, over: Partial<Neighbor> = {}) => neighbor(`u-${name}`, address, `opnsense-bgp-agent:default node=${name}`, over);

describe("peering address policy", () => {
  const cfg = makeConfig({ LB_ADDRESSES: "10.96.0.0/24", BGP_PEER_NETWORKS: "10.0.20.0/24,192.168.7.0/28" });
  test.each([
    ["10.0.20.11", null],
    ["192.168.7.9", null],
    ["192.168.7.20", "192.168.7.20 is outside BGP_PEER_NETWORKS (10.0.20.0/24, 192.168.7.0/28)"],
    ["10.96.0.77", "10.96.0.77 lies in the LoadBalancer prefix 10.96.0.0/24, which nodes announce and never peer from"],
    ["169.254.0.1", "169.254.0.1 is link-local, never a node's address"],
    ["10.0.20.1", "10.0.20.1 is the router's own address"],
  ])("%s", (address, refusal) => expect(peeringAddressRefusal(address, cfg, ["10.0.20.1"])).toBe(refusal));

  test.each([
    ["fd00:20::11", null],
    ["fd00:20::1", "fd00:20::1 is the router's own address"],
    ["fd00:21::11", "fd00:21::11 is outside BGP_PEER_NETWORKS (10.0.20.0/24, fd00:20::/64)"],
    ["fe80::1", "fe80::1 is link-local, never a node's address"],
    ["ff02::2", "ff02::2 is multicast, never a node's address"],
    ["::1", "::1 is loopback, never a node's address"],
    ["::", ":: is unspecified, never a node's address"],
    ["::ffff:10.0.20.11", "::ffff:10.0.20.11 is ipv4-mapped, never a node's address"],
    ["fd00:96::5", "fd00:96::5 lies in the LoadBalancer prefix fd00:96::/64, which nodes announce and never peer from"],
  ])("IPv6 %s", (address, refusal) => {
    const v6 = makeConfig({ BGP_PEER_NETWORKS: "10.0.20.0/24,fd00:20::/64", LB_ADDRESSES: "fd00:96::/64" });
    expect(peeringAddressRefusal(address, v6, ["10.0.20.1", "fd00:20::1"])).toBe(refusal);
  });

  test("without BGP_PEER_NETWORKS any ordinary unicast address passes", () => {
    expect(peeringAddressRefusal("8.8.8.8", makeConfig())).toBeNull();
  });

  test("AS numbers: BGP_REMOTE_ASN always, others only when listed", () => {
    expect(asnRefusal(64555, makeConfig())).toBeNull();
    expect(asnRefusal(65001, makeConfig({ BGP_ALLOWED_ASNS: "65001" }))).toBeNull();
    expect(asnRefusal(65002, makeConfig({ BGP_ALLOWED_ASNS: "65001" }))).toBe("AS 65002 is not allowed (BGP_REMOTE_ASN 64555, BGP_ALLOWED_ASNS 65001)");
  });
});

describe("contested addresses are decided by what OPNsense holds", () => {
  test("the node that already peers at an address keeps it, even when another sorts first", () => {
    const facts = owned(ours("zz-worker", "10.0.20.11"));
    const d = computeDesired({ nodes: [node("aa-new", "10.0.20.11"), node("zz-worker", "10.0.20.11")], services: [] }, makeConfig(), CAPS["26.1"], facts);
    expect(d.neighbors.map((n) => n.node)).toEqual(["zz-worker"]);
    expect(d.problems.map((p) => p.object)).toEqual(["aa-new"]);
  });

  test("an annotation may not claim another enrolled node's InternalIP, even before that node peers", () => {
    const d = computeDesired(
      { nodes: [node("a", "10.0.20.50", { "opnsense-bgp-agent/address": "10.0.20.11" }), node("b", "10.0.20.11")], services: [] },
      makeConfig(),
      CAPS["26.1"],
      NO_FACTS,
    );
    expect(d.neighbors.map((n) => [n.node, n.spec.address])).toEqual([["b", "10.0.20.11"]]);
    expect(d.problems[0]?.message).toContain("is the InternalIP of node b");
  });

  test("ownAddress: only the node's own InternalIP may adopt", () => {
    const d = computeDesired({ nodes: [node("a", "10.0.20.11"), node("b", "10.0.20.12", { "opnsense-bgp-agent/address": "10.0.20.99" })], services: [] }, makeConfig(), CAPS["26.1"], NO_FACTS);
    expect(d.neighbors.map((n) => [n.node, n.ownAddress])).toEqual([
      ["a", true],
      ["b", false],
    ]);
  });
});

describe("retention", () => {
  const cfg = makeConfig({ MAX_DELETE_FRACTION: "0.5" });
  test("invalid input keeps the last good neighbor, which stays in the node alias", () => {
    const facts = owned(ours("w1", "10.0.20.11"), ours("w2", "10.0.20.12"));
    const d = computeDesired({ nodes: [node("w1", "10.0.20.11", { "opnsense-bgp-agent/asn": "x" }), node("w2", "10.0.20.12")], services: [] }, cfg, CAPS["26.1"], facts);
    expect(d.held).toEqual([{ key: "node=w1", address: "10.0.20.11", reason: "invalid-input" }]);
    expect(d.neighbors.map((n) => n.spec.address).sort()).toEqual(["10.0.20.11", "10.0.20.12"]);
    expect(d.aliases[0]?.spec.content).toEqual(["10.0.20.11", "10.0.20.12"]);
  });

  test("a node in its removal grace is kept; skip=true is not held", () => {
    const facts = { ...owned(ours("w1", "10.0.20.11"), ours("w2", "10.0.20.12"), ours("w3", "10.0.20.13")), inGrace: new Set(["node=w1"]) };
    const d = computeDesired({ nodes: [node("w2", "10.0.20.12", { "opnsense-bgp-agent/skip": "true" }), node("w3", "10.0.20.13")], services: [] }, cfg, CAPS["26.1"], facts);
    expect(d.held).toEqual([{ key: "node=w1", address: "10.0.20.11", reason: "removal-grace" }]);
    expect(d.deletionGuard).toBeNull();
    expect(d.neighbors.map((n) => n.key).sort()).toEqual(["node=w1", "node=w3"]);
  });

  test("the guard holds every deletion when all, or more than the fraction, would go", () => {
    const facts = owned(ours("w1", "10.0.20.11"), ours("w2", "10.0.20.12"), ours("w3", "10.0.20.13"));
    const none = computeDesired({ nodes: [], services: [] }, cfg, CAPS["26.1"], facts);
    expect(none.deletionGuard).toMatchObject({ owned: 3, removing: 3, maxFraction: 0.5 });
    expect(none.held.map((h) => h.reason)).toEqual(["deletion-guard", "deletion-guard", "deletion-guard"]);
    expect(none.neighbors).toHaveLength(3);
    const one = computeDesired({ nodes: [node("w1", "10.0.20.11"), node("w2", "10.0.20.12")], services: [] }, cfg, CAPS["26.1"], facts);
    expect(one.deletionGuard).toBeNull();
    expect(one.neighbors).toHaveLength(2);
  });

  test("POLICY=upsert-only deletes nothing anyway: no guard", () => {
    const facts = owned(ours("w1", "10.0.20.11"));
    const d = computeDesired({ nodes: [], services: [] }, makeConfig({ POLICY: "upsert-only" }), CAPS["26.1"], facts);
    expect(d.deletionGuard).toBeNull();
  });

  test("property: the guard trips exactly when removing more than the fraction, or everything below 1", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 50 }), fc.double({ min: 0, max: 1, noNaN: true }), (total, r, f) => {
        const removing = Math.min(r, total);
        const trips = deletionNeedsConfirmation(total, removing, f);
        if (total === 0 || removing === 0) expect(trips).toBe(false);
        else if (removing === total) expect(trips).toBe(f < 1);
        else expect(trips).toBe(removing / total > f);
        if (f >= 1) expect(trips).toBe(false);
      }),
    );
  });

  test("kept neighbors are linked to the agent's filter like every owned neighbor", () => {
    const facts = owned(ours("w1", "10.0.20.11"));
    const d = computeDesired({ nodes: [node("w1", "10.0.20.11", { "opnsense-bgp-agent/asn": "x" })], services: [] }, makeConfig({ LB_ADDRESSES: "10.96.0.0/24" }), CAPS["26.1"], facts);
    expect(d.neighbors[0]?.spec.prefixListIn).toBe(anchorRowUuid("default"));
  });
});

describe("prefix list", () => {
  test("rows: the anchor deny first (the link target), then one permit per accepted prefix", () => {
    const rows = desiredPrefixRows(makeConfig({ LB_ADDRESSES: "10.96.0.0/24,10.96.1.10", BGP_ACCEPT_PREFIXES: "10.96.0.0/24,10.96.1.10/32,2001:db8:96::/64" }));
    expect(rows.map((r) => [r.key, r.uuid !== null, r.spec.version, r.spec.seqnumber, r.spec.action, r.spec.network])).toEqual([
      ["prefix-in deny-rest", true, "IPv4", 4294967294, "deny", "0.0.0.0/0 le 32"],
      ["prefix-in permit 10.96.0.0/24", false, "IPv4", 10, "permit", "10.96.0.0/24 le 32"],
      ["prefix-in permit 10.96.1.10/32", false, "IPv4", 20, "permit", "10.96.1.10/32"],
      ["prefix-in permit 2001:db8:96::/64", false, "IPv6", 30, "permit", "2001:db8:96::/64 le 128"],
    ]);
    for (const r of rows) {
      expect(r.spec.name).toBe("opnsense-bgp-agent-in");
      expect(r.spec.name).toMatch(/^[a-zA-Z0-9._-]{1,64}$/);
      expect(r.spec.description).toBe(`opnsense-bgp-agent:default ${r.key}`);
    }
  });

  test("no accepted prefixes: no rows and no link", () => {
    const cfg = makeConfig();
    expect(desiredPrefixRows(cfg)).toEqual([]);
    expect(computeDesired({ nodes: [node("w", "10.0.20.11")], services: [] }, cfg, CAPS["26.1"], NO_FACTS).neighbors[0]?.spec.prefixListIn).toBe("");
  });

  test("anchor uuids are valid upsert uuids, stable and distinct per owner; list names per owner", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?$/), (owner) => {
        expect(isUpsertableUuid(anchorRowUuid(owner))).toBe(true);
        expect(anchorRowUuid(owner)).toBe(anchorRowUuid(owner));
        expect(prefixListName(owner)).toMatch(/^[a-zA-Z0-9._-]{1,64}$/);
      }),
    );
    expect(anchorRowUuid("default")).not.toBe(anchorRowUuid("lab"));
    expect(prefixListName("lab")).toBe("opnsense-bgp-agent-lab-in");
  });

  test("permit networks: le up to the family width, none for host routes", () => {
    expect(permitNetwork("10.96.0.0/24")).toBe("10.96.0.0/24 le 32");
    expect(permitNetwork("10.96.0.9/32")).toBe("10.96.0.9/32");
    expect(permitNetwork("2001:db8::/48")).toBe("2001:db8::/48 le 128");
    expect(permitNetwork("10.96.0.0/24 le 32")).toBeNull();
  });
});
