import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait.ts";
import { actionCalls, aliasByName, rules, writeCalls } from "./helpers.ts";
import { startWorld, type SimVersion, type World } from "./world.ts";

const MARK = "opnsense-bgp-agent:default";
const PUBLIC = { "homelab/public-service": "true" };
const ASYM_LAN = "interface=lan source=lan asymmetric=true";

function lbRules(w: World) {
  return rules(w.sim)
    .filter((r) => r["destination_net"] === "k8s_lb_addresses" || (r["description"] ?? "").includes(" lb"))
    .sort((a, b) => (a["direction"] ?? "").localeCompare(b["direction"] ?? ""));
}

async function lbWorld(version: SimVersion, env: Record<string, string> = {}): Promise<World> {
  const w = await startWorld({ version, agent: false, env: { LB_CLIENT_NETWORKS: ASYM_LAN, ...env } });
  w.addWorker("worker-1", "10.0.20.11");
  w.kube.control.createService({ namespace: "apps", name: "web", labels: PUBLIC, ports: [443], ingress: ["10.96.0.10"] });
  return w;
}

let w: World;
afterEach(async () => {
  await w.close();
});

describe("LB access rules: exact bodies per OPNsense version (one asymmetric client network)", () => {
  const expected: Record<string, { direction: string; statetype: string | undefined }[]> = {
    "25.1.12": [
      { direction: "in", statetype: "sloppy" },
      { direction: "out", statetype: "sloppy" },
    ],
    "25.7.11": [
      { direction: "in", statetype: "sloppy" },
      { direction: "out", statetype: "sloppy" },
    ],
    "26.1.11": [{ direction: "any", statetype: "sloppy" }],
    "26.7": [{ direction: "any", statetype: "sloppy" }],
  };
  it.each(Object.keys(expected) as SimVersion[])("%s", async (version) => {
    w = await lbWorld(version);
    await w.startAgent();
    await w.settle(() => lbRules(w).length === (expected[version]?.length ?? 0), "LB rules written");
    const got = lbRules(w);
    expect(got.map((r) => ({ direction: r["direction"], statetype: r["statetype"] }))).toEqual(expected[version]);
    for (const r of got) {
      expect(r).toMatchObject({ action: "pass", interface: "lan", ipprotocol: "inet", protocol: "any", source_net: "lan", destination_net: "k8s_lb_addresses", enabled: "1" });
      expect(r["description"]).toMatch(new RegExp(`^${MARK} `));
    }
    expect(aliasByName(w.sim, "k8s_lb_addresses")).toMatchObject({ type: "network", content: "10.96.0.10" });
    expect(w.sim.control.running().pf.tables["k8s_lb_addresses"]).toEqual(["10.96.0.10"]);
    const summary = w.logs.withMsg("sync complete").at(-1);
    expect(summary).toMatchObject({ lbAddresses: 1 });
  });

  it("24.7: no sloppy rule can be made; the entry is reported and no half-working rule is created", async () => {
    w = await lbWorld("24.7.12", { LB_CLIENT_NETWORKS: `${ASYM_LAN}; interface=opt1 source=192.168.50.0/24` });
    await w.startAgent();
    await w.settle(() => rules(w.sim).length >= 2, "BGP rule and the symmetric LB rule");
    const lb = lbRules(w);
    expect(lb).toHaveLength(1);
    expect(lb[0]).toMatchObject({ interface: "opt1", direction: "in", source_net: "192.168.50.0/24", protocol: "any" });
    expect(lb[0]?.["statetype"]).toBeUndefined();
    const problems = w.logs.withMsg("input problem; object skipped");
    expect(problems.some((p) => String(p["error"]).includes("25.1"))).toBe(true);
  });
});

