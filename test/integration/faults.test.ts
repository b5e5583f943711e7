import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_API_SECRET } from "../fakes/opnsense/index.ts";
import { waitFor } from "../helpers/wait.ts";
import { neighbors, rules } from "./helpers.ts";
import { readyz, startWorld, type World } from "./world.ts";

let w: World;
afterEach(async () => {
  await w.close();
});

describe("OPNsense faults", () => {
  it("recovers from 5xx replies and timeouts", async () => {
    w = await startWorld({ agent: false });
    w.addWorker("worker-1", "10.0.20.11");
    w.sim.control.injectFault({ match: { pathPrefix: "/api/quagga/bgp/get" }, kind: "status", status: 503, times: 3 });
    w.sim.control.injectFault({ match: { pathPrefix: "/api/firewall/alias/get" }, kind: "timeout", times: 2 });
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 1 && w.sim.control.running().frr.neighbors.length === 1, "neighbor synced after faults", 20_000);
    expect(w.logs.withMsg("sync failed").length).toBeGreaterThan(0);
    expect((await readyz(w)).status).toBe(200);
  });

  it("401: a clear error, not ready, retried with growing delays, then recovers", async () => {
    w = await startWorld({ agent: false });
    w.addWorker("worker-1", "10.0.20.11");
    w.sim.control.injectFault({ kind: "unauthorized", times: 1000 });
    await w.startAgent();
    await waitFor(() => w.logs.withMsg("sync failed").length >= 3, "three failed passes");
    const r = await readyz(w);
    expect(r.status).toBe(503);
    expect(r.text).toContain("OPNsense rejected the API key and secret (HTTP 401");
    expect(w.reports.filter((p) => p.result === "error").length).toBeGreaterThanOrEqual(3);
    const retries = w.logs.withMsg("retrying after failure").map((e) => Number(e["retryInMs"]));
    expect(retries[1]).toBeGreaterThan(retries[0] ?? Infinity);
    expect(w.logs.text()).toMatch(/401|Authentication/);
    w.sim.control.clearFaults();
    await w.settle(() => neighbors(w.sim).length === 1, "synced once the key works", 10_000);
    await waitFor(async () => (await readyz(w)).status === 200, "ready again");
  });

  it("OPNsense down: 'unreachable' naming the URL, not ready, nothing lost; syncs when it is back", async () => {
    w = await startWorld({ agent: false });
    w.addWorker("worker-1", "10.0.20.11");
    w.sim.control.injectFault({ kind: "reset", times: 10_000 });
    await w.startAgent();
    await waitFor(() => w.logs.withMsg("opnsense preflight failed").length > 0, "preflight failure");
    expect(String(w.logs.withMsg("opnsense preflight failed")[0]?.["error"])).toContain(`OPNsense is unreachable at ${w.sim.url}`);
    expect((await readyz(w)).status).toBe(503);
    w.sim.control.clearFaults();
    await w.settle(() => neighbors(w.sim).length === 1, "synced after OPNsense came back", 10_000);
  });

  it("403 names the missing privilege", async () => {
    w = await startWorld({ agent: false });
    w.sim.control.setPrivileges(["page-filter-api", "page-firewall-alias-edit", "page-firewall-categories"]);
    await w.startAgent();
    await waitFor(() => w.logs.raw.some((l) => l.includes("page-routing")), "privilege named");
    expect((await readyz(w)).status).toBe(503);
  });

  it("os-frr missing, FRR disabled and manual config mode are each refused with their own message", async () => {
    w = await startWorld({ agent: false, version: "26.7" });
    w.sim.control.setFrrInstalled(false);
    await w.startAgent();
    await waitFor(() => /os-frr/i.test(w.logs.text()), "os-frr named");
    w.sim.control.setFrrInstalled(true);
    w.sim.control.setGeneral({ manual_config: "1" });
    await waitFor(() => /manual/i.test(w.logs.text()), "manual config named", 10_000);
    expect(neighbors(w.sim)).toEqual([]);
  });

  it("a garbage reply is an error naming the endpoint, and the next pass recovers", async () => {
    w = await startWorld({ agent: false });
    w.addWorker("worker-1", "10.0.20.11");
    w.sim.control.injectFault({ match: { pathPrefix: "/api/firewall/filter/get" }, kind: "garbage", times: 1 });
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 1, "synced", 10_000);
    expect(w.logs.text()).toMatch(/filter\/get/);
  });

  it("an interface OPNsense does not offer is a preflight failure naming the setting; /readyz shows it; nothing is written", async () => {
    w = await startWorld({ agent: false, env: { FIREWALL_INTERFACE: "lan2", BGP_UPDATE_SOURCE: "vlan20" } });
    w.addWorker("worker-1", "10.0.20.11");
    await w.startAgent();
    await waitFor(() => w.logs.withMsg("opnsense preflight failed").length >= 2, "preflight failures logged");
    const errors = w.logs.withMsg("opnsense preflight failed").map((e) => String(e["error"]));
    expect(errors).toContain('FIREWALL_INTERFACE: "lan2" is not an interface of this OPNsense (offered: lan, opt1, wan)');
    expect(errors).toContain('BGP_UPDATE_SOURCE: "vlan20" is not an interface of this OPNsense (offered: lan, opt1, wan)');
    const r = await readyz(w);
    expect(r.status).toBe(503);
    expect(r.text).toContain('FIREWALL_INTERFACE: "lan2" is not an interface of this OPNsense');
    expect(w.sim.control.requests().filter((q) => q.method === "POST")).toEqual([]);
    expect(neighbors(w.sim)).toEqual([]);
    expect(rules(w.sim)).toEqual([]);
  });

  it("BGP switched off while the agent runs: the next pass fails saying so, /readyz says why, and it recovers when BGP is back", async () => {
    w = await startWorld({ agent: false });
    w.addWorker("worker-1", "10.0.20.11");
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 1, "first node");
    expect((await readyz(w)).status).toBe(200);
    w.sim.control.setBgp({ enabled: "0" });
    const failed = w.nextPass();
    w.addWorker("worker-2", "10.0.20.12");
    const report = await failed;
    expect(report.result).toBe("error");
    expect(report.error).toContain("BGP is disabled (bgp.enabled=0): enable it under Routing ▸ BGP.");
    expect(neighbors(w.sim)).toHaveLength(1);
    const r = await readyz(w);
    expect(r.status).toBe(503);
    expect(r.text).toContain("BGP is disabled");
    w.sim.control.setBgp({ enabled: "1" });
    await w.settle(() => neighbors(w.sim).length === 2, "second node once BGP is back (retry)");
    await waitFor(async () => (await readyz(w)).status === 200, "ready again");
  });
});

