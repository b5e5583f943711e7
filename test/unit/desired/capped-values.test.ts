/** User-controlled values quoted into problem messages (logged every pass, copied into Events) are capped. */
import { describe, expect, test } from "vitest";
import { computeDesired } from "../../../src/desired/compute.ts";
import { CAPS, NO_FACTS, lbService, makeConfig, node } from "./fixtures.ts";

const HUGE = 200 * 1024;
const LIMIT = 300;

describe("oversized user values in problem messages", () => {
  test.each(["opnsense-bgp-agent/address", "opnsense-bgp-agent/asn", "opnsense-bgp-agent/skip"])("a 200 KB %s annotation: short message that still names the annotation", (annotation) => {
    const value = `${"9".repeat(40)}${"x".repeat(HUGE - 40)}`;
    const d = computeDesired({ nodes: [node("w", "10.0.0.5", { [annotation]: value })], services: [] }, makeConfig(), CAPS["26.1"], NO_FACTS);
    expect(d.problems).toHaveLength(1);
    const message = d.problems[0]?.message ?? "";
    expect(message.length).toBeLessThan(LIMIT);
    expect(message).toContain(`annotation ${annotation}="${"9".repeat(40)}`);
    expect(message).toContain(`(${HUGE} chars)`);
    expect(message).toMatch(/; the node keeps its current neighbor, if any$/);
  });

  test("Service ingress hostnames, ingress IPs and source ranges are capped too", () => {
    const long = "h".repeat(HUGE);
    const config = makeConfig({ LB_CLIENT_NETWORKS: "interface=lan source=lan", LB_ACCESS_SCOPE: "ports", LB_ADDRESSES: "10.0.30.0/24" });
    const services = [
      lbService("web", "by-name", [{ hostname: `${long}.example` }]),
      lbService("web", "bad-ip", [{ ip: `10.${long}` }]),
      lbService("web", "bad-range", ["10.0.30.1"], { ranges: [`${long}/24`] }),
    ];
    const d = computeDesired({ nodes: [], services }, config, CAPS["26.1"], NO_FACTS);
    expect(d.problems.map((p) => p.object).sort()).toEqual(["web/bad-ip", "web/bad-range", "web/by-name"]);
    for (const p of d.problems) {
      expect(p.message.length).toBeLessThan(LIMIT);
      expect(p.message).toMatch(/\(\d+ chars\)/);
    }
  });
});
