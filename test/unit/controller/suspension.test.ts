import { describe, expect, it } from "vitest";
import { NOT_SUSPENDED, decodeSuspension, encodeSuspension, reconcileSuspension, suspend } from "../../../src/controller/suspension.ts";

describe("firewall suspension state follows the Lease annotation", () => {
  const s = suspend(new Date("2026-01-02T03:04:05Z"), "API unreachable after firewall apply", ["bgp-tcp-179"]);

  it("round-trips what the agent writes", () => {
    const current = s.current;
    if (!current) throw new Error("suspend() must suspend");
    expect(decodeSuspension(encodeSuspension(current))).toEqual({ since: "2026-01-02T03:04:05.000Z", reason: "API unreachable after firewall apply", rules: ["bgp-tcp-179"] });
  });

  it("a hand-written value suspends too, with the text as the reason", () => {
    expect(decodeSuspension("maintenance, do not touch")).toEqual({ since: "", reason: "maintenance, do not touch", rules: [] });
  });

  it("loads a suspension found at start", () => {
    const r = reconcileSuspension(NOT_SUSPENDED, encodeSuspension(s.current ?? { since: "", reason: "", rules: [] }));
    expect(r.change).toBe("loaded");
    expect(r.state).toMatchObject({ persisted: true, current: { rules: ["bgp-tcp-179"] } });
  });

  it("a new suspension not yet written is written, not mistaken for a cleared one", () => {
    expect(reconcileSuspension(s, null)).toEqual({ state: s, change: "persist" });
  });

  it("a recorded suspension whose annotation is gone was cleared by the operator", () => {
    const recorded = { ...s, persisted: true };
    expect(reconcileSuspension(recorded, "x").change).toBeNull();
    expect(reconcileSuspension(recorded, null)).toEqual({ state: NOT_SUSPENDED, change: "cleared" });
    expect(reconcileSuspension(recorded, "  ")).toEqual({ state: NOT_SUSPENDED, change: "cleared" });
  });

  it("nothing suspended and no annotation: nothing happens", () => {
    expect(reconcileSuspension(NOT_SUSPENDED, null)).toEqual({ state: NOT_SUSPENDED, change: null });
  });
});