describe("TLS", () => {
  it("refuses OPNsense's self-signed certificate by default and trusts it with OPNSENSE_CA_FILE + OPNSENSE_TLS_SERVER_NAME", async () => {
    w = await startWorld({ agent: false, tls: true });
    expect(w.sim.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
    w.addWorker("worker-1", "10.0.20.11");
    await w.startAgent();
    await waitFor(() => w.logs.withMsg("opnsense preflight failed").length > 0, "TLS failure reported");
    expect(w.logs.withMsg("opnsense preflight failed")[0]?.["error"]).toMatch(/TLS connection .* failed/);
    expect(neighbors(w.sim)).toEqual([]);
    await w.stopAgent();

    const dir = mkdtempSync(join(tmpdir(), "agent-ca-"));
    writeFileSync(join(dir, "ca.pem"), w.sim.caPem ?? "");
    // The certificate names only the DNS name (like OPNsense's), so connecting by IP needs the server name.
    await w.startAgent({ OPNSENSE_CA_FILE: join(dir, "ca.pem") });
    await waitFor(() => w.logs.raw.some((l) => /does not match|altnames/i.test(l)), "hostname mismatch reported");
    await w.stopAgent();
    await w.startAgent({ OPNSENSE_CA_FILE: join(dir, "ca.pem"), OPNSENSE_TLS_SERVER_NAME: "opnsense.home.arpa" });
    await w.settle(() => neighbors(w.sim).length === 1, "synced over verified TLS");
  });
});

describe("bad cluster input", () => {
  it("skips nodes without an InternalIP or with bad annotations, naming each, and syncs the rest (an IPv6-only node peers over IPv6)", async () => {
    w = await startWorld({ agent: false, env: { BGP_ALLOWED_ASNS: "64600" } });
    w.addWorker("good", "10.0.20.11");
    w.kube.control.createNode({ name: "no-ip", labels: { "homelab/role": "worker" }, addresses: [{ type: "Hostname", address: "no-ip" }] });
    w.kube.control.createNode({ name: "v6-only", labels: { "homelab/role": "worker" }, addresses: [{ type: "InternalIP", address: "fd00::5" }] });
    w.addWorker("bad-asn", "10.0.20.12", { annotations: { "opnsense-bgp-agent/asn": "not-a-number" } });
    w.addWorker("bad-addr", "10.0.20.13", { annotations: { "opnsense-bgp-agent/address": "999.1.1.1" } });
    w.addWorker("skipped", "10.0.20.14", { annotations: { "opnsense-bgp-agent/skip": "true" } });
    w.addWorker("custom-asn", "10.0.20.15", { annotations: { "opnsense-bgp-agent/asn": "64600" } });
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 3, "good, custom-asn and v6-only");
    expect(neighbors(w.sim).map((n) => [n["address"], n["remoteas"]])).toEqual([
      ["10.0.20.11", "64555"],
      ["10.0.20.15", "64600"],
      ["fd00::5", "64555"],
    ]);
    const problems = w.logs.withMsg("input problem; object skipped").map((p) => p["node"]);
    expect(new Set(problems)).toEqual(new Set(["no-ip", "bad-asn", "bad-addr"]));
  });

  it("a failed LIST on resync fails the pass and deletes nothing (an error is not an empty cluster)", async () => {
    w = await startWorld({ agent: false });
    w.addWorker("worker-1", "10.0.20.11");
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 1, "first node");
    w.kube.control.failNext({ verb: "list", status: 500, times: 1 });
    w.sim.control.clearLog();
    const report = await w.agent?.controller.runNow("resync", { fresh: true });
    expect(report?.result).toBe("error");
    expect(report?.error).toContain("listing nodes/services from the Kubernetes API failed");
    expect(w.sim.control.requests().filter((r) => r.method === "POST")).toEqual([]);
    expect(neighbors(w.sim)).toHaveLength(1);
  });

  it("when the first LIST fails at start, the agent waits instead of treating the cluster as empty", async () => {
    w = await startWorld({ agent: false });
    w.addWorker("worker-1", "10.0.20.11");
    const owned = w.sim.control.seedNeighbor({ address: "10.0.20.11", remoteas: "64555", updatesource: "lan", description: "opnsense-bgp-agent:default node=worker-1", enabled: "1" });
    w.kube.control.failNext({ verb: "list", status: 500, times: 1 });
    await w.startAgent();
    await w.settle(() => w.reports.some((r) => r.result === "success"), "synced after the informer restarted");
    expect(w.sim.control.requests().some((r) => r.path.includes("delNeighbor"))).toBe(false);
    expect(Object.keys(w.sim.control.state().neighbors)).toEqual([owned]);
    expect(w.reports[0]?.error).toContain("has not completed its first LIST");
  });

  it("restarts a failed node watch and the periodic resync works even when watches are dead", async () => {
    w = await startWorld({ agent: false });
    w.addWorker("worker-1", "10.0.20.11");
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 1, "first node");
    w.kube.control.failNext({ verb: "watch", status: 500, times: 1 });
    w.kube.control.dropWatches();
    await waitFor(() => w.logs.withMsg("kubernetes watch failed; restarting it").length > 0, "restart logged");
    w.addWorker("worker-2", "10.0.20.12");
    await w.settle(() => neighbors(w.sim).length === 2, "second node via the restarted watch");
    // A node added silently (no watch event at all) is still found by the resync's fresh LIST.
    w.kube.control.createNode({ name: "worker-3", labels: { "homelab/role": "worker" }, addresses: [{ type: "InternalIP", address: "10.0.20.13" }] }, { silent: true });
    await w.agent?.controller.runNow("resync", { fresh: true });
    expect(neighbors(w.sim)).toHaveLength(3);
  });
});

