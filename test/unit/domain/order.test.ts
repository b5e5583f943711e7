import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareText } from "../../../src/domain/order.ts";

describe("compareText", () => {
  it("orders by UTF-16 code unit, as sort() without a comparator does", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme" })), (names) => {
        expect([...names].sort(compareText)).toEqual([...names].sort());
      }),
    );
  });

  it("is not a locale collation: capitals first, punctuation by its code", () => {
    expect(["worker-b", "Worker-a", "worker.a", "worker-10", "worker-1"].sort(compareText)).toEqual(["Worker-a", "worker-1", "worker-10", "worker-b", "worker.a"]);
    expect(compareText("a", "a")).toBe(0);
  });
});
