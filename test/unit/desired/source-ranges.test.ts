import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { intersectNetworks, narrowSource } from "../../../src/desired/source-ranges.ts";
import { networkCovers, parseNetwork, type ParsedNetwork } from "../../../src/domain/net.ts";

const net = (text: string): ParsedNetwork => {
  const n = parseNetwork(text);
  if (n === null) throw new Error(`not a network: ${text}`);
  return n;
};

describe("intersectNetworks", () => {
  test.each([
    ["192.168.50.0/24", "192.168.50.128/25", "192.168.50.128/25"],
    ["192.168.50.0/24", "0.0.0.0/0", "192.168.50.0/24"],
    ["192.168.50.0/24", "192.168.0.0/16", "192.168.50.0/24"],
    ["192.168.50.0/24", "192.168.50.0/24", "192.168.50.0/24"],
    ["192.168.50.0/24", "192.168.50.7", "192.168.50.7"],
    ["192.168.50.0/24", "203.0.113.0/24", null],
    ["192.168.50.0/24", "192.168.51.0/24", null],
    ["192.168.50.0/24", "::/0", null],
    ["2001:db8::/32", "2001:db8:1::/48", "2001:db8:1::/48"],
    ["2001:db8:1::/48", "::/0", "2001:db8:1::/48"],
    ["2001:db8::/32", "2001:db9::/32", null],
  ])("%s ∩ %s = %s", (a, b, expected) => {
    expect(intersectNetworks(net(a), net(b))?.text ?? null).toBe(expected);
    expect(intersectNetworks(net(b), net(a))?.text ?? null).toBe(expected);
  });
});

describe("narrowSource", () => {
  const ranges = (...texts: string[]) => texts.map(net);
  test.each([
    ["no ranges: the entry's source", "192.168.50.0/24", null, [{ source: "192.168.50.0/24", family: "inet" }], null],
    ["no ranges, named source", "lan", null, [{ source: "lan", family: null }], null],
    ["all ranges unparsable: nobody", "192.168.50.0/24", [], [], null],
    ["a range inside the source", "192.168.50.0/24", ["192.168.50.0/26", "192.168.50.200"], [{ source: "192.168.50.0/26", family: "inet" }, { source: "192.168.50.200", family: "inet" }], null],
    ["the source inside a range, once", "192.168.50.0/24", ["0.0.0.0/0", "192.168.0.0/16"], [{ source: "192.168.50.0/24", family: "inet" }], null],
    ["disjoint", "192.168.50.0/24", ["203.0.113.0/24", "2001:db8::/32"], [], "disjoint"],
    ["any: the ranges", "any", ["203.0.113.0/24", "2001:db8::/32"], [{ source: "203.0.113.0/24", family: "inet" }, { source: "2001:db8::/32", family: "inet6" }], null],
    ["named, /0 only: unchanged in that family", "lan", ["0.0.0.0/0"], [{ source: "lan", family: "inet" }], null],
    ["named, narrower range: kept, reported", "lan", ["192.168.1.0/24", "::/0"], [{ source: "lan", family: "inet" }, { source: "lan", family: "inet6" }], "named-source"],
  ] as const)("%s", (_name, source, rangeTexts, sources, issue) => {
    expect(narrowSource(source, rangeTexts === null ? null : ranges(...rangeTexts))).toEqual({ sources, issue });
  });
});

/** Random IPv4 CIDRs biased towards a few overlapping blocks, so nesting happens often. */
const cidr4 = fc
  .tuple(fc.constantFrom(0x0a000000, 0xc0a83200, 0xc0a80000, 0xcb007100), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 32 }))
  .map(([base, noise, prefix]) => {
    const value = (base + (noise << (prefix > 16 ? 0 : 8))) >>> 0;
    const address = [24, 16, 8, 0].map((s) => (value >>> s) & 255).join(".");
    return net(`${address}/${prefix}`);
  });

describe("properties", () => {
  test("an intersection is covered by both networks, and none means no shared address", () => {
    fc.assert(
      fc.property(cidr4, cidr4, (a, b) => {
        const both = intersectNetworks(a, b);
        if (both === null) {
          expect(networkCovers(a, b) || networkCovers(b, a)).toBe(false);
        } else {
          expect(networkCovers(a, both)).toBe(true);
          expect(networkCovers(b, both)).toBe(true);
        }
      }),
    );
  });

  test("every narrowed source of a literal entry is covered by the entry's source and by some range", () => {
    fc.assert(
      fc.property(cidr4, fc.array(cidr4, { minLength: 1, maxLength: 5 }), (source, ranges) => {
        const result = narrowSource(source.text, ranges);
        for (const s of result.sources) {
          const n = net(s.source);
          expect(networkCovers(source, n)).toBe(true);
          expect(ranges.some((r) => networkCovers(r, n))).toBe(true);
        }
        expect(result.issue === "disjoint").toBe(result.sources.length === 0);
      }),
    );
  });
});
