import { describe, expect, it } from "vitest";
import { addRateLimit, addTrigger, appliedSomething, gateDelay, passStartDelay } from "../../../src/controller/schedule.ts";

describe("apply gate (MIN_APPLY_INTERVAL)", () => {
  const gate = (lastApplyAt: number | null, minApplyIntervalMs = 10_000) => ({ lastApplyAt, minApplyIntervalMs });

  it("is open before any apply, and when the interval is 0", () => {
    expect(gateDelay(5, gate(null))).toBe(0);
    expect(gateDelay(5, gate(4, 0))).toBe(0);
  });

  it("stays closed until the interval after the last apply has passed", () => {
    expect(gateDelay(1000, gate(0))).toBe(9000);
    expect(gateDelay(10_000, gate(0))).toBe(0);
    expect(gateDelay(50_000, gate(0))).toBe(0);
  });

  it("a pass starts at the later of its debounce and the gate; only the gate's part counts as rate limiting", () => {
    expect(passStartDelay(1000, 2000, gate(0))).toEqual({ delayMs: 9000, rateLimitedMs: 7000 });
    expect(passStartDelay(9000, 2000, gate(0))).toEqual({ delayMs: 2000, rateLimitedMs: 0 });
    expect(passStartDelay(9000, 0, gate(null))).toEqual({ delayMs: 0, rateLimitedMs: 0 });
  });

  it("only a reconfigure or a firewall apply closes the gate", () => {
    expect(appliedSomething(null)).toBe(false);
    expect(appliedSomething({ frrReconfigured: false, aliasesReloaded: false, filterApplied: false })).toBe(false);
    expect(appliedSomething({ frrReconfigured: true, aliasesReloaded: false, filterApplied: false })).toBe(true);
    expect(appliedSomething({ frrReconfigured: false, aliasesReloaded: false, filterApplied: true })).toBe(true);
  });

  it("collects triggers: reasons once each, fresh if any was, held-back count and delay summed", () => {
    let q = addTrigger(null, "a", false, false);
    q = addTrigger(q, "b", true, true);
    q = addTrigger(q, "a", false, true);
    q = addRateLimit(addRateLimit(q, 300), 0);
    expect([...q.reasons]).toEqual(["a", "b"]);
    expect(q).toMatchObject({ fresh: true, heldBack: 2, rateLimitedMs: 300 });
  });
});
