import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait.ts";
import { actionCalls, aliasByName, rules, writeCalls } from "./helpers.ts";
import { startWorld, type World } from "./world.ts";

const PUBLIC = { "homelab/public-service": "true" };
const SUSPENDED = "opnsense-bgp-agent/firewall-suspended";

let w: World;
afterEach(async () => {
  await w.close();
});

async function get(world: World, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${world.agent?.http.port}${path}`);
  return { status: res.status, text: await res.text() };
}

async function metric(world: World, name: string): Promise<string | undefined> {
  return (await get(world, "/metrics")).text.split("\n").find((l) => l.startsWith(`${name} `));
}

function leaseAnnotations(world: World): Record<string, string> {
  const lease = world.kube.control.get("leases", "kube-system", "opnsense-bgp-agent");
  return ((lease?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {});
}

describe("MIN_APPLY_INTERVAL", () => {
  it("a Service changing its address every second: alias writes and firewall applies stay within window / interval + 1, and the last address wins", async () => {
    const INTERVAL = 3000;
    w = await startWorld({ agent: false, env: { LB_CLIENT_NETWORKS: "interface=lan source=lan", MIN_APPLY_INTERVAL: "3s" } });
    w.addWorker("worker-1", "10.0.20.11");
    w.kube.control.createService({ namespace: "apps", name: "web", labels: PUBLIC, ports: [443], ingress: ["10.96.0.10"] });
    await w.startAgent();
    await w.settle(() => (aliasByName(w.sim, "k8s_lb_addresses")?.["content"] ?? "").includes("10.96.0.10"), "first address");
    w.sim.control.clearLog();
    const t0 = Date.now();
    const FLAPS = 10;
    for (let i = 1; i <= FLAPS; i++) {
      w.kube.control.setServiceIngress("apps", "web", [`10.96.0.${10 + i}`]);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const last = `10.96.0.${10 + FLAPS}`;
    await w.settle(() => (aliasByName(w.sim, "k8s_lb_addresses")?.["content"] ?? "").split(/[\n,]/).includes(last), "last address in the alias", 15_000);
    const window = Date.now() - t0;
    const aliasWrites = writeCalls(w.sim).filter((c) => c.includes("/alias/"));
    const firewallApplies = actionCalls(w.sim).filter((c) => /alias\/reconfigure|filter\/apply/.test(c));
    const bound = Math.floor(window / INTERVAL) + 1;
    expect(aliasWrites.length).toBeGreaterThanOrEqual(2);
    expect(aliasWrites.length).toBeLessThanOrEqual(bound);
    expect(firewallApplies.length).toBeLessThanOrEqual(bound);
    // Applies are spaced by at least the interval (request log times; 100 ms for timer slack).
    const at = w.sim.control.requests().filter((r) => /alias\/reconfigure|filter\/apply/.test(r.path)).map((r) => Date.parse(r.time));
    for (let i = 1; i < at.length; i++) expect((at[i] ?? 0) - (at[i - 1] ?? 0)).toBeGreaterThanOrEqual(INTERVAL - 100);
    // Deferred passes say so, and collected the changes held back meanwhile.
    const deferred = w.logs.withMsg("sync complete").filter((e) => typeof e["rateLimitedMs"] === "number");
    expect(deferred.length).toBeGreaterThan(0);
    expect(deferred.some((e) => Number(e["heldBack"]) >= 2)).toBe(true);
    expect(w.logs.withMsg("pass deferred by MIN_APPLY_INTERVAL; changes until then are collected into it").length).toBeGreaterThan(0);
    expect(Number((await metric(w, "opnsense_bgp_agent_rate_limited_total"))?.split(" ")[1])).toBeGreaterThan(0);
    // The final state is exactly the last address.
    expect(w.sim.control.running().pf.tables["k8s_lb_addresses"]).toEqual([last]);
  }, 40_000);
});

describe("firewall suspension after a lockout undo", () => {
  it("fails /readyz, sets the metric, survives a restart on the Lease, and resumes when the annotation is removed", async () => {
    w = await startWorld({ version: "26.7", agent: false, env: { LB_CLIENT_NETWORKS: "interface=lan source=lan", LB_ACCESS_SCOPE: "ports", LEADER_ELECTION: "true" } });
    w.addWorker("worker-1", "10.0.20.11");
    w.kube.control.createService({ namespace: "apps", name: "web", labels: PUBLIC, ports: [443], ingress: ["10.96.0.10"] });
    const portRules = () => rules(w.sim).filter((r) => r["destination_port"] !== "179");
    await w.startAgent();
    await w.settle(() => portRules().length === 1 && w.reports.some((r) => r.result === "success"), "rule for web:443");
    expect(await metric(w, "opnsense_bgp_agent_firewall_suspended")).toBe("opnsense_bgp_agent_firewall_suspended 0");

    w.sim.control.lockoutAfterNextApply("refuse");
    w.kube.control.createService({ namespace: "apps", name: "ssh", labels: PUBLIC, ports: [22], ingress: ["10.96.0.22"] });
    await waitFor(() => w.logs.raw.some((l) => l.includes("UNREACHABLE AFTER FIREWALL APPLY")), "lockout detected");
    w.sim.control.restoreAccess();
    await w.settle(() => w.reports.some((r) => r.firewallSuspended === true), "undo finished, pass reported");
    expect(portRules().map((r) => r["destination_port"])).toEqual(["443"]);
    expect(w.logs.withMsg("sync complete").at(-1)).toMatchObject({ result: "partial", firewallSuspended: true });
    const ready = await get(w, "/readyz");
    expect(ready.status).toBe(503);
    expect(ready.text).toContain("firewall changes suspended");
    expect(ready.text).toContain(`kubectl -n kube-system annotate lease opnsense-bgp-agent ${SUSPENDED}-`);
    expect(await metric(w, "opnsense_bgp_agent_firewall_suspended")).toBe("opnsense_bgp_agent_firewall_suspended 1");
    await waitFor(() => SUSPENDED in leaseAnnotations(w), "suspension recorded on the Lease");
    const recorded = JSON.parse(leaseAnnotations(w)[SUSPENDED] ?? "{}") as { rules?: string[]; reason?: string };
    expect(recorded.reason).toContain("API unreachable");
    expect(recorded.rules?.length).toBe(1);

    // Restart: the new process reads the Lease and does not repeat the change.
    await w.stopAgent();
    expect(SUSPENDED in leaseAnnotations(w)).toBe(true); // the release keeps it
    w.sim.control.clearLog();
    const before = w.reports.length;
    await w.startAgent();
    await waitFor(() => w.reports.slice(before).some((r) => r.result !== "skipped"), "first pass after the restart");
    const first = w.reports.slice(before).find((r) => r.result !== "skipped");
    expect(first).toMatchObject({ result: "partial", firewallSuspended: true });
    expect(writeCalls(w.sim).filter((c) => c.includes("/firewall/"))).toEqual([]);
    expect(actionCalls(w.sim).filter((c) => c.includes("/firewall/"))).toEqual([]);
    expect(portRules()).toHaveLength(1);
    expect((await get(w, "/readyz")).status).toBe(503);
    expect(w.logs.withMsg("firewall changes are suspended by an earlier lockout undo; no firewall writes until the annotation is removed").length).toBe(1);

    // The operator fixed things and clears it: the agent resumes without a restart.
    w.kube.control.update("leases", "kube-system", "opnsense-bgp-agent", (lease) => {
      const meta = lease.metadata as { annotations?: Record<string, string> };
      delete meta.annotations?.[SUSPENDED];
    });
    await w.settle(() => portRules().length === 2, "the held-back rule is written once the annotation is gone");
    await waitFor(async () => (await get(w, "/readyz")).status === 200, "ready again");
    expect(await metric(w, "opnsense_bgp_agent_firewall_suspended")).toBe("opnsense_bgp_agent_firewall_suspended 0");
    expect(w.logs.withMsg("firewall suspension cleared by the operator; resuming firewall changes").length).toBe(1);
  }, 30_000);

  it("without leader election the suspension stays in memory and the log says it will not survive a restart", async () => {
    w = await startWorld({ version: "26.7", agent: false, env: { LB_CLIENT_NETWORKS: "interface=lan source=lan", LB_ACCESS_SCOPE: "ports" } });
    w.addWorker("worker-1", "10.0.20.11");
    await w.startAgent();
    await w.settle(() => w.reports.some((r) => r.result === "success"), "first sync");
    w.sim.control.lockoutAfterNextApply("refuse");
    w.kube.control.createService({ namespace: "apps", name: "ssh", labels: PUBLIC, ports: [22], ingress: ["10.96.0.22"] });
    await waitFor(() => w.logs.raw.some((l) => l.includes("UNREACHABLE AFTER FIREWALL APPLY")), "lockout detected");
    w.sim.control.restoreAccess();
    await w.settle(() => w.reports.some((r) => r.firewallSuspended === true), "undo finished");
    expect(w.logs.text()).toContain("it will not survive a restart");
    const ready = await get(w, "/readyz");
    expect(ready.status).toBe(503);
    expect(ready.text).toContain("restart the agent");
  }, 30_000);
});
