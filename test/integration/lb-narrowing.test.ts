/**
 * Issue 9 item 3, "LB rules narrow, never widen": what a namespace editor writes into a Service
 * (source ranges, ingress IPs, its namespace) can only narrow the access the router admin
 * configured, never widen it. Real agent, real HTTP, both fakes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { aliasByName, rules } from "./helpers.ts";
import { startWorld, type World } from "./world.ts";
import type { Problem } from "../../src/desired/types.ts";

const PUBLIC = { "homelab/public-service": "true" };

let w: World;
afterEach(async () => {
  await w.close();
});

async function world(env: Record<string, string>): Promise<World> {
  const world = await startWorld({ version: "26.1.11", agent: false, env: { LB_ACCESS_SCOPE: "ports", LB_ADDRESSES: "10.96.0.0/24", ...env } });
  world.addWorker("worker-1", "10.0.20.11");
  return world;
}

/** The LB port rules as (interface, source, destination) lines, sorted. */
function portRules(): string[] {
  return rules(w.sim)
    .filter((r) => r["destination_port"] !== "179")
    .map((r) => `${r["interface"]} ${r["source_net"]} -> ${r["destination_net"]}:${r["destination_port"]}`)
    .sort();
}

/** Settles on the first successful pass and returns its problems. */
async function firstPassProblems(): Promise<readonly Problem[]> {
  await w.startAgent();
  await w.settle(() => w.reports.some((r) => r.result === "success"), "first successful pass");
  return w.reports.find((r) => r.result === "success")?.desired?.problems ?? [];
}

describe("loadBalancerSourceRanges narrow the entry's source", () => {
  it("a WAN entry from 192.168.50.0/24: 0.0.0.0/0 gives the entry's source, a sub-range itself, a disjoint range no rule and a problem", async () => {
    w = await world({ LB_CLIENT_NETWORKS: "interface=wan source=192.168.50.0/24" });
    const svc = (name: string, ip: string, ranges: string[]) =>
      w.kube.control.createService({ namespace: "apps", name, labels: PUBLIC, ports: [443], ingress: [ip], loadBalancerSourceRanges: ranges });
    svc("wide", "10.96.0.11", ["0.0.0.0/0"]);
    svc("inner", "10.96.0.12", ["192.168.50.128/25", "10.0.0.0/8"]);
    svc("disjoint", "10.96.0.13", ["203.0.113.0/24"]);
    const problems = await firstPassProblems();

    expect(portRules()).toEqual(["wan 192.168.50.0/24 -> 10.96.0.11:443", "wan 192.168.50.128/25 -> 10.96.0.12:443"]);
    expect(rules(w.sim).map((r) => r["source_net"])).not.toContain("0.0.0.0/0");
    expect(problems.map((p) => [p.kind, p.object])).toEqual([["service", "apps/disjoint"]]);
    for (const named of ["LB_CLIENT_NETWORKS entry 1", "192.168.50.0/24", "203.0.113.0/24"]) expect(problems[0]?.message).toContain(named);
    // Logged on every pass that sees it (level-triggered), always the same one line.
    const lines = w.logs.withMsg("input problem; object skipped").filter((l) => l["service"] === "apps/disjoint");
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(new Set(lines.map((l) => l["error"])).size).toBe(1);
  });
});

describe("ingress IPs outside the LB pool or of a special class are ignored", () => {
  it("the router's address, 0.0.0.0, 255.255.255.255 and a LAN host get no rule and no alias entry, each reported", async () => {
    w = await world({ LB_CLIENT_NETWORKS: "interface=lan source=10.0.20.0/24" });
    w.kube.control.createService({
      namespace: "apps",
      name: "evil",
      labels: PUBLIC,
      ports: [443],
      ingress: ["10.0.20.1", "0.0.0.0", "255.255.255.255", "10.0.20.50", "10.96.0.20"],
    });
    const problems = await firstPassProblems();

    expect(portRules()).toEqual(["lan 10.0.20.0/24 -> 10.96.0.20:443"]);
    expect(aliasByName(w.sim, "k8s_lb_addresses")?.["content"]).toBe("10.96.0.0/24\n10.96.0.20");
    expect(w.sim.control.running().pf.tables["k8s_lb_addresses"]).toEqual(["10.96.0.0/24", "10.96.0.20"]);
    const evil = problems.filter((p) => p.object === "apps/evil");
    expect(evil.map((p) => p.message.match(/"([^"]+)"/)?.[1]).sort()).toEqual(["0.0.0.0", "10.0.20.1", "10.0.20.50", "255.255.255.255"]);
    expect(problems).toHaveLength(4);
  });
});

describe("SERVICE_NAMESPACES", () => {
  it("a Service in another namespace gets no rule, no alias entry and no problem", async () => {
    w = await world({ LB_CLIENT_NETWORKS: "interface=lan source=10.0.20.0/24", SERVICE_NAMESPACES: "apps" });
    w.kube.control.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "other" } });
    w.kube.control.createService({ namespace: "apps", name: "web", labels: PUBLIC, ports: [443], ingress: ["10.96.0.10"] });
    w.kube.control.createService({ namespace: "other", name: "web", labels: PUBLIC, ports: [443], ingress: ["10.96.0.30"] });
    const problems = await firstPassProblems();

    expect(portRules()).toEqual(["lan 10.0.20.0/24 -> 10.96.0.10:443"]);
    expect(aliasByName(w.sim, "k8s_lb_addresses")?.["content"]).toBe("10.96.0.0/24\n10.96.0.10");
    expect(problems).toEqual([]);
    // (The pass's trigger may still name it: the watch sees every namespace.)
    expect(w.logs.withMsg("input problem; object skipped").map((l) => l["service"])).not.toContain("other/web");
    expect(rules(w.sim).map((r) => r["description"]).join("\n")).not.toContain("other/web");
  });
});
