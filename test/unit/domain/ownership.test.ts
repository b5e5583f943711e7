import { describe, expect, test } from "vitest";
import fc from "fast-check";
import {
  DESCRIPTION_MAX_BYTES,
  fitKey,
  formatMarker,
  NEIGHBOR_DESCRIPTION_MAX_LENGTH,
  familyOfKey,
  neighborKey,
  neighborKeys,
  nodeOfKey,
  objectKey,
  parseMarker,
  parseNeighborMarker,
  adoptedNeighborDescription,
  releasedNeighborDescription,
} from "../../../src/domain/ownership.ts";
import {
  aliasNameProblem,
  categoryName,
  lbAliasName,
  nodeAliasName,
  OWNER_ID_MAX_LENGTH,
  OWNER_ID_PATTERN,
} from "../../../src/domain/names.ts";

const ownerArb = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?$/);
const keyArb = fc
  .string({ minLength: 1, maxLength: 120 })
  .map((s) => s.replace(/[\r\n\u2028\u2029\u0085]/g, "x").replace(/\s{2,}/g, " ").trim())
  .filter((s) => s !== "" && !/\s/.test(s.charAt(0)));

describe("markers", () => {
  test("format", () => {
    expect(formatMarker("default", "node=worker-1")).toBe("opnsense-bgp-agent:default node=worker-1");
  });

  test.each([
    ["opnsense-bgp-agent:default node=worker-1", { owner: "default", key: "node=worker-1" }],
    ["opnsense-bgp-agent:cluster-b lb 1 any inet", { owner: "cluster-b", key: "lb 1 any inet" }],
  ])("parse %j", (text, marker) => expect(parseMarker(text)).toEqual(marker));

  test.each([
    "",
    "worker-1",
    "opnsense-bgp-agent node=worker-1",
    "opnsense-bgp-agent:default",
    "opnsense-bgp-agent:default ",
    "opnsense-bgp-agent:Default node=x",
    "opnsense-bgp-agent:-x node=x",
    "opnsense-bgp-agent:default node=x\nsecond line",
    "hand-made opnsense-bgp-agent:default node=x",
    "opnsense-bgp-agent:: node=x",
    // Only the exact form counts: hand-made text that merely starts with (or pads) the marker is foreign.
    "  opnsense-bgp-agent:default bgp-peers  ",
    "opnsense-bgp-agent:default   hand made copy",
    "opnsense-bgp-agent:default node=x ",
    "opnsense-bgp-agent:default node=a  node=b",
  ])("foreign text %j → null", (text) => expect(parseMarker(text)).toBeNull());

  test("non-strings and huge strings → null, never throws", () => {
    for (const v of [null, undefined, 42, {}, [], "x".repeat(100_000)]) expect(parseMarker(v)).toBeNull();
  });

  test("property: parse(format(owner, key)) round-trips", () => {
    fc.assert(
      fc.property(ownerArb, keyArb, (owner, key) => {
        expect(parseMarker(formatMarker(owner, key))).toEqual({ owner, key });
      }),
    );
  });

  test("property: parseMarker never throws on arbitrary text", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 300 }), (s) => {
      const m = parseMarker(s);
      if (m !== null) expect(OWNER_ID_PATTERN.test(m.owner)).toBe(true);
    }));
  });

});

describe("neighbor markers", () => {
  test.each([
    ["opnsense-bgp-agent:default node=worker-1", { key: "node=worker-1", adopted: false }],
    ["opnsense-bgp-agent:default node=w1.lab.example adopted", { key: "node=w1.lab.example", adopted: true }],
    ["opnsense-bgp-agent:default node=worker-aaaa~0123456789", { key: "node=worker-aaaa~0123456789", adopted: false }],
  ])("%j is ours", (text, marker) => expect(parseNeighborMarker(text, "default")).toEqual(marker));

  test.each([
    "opnsense-bgp-agent:default hand made copy",
    "opnsense-bgp-agent:default node=Worker_1",
    "opnsense-bgp-agent:default node=worker-1 copy",
    "opnsense-bgp-agent:default node=",
    "opnsense-bgp-agent:other node=worker-1",
    " opnsense-bgp-agent:default node=worker-1",
    `opnsense-bgp-agent:default node=${"a".repeat(254)}`,
  ])("%j is not ours", (text) => expect(parseNeighborMarker(text, "default")).toBeNull());

  test("a released neighbor carries no marker", () => {
    const text = releasedNeighborDescription("node=worker-1");
    expect(parseMarker(text)).toBeNull();
    expect(text).toContain("node=worker-1");
    expect(releasedNeighborDescription(`node=${"a".repeat(200)}`).length).toBeLessThanOrEqual(NEIGHBOR_DESCRIPTION_MAX_LENGTH);
  });
});