describe("LB alias follows the services", () => {
  it("appearing, changing address, pending and disappearing services; one alias reconfigure per change, no filter apply", async () => {
    w = await lbWorld("26.1.11");
    w.kube.control.createService({ namespace: "apps", name: "pending", labels: PUBLIC, ports: [80] });
    w.kube.control.createService({ namespace: "apps", name: "unlabelled", ports: [80], ingress: ["10.96.0.99"] });
    w.kube.control.createService({ namespace: "apps", name: "clusterip", type: "ClusterIP", labels: PUBLIC, ports: [80] });
    await w.startAgent();
    await w.settle(() => aliasByName(w.sim, "k8s_lb_addresses")?.["content"] === "10.96.0.10", "first LB address");
    w.sim.control.clearLog();
    w.kube.control.createService({ namespace: "apps", name: "dns", labels: PUBLIC, ports: [{ port: 53, protocol: "UDP" }], ingress: ["10.96.0.11"] });
    await w.settle(() => aliasByName(w.sim, "k8s_lb_addresses")?.["content"] === "10.96.0.10\n10.96.0.11", "second address");
    expect(writeCalls(w.sim)).toEqual(["POST /api/firewall/alias/setItem/{uuid}"]);
    expect(actionCalls(w.sim)).toEqual(["POST /api/firewall/alias/reconfigure"]);
    w.kube.control.setServiceIngress("apps", "dns", ["10.96.0.12"]);
    await w.settle(() => aliasByName(w.sim, "k8s_lb_addresses")?.["content"] === "10.96.0.10\n10.96.0.12", "changed address");
    w.kube.control.setServiceIngress("apps", "pending", ["10.96.0.13"]);
    await w.settle(() => (aliasByName(w.sim, "k8s_lb_addresses")?.["content"] ?? "").includes("10.96.0.13"), "pending service got an address");
    w.kube.control.deleteService("apps", "web");
    w.kube.control.deleteService("apps", "dns");
    await w.settle(() => aliasByName(w.sim, "k8s_lb_addresses")?.["content"] === "10.96.0.13", "services gone");
    expect(w.sim.control.running().pf.tables["k8s_lb_addresses"]).toEqual(["10.96.0.13"]);
    expect(w.sim.control.counters().filterApplies).toBe(0);
  });

  it("a service with a hostname ingress is reported, the others still sync", async () => {
    w = await lbWorld("26.1.11");
    w.kube.control.createService({ namespace: "apps", name: "named", labels: PUBLIC, ports: [80], ingress: [{ hostname: "lb.example.com" }] });
    await w.startAgent();
    await w.settle(() => aliasByName(w.sim, "k8s_lb_addresses")?.["content"] === "10.96.0.10", "LB alias");
    const problems = w.logs.withMsg("input problem; object skipped");
    expect(problems.some((p) => p["service"] === "apps/named")).toBe(true);
  });
});

describe("LB rules: safety", () => {
  it("leaves foreign and legacy rules alone, and removing LB settings deletes rules before their alias", async () => {
    w = await lbWorld("25.7.11");
    w.sim.control.seedLegacyRule({ description: "legacy allow lan", interface: "lan" });
    w.sim.control.seedLegacyRule({ description: "automatic anti-lockout", interface: "lan", is_automatic: true });
    const foreign = w.sim.control.seedRule({ action: "pass", interface: "lan", source_net: "lan", destination_net: "any", description: "user pass" });
    await w.startAgent();
    await w.settle(() => lbRules(w).length === 2, "in/out LB rules");
    const legacyBefore = JSON.stringify(w.sim.control.state().legacyRules);
    await w.stopAgent();
    w.sim.control.clearLog();
    await w.startAgent({ LB_CLIENT_NETWORKS: "" });
    await w.settle(() => lbRules(w).length === 0 && !aliasByName(w.sim, "k8s_lb_addresses"), "LB rules and alias removed");
    const writes = writeCalls(w.sim);
    const lastRuleDelete = writes.map((c, i) => (c.includes("delRule") ? i : -1)).reduce((a, b) => Math.max(a, b), -1);
    const aliasDelete = writes.findIndex((c) => c.includes("delItem"));
    expect(lastRuleDelete).toBeGreaterThanOrEqual(0);
    expect(aliasDelete).toBeGreaterThan(lastRuleDelete);
    expect(w.logs.text()).not.toContain("in use");
    expect(w.sim.control.state().rules[foreign]).toMatchObject({ description: "user pass" });
    expect(JSON.stringify(w.sim.control.state().legacyRules)).toBe(legacyBefore);
  });

  it("a foreign alias with the LB alias name is a conflict and no rule points at it", async () => {
    w = await lbWorld("26.1.11");
    w.sim.control.seedAlias({ name: "k8s_lb_addresses", type: "network", content: "10.1.1.0/24", description: "someone else's" });
    await w.startAgent();
    await w.settle(() => rules(w.sim).some((r) => r["destination_port"] === "179"), "BGP rule still synced");
    expect(lbRules(w)).toEqual([]);
    expect(aliasByName(w.sim, "k8s_lb_addresses")).toMatchObject({ content: "10.1.1.0/24", description: "someone else's" });
    expect(w.logs.withMsg("conflict with an object the agent does not own; left alone").length).toBeGreaterThan(0);
  });

  it("undoes its new rules when the API stops answering after the apply, and suspends firewall changes", async () => {
    w = await lbWorld("26.7", { LB_ACCESS_SCOPE: "ports" });
    await w.startAgent();
    const portRules = () => rules(w.sim).filter((r) => r["destination_port"] !== "179");
    await w.settle(() => portRules().length === 1, "rule for web:443");
    w.sim.control.lockoutAfterNextApply("refuse");
    w.kube.control.createService({ namespace: "apps", name: "ssh", labels: PUBLIC, ports: [22], ingress: ["10.96.0.22"] });
    // The pass is still running (it keeps trying to undo), so wait for the log line, not for idle.
    await waitFor(() => w.logs.raw.some((l) => l.includes("UNREACHABLE AFTER FIREWALL APPLY")), "lockout detected");
    expect(portRules()).toHaveLength(2);
    w.sim.control.restoreAccess();
    await w.settle(() => w.logs.raw.some((l) => l.includes("undid 1 rule change")), "undo finished");
    expect(portRules().map((r) => r["destination_port"])).toEqual(["443"]);
    expect(w.logs.withMsg("sync complete").at(-1)?.["result"]).toBe("partial");
    // Firewall changes stay suspended: the next pass does not recreate the rule.
    await w.agent?.controller.runNow("resync", { fresh: true });
    expect(portRules()).toHaveLength(1);
    expect(w.logs.text()).toContain("firewall changes are suspended");
  });
});

