import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait.ts";
import { startWorld, type World } from "./world.ts";

let w: World;
afterEach(async () => {
  await w.close();
});

type Ev = { reason?: string; type?: string; message?: string; involvedObject?: { name?: string } };
const on = (node: string, reason: string) => (w.kube.control.events() as unknown as Ev[]).filter((e) => e.involvedObject?.name === node && e.reason === reason);

async function get(path: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`http://127.0.0.1:${w.agent?.http.port}${path}`);
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

/** The value of one series, or undefined when the series is absent. */
async function metric(series: string): Promise<number | undefined> {
  const line = (await get("/metrics")).text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
}

const pass = async () => {
  const r = await w.agent?.controller.runNow("test", { fresh: true });
  expect(r?.result).toBe("success");
  return w.logs.withMsg("sync complete").at(-1);
};

async function twoRunningNodes(env: Record<string, string> = {}): Promise<void> {
  w = await startWorld({ agent: false });
  w.addWorker("worker-1", "10.0.20.11");
  w.addWorker("worker-2", "10.0.20.12");
  await w.startAgent(env);
  await w.settle(() => w.sim.control.running().frr.neighbors.length === 2, "both neighbors running");
}

describe("BGP session status", () => {
  it("up and down reach the metrics, the Events, the sync line and /status", async () => {
    await twoRunningNodes();
    w.sim.control.setPeerState("10.0.20.11", "Established", ["10.96.0.10/32", "10.96.0.11/32"]);
    expect(await pass()).toMatchObject({ sessions: { established: 1, notEstablished: 1 } });
    expect(await metric('opnsense_bgp_agent_bgp_session_up{node="worker-1",family="ipv4"}')).toBe(1);
    expect(await metric('opnsense_bgp_agent_bgp_session_up{node="worker-2",family="ipv4"}')).toBe(0);
    expect(await metric('opnsense_bgp_agent_bgp_prefixes_received{node="worker-1",family="ipv4"}')).toBe(2);
    expect(await metric('opnsense_bgp_agent_bgp_prefixes_accepted{node="worker-1",family="ipv4"}')).toBe(2);
    expect(await metric("opnsense_bgp_agent_bgp_sessions_known")).toBe(1);
    // The neighbors were created after the first reading, so coming up is news.
    await waitFor(() => on("worker-1", "BGPSessionEstablished").length === 1, "BGPSessionEstablished");
    expect(on("worker-1", "BGPSessionEstablished")[0]).toMatchObject({ type: "Normal", message: "OPNsense's BGP session with 10.0.20.11 is Established (prefixes received: 2)" });
    expect(w.logs.withMsg("BGP session established").at(-1)).toMatchObject({ node: "worker-1", address: "10.0.20.11", prefixes: 2 });

    const json = await get("/status");
    expect(json.type).toContain("application/json");
    const status = JSON.parse(json.text) as { sessions: string; nodes: Record<string, unknown>[] };
    expect(status.sessions).toBe("known");
    expect(status.nodes).toEqual([
      { node: "worker-1", address: "10.0.20.11", remoteAs: 64555, state: "Established", uptimeSeconds: expect.any(Number), prefixesReceived: 2, prefixesAccepted: 2, lastChange: expect.any(String) },
      { node: "worker-2", address: "10.0.20.12", remoteAs: 64555, state: "Active", uptimeSeconds: 0, prefixesReceived: 0, prefixesAccepted: 0, lastChange: expect.any(String) },
    ]);
    const text = (await get("/status?format=text")).text.split("\n");
    expect(text[1]).toMatch(/^NODE +NEIGHBOR +REMOTE-AS +STATE +UPTIME +PFX-RCVD +PFX-ACCEPTED +LAST-CHANGE$/);
    expect(text[2]).toMatch(/^worker-1 +10\.0\.20\.11 +64555 +Established +\d+s +2 +2 +\d{4}-/);
    expect(text[3]).toMatch(/^worker-2 +10\.0\.20\.12 +64555 +Active +- +0 +0 +\d{4}-/);

    w.sim.control.setPeerState("10.0.20.11", "Active");
    expect(await pass()).toMatchObject({ sessions: { established: 0, notEstablished: 2 } });
    expect(await metric('opnsense_bgp_agent_bgp_session_up{node="worker-1",family="ipv4"}')).toBe(0);
    await waitFor(() => on("worker-1", "BGPSessionDown").length === 1, "BGPSessionDown");
    expect(on("worker-1", "BGPSessionDown")[0]?.type).toBe("Warning");
    // worker-2 was never up: no BGPSessionDown for it.
    expect(on("worker-2", "BGPSessionDown")).toEqual([]);

    w.kube.control.deleteNode("worker-2");
    await w.settle(() => w.sim.control.running().frr.neighbors.length === 1, "worker-2 removed");
    await pass();
    expect(await metric('opnsense_bgp_agent_bgp_session_up{node="worker-2",family="ipv4"}')).toBeUndefined();
    expect(await metric('opnsense_bgp_agent_bgp_session_up{node="worker-1",family="ipv4"}')).toBe(0);
  });

  it("a session down past SESSION_DOWN_WARN raises BGPSessionDownTooLong with the cause the agent can see", async () => {
    w = await startWorld({ agent: false });
    // Peering on opt1's network while update-source is lan: FRR would dial from 10.0.20.1.
    w.addWorker("worker-3", "10.0.30.5");
    await w.startAgent({ SESSION_DOWN_WARN: "1s" });
    await w.settle(() => w.sim.control.running().frr.neighbors.length === 1, "neighbor running");
    await pass(); // first reading with the neighbor: down since now; the agent schedules its own check
    await waitFor(() => on("worker-3", "BGPSessionDownTooLong").length === 1, "BGPSessionDownTooLong", 5000);
    const e = on("worker-3", "BGPSessionDownTooLong")[0];
    expect(e?.type).toBe("Warning");
    expect(e?.message).toMatch(/^OPNsense's BGP session with 10\.0\.30\.5 has been down for \d+s \(state Active\); likely: update-source lan has network 10\.0\.20\.0\/24, which does not contain 10\.0\.30\.5/);
    expect(w.logs.withMsg("BGP session down too long")[0]).toMatchObject({ node: "worker-3", state: "Active", causes: [expect.stringContaining("update-source lan")] });
  });

  it("a session down past SESSION_DOWN_WARN names a Cilium AS mismatch first", async () => {
    w = await startWorld({ agent: false });
    w.addWorker("worker-1", "10.0.20.11");
    w.kube.control.create("ciliumbgppeeringpolicies", {
      apiVersion: "cilium.io/v2alpha1",
      kind: "CiliumBGPPeeringPolicy",
      metadata: { name: "opnsense" },
      spec: { nodeSelector: { matchLabels: { "homelab/role": "worker" } }, virtualRouters: [{ localASN: 64600, neighbors: [{ peerAddress: "10.0.20.1/32", peerASN: 64555 }] }] },
    });
    await w.startAgent({ SESSION_DOWN_WARN: "1s" });
    await w.settle(() => w.sim.control.running().frr.neighbors.length === 1, "neighbor running");
    await pass();
    await waitFor(() => on("worker-1", "BGPSessionDownTooLong").length === 1, "BGPSessionDownTooLong", 5000);
    expect(on("worker-1", "BGPSessionDownTooLong")[0]?.message).toContain(
      "likely: local AS differs: Cilium 64600 (CiliumBGPPeeringPolicy opnsense); agent: remote AS 64555 (BGP_REMOTE_ASN)",
    );
  });

  it("without the diagnostics endpoint: one log line naming the privilege, passes still succeed, no session fields", async () => {
    w = await startWorld({ agent: false });
    // os-frr guards diagnostics with the same ACL as everything under api/quagga/ (page-routing),
    // so a 403 on this endpoint alone is injected: the agent must not depend on the answer.
    w.sim.control.injectFault({ kind: "forbidden", match: { pathPrefix: "/api/quagga/diagnostics/bgpsummary" }, times: 1000 });
    w.addWorker("worker-1", "10.0.20.11");
    await w.startAgent();
    await w.settle(() => w.sim.control.running().frr.neighbors.length === 1, "neighbor running");
    const line = await pass();
    expect(line).toMatchObject({ result: "success" });
    expect(line).not.toHaveProperty("sessions");
    await pass();
    const warned = w.logs.withMsg("BGP session status unavailable: the API user lacks the privilege Routing (page-routing); passes go on without session data");
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ privilege: "Routing (page-routing)" });
    expect(await metric("opnsense_bgp_agent_bgp_sessions_known")).toBe(0);
    expect(await metric('opnsense_bgp_agent_bgp_session_up{node="worker-1",family="ipv4"}')).toBeUndefined();
    expect(JSON.parse((await get("/status")).text)).toMatchObject({ sessions: "unknown", reason: expect.stringContaining("page-routing"), nodes: [] });

    w.sim.control.clearFaults();
    expect(await pass()).toMatchObject({ sessions: { established: 0, notEstablished: 1 } });
    expect(w.logs.withMsg("BGP session status readable again")).toHaveLength(1);
  });
});