describe("neighbor keys per address family", () => {
  test.each([
    ["w1", "inet", "node=w1"],
    ["w1", "inet6", "node=w1 ipv6"],
  ] as const)("%s %s → %s, parsed back to the same key and node", (name, family, key) => {
    expect(neighborKey("default", name, family)).toBe(key);
    expect(parseNeighborMarker(formatMarker("default", key), "default")).toEqual({ key, adopted: false });
    expect(parseNeighborMarker(adoptedNeighborDescription("default", key), "default")).toEqual({ key, adopted: true });
    expect(nodeOfKey(key)).toBe(name);
    expect(familyOfKey(key)).toBe(family);
  });

  test("the IPv4 key is the one existing routers hold (no churn on upgrade)", () => {
    expect(neighborKey("default", "worker-1")).toBe("node=worker-1");
    expect(neighborKeys("default", "worker-1")).toEqual(["node=worker-1", "node=worker-1 ipv6"]);
  });

  test.each([
    "opnsense-bgp-agent:default node=w1 ipv4",
    "opnsense-bgp-agent:default node=w1 ipv6 ipv6",
    "opnsense-bgp-agent:default node=w1 adopted ipv6",
    "opnsense-bgp-agent:default node=w1  ipv6",
  ])("not a neighbor marker: %s", (d) => {
    expect(parseNeighborMarker(d, "default")).toBeNull();
  });

  test("long names: both keys fit 80 characters with ` adopted`, stay distinct and name the same shortened node", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,200}[a-z0-9])?$/), fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,12}[a-z0-9])?$/), (name, owner) => {
        const [v4, v6] = neighborKeys(owner, name);
        for (const key of [v4, v6]) {
          const d = adoptedNeighborDescription(owner, key);
          expect(d.length).toBeLessThanOrEqual(NEIGHBOR_DESCRIPTION_MAX_LENGTH);
          expect(parseNeighborMarker(d, owner)).toEqual({ key, adopted: true });
        }
        expect(v4).not.toBe(v6);
        expect(familyOfKey(v4)).toBe("inet");
        expect(familyOfKey(v6)).toBe("inet6");
      }),
    );
  });
});

describe("keys that fit the description limits", () => {
  test("short node names are kept", () => {
    expect(neighborKey("default", "worker-1")).toBe("node=worker-1");
  });

  test("long node names are shortened deterministically with a hash, ≤ 80 characters", () => {
    const name = `worker-${"a".repeat(100)}.example.com`;
    const key = neighborKey("abcdefghijklmn", name);
    expect(key).toMatch(/^node=worker-a+~[0-9a-f]{10}$/);
    // Room is left for the " adopted" flag.
    expect(adoptedNeighborDescription("abcdefghijklmn", key).length).toBe(NEIGHBOR_DESCRIPTION_MAX_LENGTH);
    expect(parseNeighborMarker(formatMarker("abcdefghijklmn", key), "abcdefghijklmn")).toEqual({ key, adopted: false });
    expect(neighborKey("abcdefghijklmn", name)).toBe(key);
  });

  test("property: shortened keys stay unique and within the limit", () => {
    fc.assert(
      fc.property(
        ownerArb,
        fc.uniqueArray(fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,200}[a-z0-9])?$/), { minLength: 2, maxLength: 8 }),
        (owner, names) => {
          const keys = names.map((n) => neighborKey(owner, n));
          expect(new Set(keys).size).toBe(names.length);
          for (const k of keys) {
            expect(formatMarker(owner, k).length).toBeLessThanOrEqual(NEIGHBOR_DESCRIPTION_MAX_LENGTH);
            expect(parseMarker(formatMarker(owner, k))).toEqual({ owner, key: k });
          }
        },
      ),
    );
  });

  test("objectKey keeps descriptions within 255 bytes, counting multi-byte characters", () => {
    const key = `lb 1 in inet ${"ü".repeat(200)}`;
    const fitted = objectKey("default", key);
    expect(Buffer.byteLength(formatMarker("default", fitted))).toBeLessThanOrEqual(DESCRIPTION_MAX_BYTES);
    expect(fitted).not.toBe(key);
    expect(objectKey("default", "bgp-peers")).toBe("bgp-peers");
    expect(fitKey("default", "abc", 1000)).toBe("abc");
  });
});

describe("names", () => {
  test.each([
    ["default", "opnsense-bgp-agent", "k8s_bgp_nodes", "k8s_lb_addresses"],
    ["cluster-b", "opnsense-bgp-agent-cluster-b", "k8s_bgp_nodes_cluster_b", "k8s_lb_addresses_cluster_b"],
  ])("owner %s", (owner, category, nodes, lb) => {
    expect(categoryName(owner)).toBe(category);
    expect(nodeAliasName(owner)).toBe(nodes);
    expect(lbAliasName(owner)).toBe(lb);
  });

  test("OWNER_ID_MAX_LENGTH is exactly what fits", () => {
    expect(OWNER_ID_MAX_LENGTH).toBe(14);
    expect(aliasNameProblem(lbAliasName("a".repeat(14)))).toBeNull();
    expect(aliasNameProblem(lbAliasName("a".repeat(15)))).toMatch(/at most 31/);
  });

  test("property: every valid owner id up to the limit gives valid alias names", () => {
    fc.assert(
      fc.property(ownerArb, (owner) => {
        expect(aliasNameProblem(nodeAliasName(owner))).toBeNull();
        expect(aliasNameProblem(lbAliasName(owner))).toBeNull();
      }),
    );
  });

  test.each([
    ["a", null],
    ["_x", null],
    ["__x", "must start"],
    ["1abc", "must start"],
    ["has-dash", "must start"],
    ["bgp", "reserved"],
    ["any", "reserved"],
  ])("aliasNameProblem(%j)", (name, problem) => {
    const p = aliasNameProblem(name);
    if (problem === null) expect(p).toBeNull();
    else expect(p).toContain(problem);
  });
});