describe("LB rules: bad input", () => {
  it("an interface OPNsense does not have is a preflight failure naming the entry", async () => {
    w = await lbWorld("26.1.11", { LB_CLIENT_NETWORKS: `${ASYM_LAN}; interface=opt9 source=192.168.50.0/24` });
    await w.startAgent();
    await waitFor(() => w.logs.withMsg("opnsense preflight failed").length > 0, "preflight failure");
    expect(w.logs.withMsg("opnsense preflight failed")[0]?.["error"]).toBe('LB_CLIENT_NETWORKS entry 2: "opt9" is not an interface of this OPNsense (offered: lan, opt1, wan)');
    expect(lbRules(w)).toEqual([]);
  });

  it("a source OPNsense rejects fails for that entry only, naming the entry", async () => {
    w = await lbWorld("26.1.11", { LB_CLIENT_NETWORKS: `${ASYM_LAN}; interface=opt1 source=no_such_alias` });
    await w.startAgent();
    await w.settle(() => lbRules(w).length === 1 && w.logs.withMsg("opnsense write failed").length > 0, "entry 1 synced, entry 2 failed");
    const failure = w.logs.withMsg("opnsense write failed")[0];
    expect(failure).toMatchObject({ setting: "LB_CLIENT_NETWORKS entry 2" });
    expect(String(failure?.["error"])).toMatch(/source_net/);
    expect(lbRules(w)[0]).toMatchObject({ interface: "lan", direction: "any" });
    expect(rules(w.sim).some((r) => r["destination_port"] === "179")).toBe(true);
  });

  it("IPv6 LB addresses get inet6 rules next to the inet ones", async () => {
    w = await lbWorld("26.1.11", { LB_CLIENT_NETWORKS: "interface=lan source=lan" });
    w.kube.control.createService({ namespace: "apps", name: "v6", labels: PUBLIC, ports: [80], ingress: ["fd00:96::10"] });
    await w.startAgent();
    await w.settle(() => lbRules(w).length === 2, "inet and inet6 rules");
    expect(lbRules(w).map((r) => r["ipprotocol"]).sort()).toEqual(["inet", "inet6"]);
    expect(aliasByName(w.sim, "k8s_lb_addresses")?.["content"]).toBe("10.96.0.10\nfd00:96::10");
  });

  it("24.7 says at start that sloppy rules are unavailable", async () => {
    w = await lbWorld("24.7.12");
    await w.startAgent();
    await w.settle(() => w.logs.withMsg("sync complete").length > 0, "first pass");
    expect(w.logs.text()).toMatch(/no state type in its filter API \(24\.x\)/);
  });
});

