import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { rangeToCidrs } from "../../../src/domain/ip-range.ts";
import { addressValue, formatAddressValue, parseNetwork } from "../../../src/domain/net.ts";

function cidrs(start: string, stop: string): readonly string[] {
  const r = rangeToCidrs(start, stop);
  if (!r.ok) throw new Error(r.message);
  return r.cidrs;
}

describe("rangeToCidrs", () => {
  test.each([
    ["10.0.0.0", "10.0.0.255", ["10.0.0.0/24"]],
    ["10.0.0.5", "10.0.0.5", ["10.0.0.5/32"]],
    ["20.0.20.100", "20.0.20.200", ["20.0.20.100/30", "20.0.20.104/29", "20.0.20.112/28", "20.0.20.128/26", "20.0.20.192/29", "20.0.20.200/32"]],
    ["0.0.0.0", "255.255.255.255", ["0.0.0.0/0"]],
    ["10.0.0.255", "10.0.1.0", ["10.0.0.255/32", "10.0.1.0/32"]],
    ["2001:db8::", "2001:db8::ffff", ["2001:db8::/112"]],
    ["2001:db8::1", "2001:db8::2", ["2001:db8::1/128", "2001:db8::2/128"]],
  ])("%s–%s", (start, stop, want) => {
    expect(cidrs(start, stop)).toEqual(want);
  });

  test.each([
    ["10.0.0.9", "10.0.0.1", "start 10.0.0.9 is after stop 10.0.0.1"],
    ["10.0.0.1", "2001:db8::1", "start 10.0.0.1 and stop 2001:db8::1 are of different families"],
    ["ten", "10.0.0.1", 'start "ten" is not an IP address'],
    ["10.0.0.1", "10.0.0.256", 'stop "10.0.0.256" is not an IP address'],
  ])("refuses %s–%s", (start, stop, message) => {
    expect(rangeToCidrs(start, stop)).toEqual({ ok: false, message });
  });

  // Each CIDR is aligned, they are adjacent in order, start at `start` and end at `stop`: together
  // they cover exactly the range. The count is minimal: no two neighbours could merge into one block.
  test("property: the CIDRs cover exactly the range, minimally", () => {
    const v4 = fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((n) => BigInt(n));
    fc.assert(
      fc.property(v4, v4, (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const out = cidrs(formatAddressValue(lo, "inet"), formatAddressValue(hi, "inet"));
        let next = lo;
        for (const c of out) {
          const net = parseNetwork(c);
          expect(net).not.toBeNull();
          const base = addressValue(net!.address, "inet");
          const size = 1n << BigInt(32 - (net!.prefix ?? 32));
          expect(base).toBe(next);
          expect(base % size).toBe(0n);
          next = base + size;
        }
        expect(next - 1n).toBe(hi);
        for (let i = 0; i + 1 < out.length; i++) {
          const x = parseNetwork(out[i]!)!;
          const y = parseNetwork(out[i + 1]!)!;
          const mergeable = x.prefix === y.prefix && addressValue(x.address, "inet") % (2n << BigInt(32 - (x.prefix ?? 32))) === 0n;
          expect(mergeable).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });
});
