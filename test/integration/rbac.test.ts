/**
 * The agent against the Kubernetes fake under the shipped RBAC: the fake grants everything, so
 * its request log is checked against deploy/rbac.yaml (test/helpers/rbac.ts) after a run that
 * uses every permission: watches, a fresh LIST, leader election with hand-back, and Events.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { parse } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../src/agent.ts";
import { createLogger } from "../../src/log.ts";
import { startKubeFake, type KubeFake, type KubeObject } from "../fakes/kube-apiserver/index.ts";
import { startOpnsenseSimulator, type Simulator } from "../fakes/opnsense/index.ts";
import { allowed, grantsFor, isDiscovery, parseRequest, readManifests } from "../helpers/rbac.ts";
import { waitFor } from "../helpers/wait.ts";
import { baseEnv, configFrom, LogCapture } from "./world.ts";

const LEASE_PATH = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases";
const ELECTION = { leaseDurationMs: 1000, renewDeadlineMs: 700, retryPeriodMs: 100, namespace: "kube-system", identity: "pod-a" };

let kube: KubeFake;
let sim: Simulator;
let agent: Agent | null = null;
afterEach(async () => {
  await agent?.stop();
  agent = null;
  await kube.close();
  await sim.close();
});

async function start(logs: LogCapture): Promise<Agent> {
  const kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfig());
  const env = baseEnv(sim, { LEADER_ELECTION: "true", LB_CLIENT_NETWORKS: "interface=lan source=lan" });
  const config = configFrom(env);
  return startAgent({
    config,
    logger: createLogger("debug", logs),
    kubeConfig: kc,
    tuning: { defaultMetrics: false, retries: 0, retryMinTimeoutMs: 1, retryBackoffMs: { initial: 100, max: 400 }, leaderElection: ELECTION },
  });
}

function shippedLease(): KubeObject {
  return parse(readFileSync(join(import.meta.dirname, "../../deploy/lease.yaml"), "utf8")) as KubeObject;
}

async function leaderGauge(a: Agent): Promise<number> {
  const m = await a.metrics.registry.getSingleMetric("opnsense_bgp_agent_leader")?.get();
  return m?.values[0]?.value ?? NaN;
}

const neighborCount = () => Object.keys(sim.control.state().neighbors).length;

describe("Kubernetes permissions", () => {
  it("every request the agent makes is allowed by deploy/rbac.yaml", async () => {
    kube = await startKubeFake({});
    sim = await startOpnsenseSimulator({ version: "26.1.11", authFailDelayMs: 0 });
    kube.control.create("leases", shippedLease());
    kube.control.createNode({ name: "worker-1", labels: { "homelab/role": "worker" }, addresses: [{ type: "InternalIP", address: "10.0.20.11" }] });
    // A 200 KB annotation: the node is skipped with an Event (and a log line) that stay short.
    const huge = `x${"9".repeat(200 * 1024)}`;
    kube.control.createNode({ name: "worker-2", labels: { "homelab/role": "worker" }, annotations: { "opnsense-bgp-agent/asn": huge }, addresses: [{ type: "InternalIP", address: "10.0.20.12" }] });
    kube.control.createService({ namespace: "default", name: "web", labels: { "homelab/public-service": "true" }, ingress: ["10.0.30.1"] });
    kube.control.create("CiliumLoadBalancerIPPool", { metadata: { name: "blue" }, spec: { blocks: [{ cidr: "10.0.30.0/24" }] } });
    kube.control.create("CiliumBGPPeeringPolicy", { metadata: { name: "rack0" }, spec: { nodeSelector: { matchLabels: { "homelab/role": "worker" } }, virtualRouters: [{ localASN: 64555, neighbors: [] }] } });
    const logs = new LogCapture();
    agent = await start(logs);
    await waitFor(() => neighborCount() === 1, "worker-1 peered by the leader");
    expect(await leaderGauge(agent)).toBe(1);
    await waitFor(() => kube.control.events().length === 2, "BGPPeerConfigured and BGPPeerSkipped events");
    await agent.controller.runNow("resync", { fresh: true });
    await agent.stop();
    agent = null;

    const skipped = (kube.control.events() as Array<{ reason?: string; message?: string }>).find((e) => e.reason === "BGPPeerSkipped");
    expect(skipped?.message).toContain("opnsense-bgp-agent/asn=");
    expect(skipped?.message?.length).toBeLessThan(300);
    expect(logs.raw.every((l) => l.length < 2000)).toBe(true);

    const grants = grantsFor(readManifests(), { namespace: "kube-system", name: "opnsense-bgp-agent" });
    const requests = kube.control.requests();
    const denied = requests
      .filter((r) => !(r.verb === "discovery" && isDiscovery(r.path)))
      .map((r) => ({ r, attrs: parseRequest(r.verb, r.path) }))
      .filter(({ attrs }) => attrs === null || !allowed(grants, attrs));
    expect(denied.map(({ r }) => `${r.verb} ${r.path}`)).toEqual([]);
    // Not vacuous: the run used each permission.
    const used = new Set(requests.map((r) => `${r.verb} ${r.path.replace(/\/leases\/.*/, "/leases/…")}`));
    for (const u of ["list /api/v1/nodes", "watch /api/v1/nodes", "list /api/v1/services", "watch /api/v1/services", `get ${LEASE_PATH}/…`, `update ${LEASE_PATH}/…`, "create /api/v1/namespaces/default/events", "list /apis/cilium.io/v2/ciliumloadbalancerippools", "watch /apis/cilium.io/v2/ciliumloadbalancerippools", "watch /apis/cilium.io/v2alpha1/ciliumbgppeeringpolicies", "watch /apis/cilium.io/v2/ciliumbgpclusterconfigs"]) {
      expect(used).toContain(u);
    }
  });

  it("a missing Lease it may not create: one error naming the fix, standby, and leadership once the Lease exists", async () => {
    kube = await startKubeFake({});
    sim = await startOpnsenseSimulator({ version: "26.1.11", authFailDelayMs: 0 });
    kube.control.createNode({ name: "worker-1", labels: { "homelab/role": "worker" }, addresses: [{ type: "InternalIP", address: "10.0.20.11" }] });
    // What the shipped RBAC does to a create: 403.
    kube.control.failNext({ path: LEASE_PATH, verb: "create", status: 403, times: 0, reason: "Forbidden", message: 'leases.coordination.k8s.io is forbidden: User "system:serviceaccount:kube-system:opnsense-bgp-agent" cannot create resource "leases"' });
    const logs = new LogCapture();
    agent = await start(logs);
    await waitFor(() => kube.control.requests({ verb: "create", path: LEASE_PATH }).length >= 5, "several rounds that try to create the Lease");

    const leader = logs.entries().filter((e) => e["component"] === "leader");
    const loud = leader.filter((e) => e["level"] === "error" || e["level"] === "warn");
    expect(loud).toHaveLength(1);
    expect(loud[0]).toMatchObject({ level: "error", lease: "kube-system/opnsense-bgp-agent", step: "create" });
    expect(String(loud[0]?.["msg"])).toMatch(/does not exist and this service account may not create it; apply deploy\/ \(kubectl apply -k deploy\) or create the Lease from deploy\/lease\.yaml/);
    expect(loud[0]).not.toHaveProperty("stack");
    expect(loud[0]).not.toHaveProperty("err");
    expect(await leaderGauge(agent)).toBe(0);
    expect(neighborCount()).toBe(0);

    kube.control.create("leases", shippedLease());
    await waitFor(() => neighborCount() === 1, "the agent leads and syncs once the Lease exists");
    expect(await leaderGauge(agent)).toBe(1);
  });
});