describe("a failed filter apply", () => {
  it("is retried on the next pass although the saved rules already match (pf cannot be read back)", async () => {
    w = await lbWorld("26.1.11", { LB_ACCESS_SCOPE: "ports", LB_CLIENT_NETWORKS: "interface=lan source=lan" });
    await w.startAgent();
    await w.settle(() => rules(w.sim).length === 2, "BGP rule + web:443");
    w.sim.control.injectFault({ match: { pathPrefix: "/api/firewall/filter/apply" }, kind: "status", status: 500, times: 2 });
    w.kube.control.updateService("apps", "web", (svc) => {
      (svc["spec"] as { ports: { port: number; protocol: string }[] }).ports.push({ port: 8443, protocol: "TCP" });
    });
    const runningPorts = () => w.sim.control.running().pf.rules.map((r) => r["destination_port"]).sort();
    await w.settle(() => rules(w.sim).length === 3 && runningPorts().includes("8443"), "new rule saved and, after the retry, running");
    // However many passes the two failures take, the rule is applied afterwards, once.
    expect(w.logs.withMsg("firewall changes are saved but not applied yet; the next pass applies them").length).toBeGreaterThanOrEqual(1);
    expect(w.logs.withMsg("firewall changes from an earlier pass applied")).toHaveLength(1);
    expect(w.sim.control.requests().filter((r) => r.path === "/api/firewall/filter/apply" && r.status === 200)).toHaveLength(1);
  });
});

describe("LB_ACCESS_SCOPE=ports", () => {
  it("one rule per service address, port and protocol; loadBalancerSourceRanges narrow the entry's source", async () => {
    w = await lbWorld("26.1.11", { LB_ACCESS_SCOPE: "ports", LB_CLIENT_NETWORKS: "interface=lan source=192.168.0.0/16" });
    w.kube.control.createService({
      namespace: "apps",
      name: "dns",
      labels: PUBLIC,
      ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }],
      ingress: ["10.96.0.11"],
      loadBalancerSourceRanges: ["192.168.1.0/24"],
    });
    await w.startAgent();
    await w.settle(() => rules(w.sim).length === 4, "BGP rule + 3 port rules");
    const portRules = rules(w.sim)
      .filter((r) => r["destination_port"] !== "179")
      .map((r) => ({ src: r["source_net"], dst: r["destination_net"], port: r["destination_port"], proto: r["protocol"], dir: r["direction"], state: r["statetype"] }))
      .sort((a, b) => `${a.dst}${a.proto}`.localeCompare(`${b.dst}${b.proto}`));
    expect(portRules).toEqual([
      { src: "192.168.0.0/16", dst: "10.96.0.10", port: "443", proto: "TCP", dir: "in", state: "keep" },
      { src: "192.168.1.0/24", dst: "10.96.0.11", port: "53", proto: "TCP", dir: "in", state: "keep" },
      { src: "192.168.1.0/24", dst: "10.96.0.11", port: "53", proto: "UDP", dir: "in", state: "keep" },
    ]);
  });
});

describe.each(["24.7.12", "25.1.12", "25.7.11", "26.1.11", "26.7"] as SimVersion[])("no perpetual drift with LB rules on %s", (version) => {
  it.each(["addresses", "ports"])("scope %s: a steady resync and a restart write nothing and apply nothing", async (scope) => {
    w = await lbWorld(version, {
      LB_ACCESS_SCOPE: scope,
      LB_CLIENT_NETWORKS: `${ASYM_LAN}; interface=opt1 source=192.168.50.0/24`,
      ...(scope === "addresses" ? { LB_ADDRESSES: "10.96.1.0/24" } : {}),
    });
    w.kube.control.createService({ namespace: "apps", name: "dns", labels: PUBLIC, ports: [{ port: 53, protocol: "UDP" }], ingress: ["10.96.0.11", "fd00:96::11"], loadBalancerSourceRanges: ["192.168.1.0/24"] });
    await w.startAgent();
    await w.settle(() => w.reports.some((r) => r.result === "success"), "first sync");
    await w.agent?.controller.idle();
    // The BGP rule plus several LB rules (per entry, direction, family or port) exist to drift;
    // 24.7 has no sloppy rules, so only the symmetric entry's rule is there.
    expect(rules(w.sim).length).toBeGreaterThanOrEqual(version === "24.7.12" ? 2 : 3);
    w.sim.control.clearLog();
    const resync = await w.agent?.controller.runNow("resync", { fresh: true });
    expect(resync?.plan?.operations).toEqual([]);
    expect(writeCalls(w.sim)).toEqual([]);
    expect(actionCalls(w.sim)).toEqual([]);
    await w.restartAgent();
    expect(writeCalls(w.sim)).toEqual([]);
  });
});