describe("secrets", () => {
  it("never appear in the agent's output, even at trace level and on auth failures", async () => {
    w = await startWorld({ agent: false, env: { LOG_LEVEL: "trace", BGP_PASSWORD: "md5-S3cret-Value" } });
    w.addWorker("worker-1", "10.0.20.11");
    w.sim.control.injectFault({ kind: "unauthorized", times: 1 });
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 1, "synced");
    const out = w.logs.text();
    expect(out.length).toBeGreaterThan(1000);
    expect(out).not.toContain(DEFAULT_API_SECRET);
    expect(out).not.toContain("md5-S3cret-Value");
    expect(out).not.toContain(Buffer.from(`${w.config.opnsense.apiKey}:${DEFAULT_API_SECRET}`).toString("base64"));
  });
});

describe("readiness after a working start", () => {
  it("turns not-ready when the key is revoked later (401 during the re-probe), and ready again when it works", async () => {
    w = await startWorld({ agent: false });
    w.addWorker("worker-1", "10.0.20.11");
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 1, "synced");
    expect((await readyz(w)).status).toBe(200);
    // A garbage reply makes the next pass re-probe OPNsense; by then the key has been revoked,
    // so it is the preflight (not a snapshot read) that meets the 401.
    w.sim.control.injectFault({ match: { pathPrefix: "/api/firewall/filter/get" }, kind: "garbage", times: 1 });
    await w.agent?.controller.runNow("resync", { fresh: true });
    w.sim.control.injectFault({ kind: "unauthorized", times: 1000 });
    const report = await w.agent?.controller.runNow("resync", { fresh: true });
    expect(report?.error).toContain("preflight");
    const r = await readyz(w);
    expect(r.status).toBe(503);
    expect(r.text).toMatch(/401/);
    w.sim.control.clearFaults();
    await w.agent?.controller.runNow("resync", { fresh: true });
    expect((await readyz(w)).status).toBe(200);
  });
});
