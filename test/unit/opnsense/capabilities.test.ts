import nock from "nock";
import { describe, expect, test } from "vitest";
import { API_KEY, API_SECRET, BASE, api, client, inspect, useNock } from "./helpers.ts";
import { createHttp } from "../../../src/opnsense/http.ts";
import { readBgpModel } from "../../../src/opnsense/bgp.ts";
import { deriveCapabilities, describeCapabilities, fetchNeighborTemplate, fetchRuleTemplate, fetchPeerGroupTemplate, hasSavepoint } from "../../../src/opnsense/capabilities.ts";
import type { Capabilities } from "../../../src/domain/types.ts";
import { bgpGet, neighborTemplate, ruleTemplate } from "./fixtures/replies.ts";
import type { FilterVersion } from "./fixtures/replies.ts";

useNock();

/** `quagga/bgp/getPeergroup` template: os-frr 1.45 (the first of 25.7) added listen ranges. */
function peerGroupTemplate(osFrr: number): Record<string, unknown> {
  return { peergroup: { enabled: "1", name: "", remoteas: "", updatesource: "", ...(osFrr >= 1.45 ? { listenranges: "" } : {}) } };
}

function mockProbe(v: FilterVersion, osFrr: number, o: { peerGroups?: boolean; maximumpaths?: boolean; savepoint?: boolean } = {}): void {
  api().get("/api/firewall/filter/getRule").reply(200, ruleTemplate(v));
  api().get("/api/quagga/bgp/getNeighbor").reply(200, neighborTemplate(osFrr));
  if (o.peerGroups === false) api().get("/api/quagga/bgp/getPeergroup").reply(404, { errorMessage: "Endpoint not found" });
  else api().get("/api/quagga/bgp/getPeergroup").reply(200, peerGroupTemplate(osFrr));
  api().get("/api/quagga/bgp/get").reply(200, bgpGet({ maximumpaths: o.maximumpaths ?? false, peergroups: o.peerGroups !== false }));
  // A GET of savepoint saves nothing; where the action exists it answers a failed status (§4.6).
  if (o.savepoint ?? v !== "26.7") api().get("/api/firewall/filter/savepoint").reply(200, { status: "failed" });
  else api().get("/api/firewall/filter/savepoint").reply(404, { errorMessage: "Endpoint not found" });
}

/** The evidence preflight reads (the same fetch functions), derived into capabilities. */
async function probe(): Promise<Capabilities> {
  const http = createHttp({ url: BASE, apiKey: API_KEY, apiSecret: API_SECRET, timeoutMs: 2_000, retryMinTimeoutMs: 1 });
  const [ruleTemplate, neighborTemplate, peerGroupTemplate, savepointEndpoint, model] = await Promise.all([fetchRuleTemplate(http), fetchNeighborTemplate(http), fetchPeerGroupTemplate(http), hasSavepoint(http), readBgpModel(http)]);
  return deriveCapabilities({ ruleTemplate, neighborTemplate, peerGroupTemplate, savepointEndpoint, bgpRootFields: model.rootFields });
}

describe("capability probe from templates (contract §7)", () => {
  test("24.1 with os-frr 1.38: no statetype, no peer groups, savepoint exists", async () => {
    mockProbe("24.1", 1.38, { peerGroups: false });
    const caps = await probe();
    expect(caps).toMatchObject({
      ruleStatetype: false,
      ruleDirectionAny: false,
      savepoint: true,
      serverRollback: true,
      frrRendersDescription: false,
      peerGroups: false,
    });
    expect(caps.neighborFields).toContain("remoteas");
    expect(caps.neighborFields).not.toContain("peergroup");
    expect(nock.pendingMocks()).toEqual([]);
  });

  test("25.1 (os-frr 1.42): statetype, labels in grids", async () => {
    mockProbe("25.1", 1.42);
    expect(await probe()).toMatchObject({ ruleStatetype: true, ruleDirectionAny: false, savepoint: true, serverRollback: true, peerGroups: true });
  });

  test("25.7 (os-frr 1.45): peer-group listen ranges → the savepoint revision is rounded, no server rollback", async () => {
    mockProbe("25.7", 1.45);
    const caps = await probe();
    expect(caps).toMatchObject({ ruleStatetype: true, ruleDirectionAny: false, savepoint: true, serverRollback: false });
    expect(caps.neighborFields).toContain("remote_as_mode");
  });

  test("26.1 (os-frr 1.50): direction any", async () => {
    mockProbe("26.1", 1.5);
    expect(await probe()).toMatchObject({ ruleDirectionAny: true, savepoint: true, frrRendersDescription: false });
  });

  test("26.1.8 (os-frr 1.52): maximumpaths in the BGP root → description rendered", async () => {
    mockProbe("26.1", 1.52, { maximumpaths: true });
    const caps = await probe();
    expect(caps.frrRendersDescription).toBe(true);
    expect(caps.neighborFields).toContain("localas");
    expect(caps.neighborFields).not.toContain("bfd_strict");
  });

  test("26.7 (os-frr 1.53): savepoint 404 → no savepoint; %field keys ignored", async () => {
    mockProbe("26.7", 1.53);
    const caps = await probe();
    expect(caps).toMatchObject({ ruleDirectionAny: true, savepoint: false, serverRollback: false, frrRendersDescription: true });
    expect(caps.neighborFields).toContain("bfd_strict");
    expect(caps.neighborFields.some((f) => f.startsWith("%"))).toBe(false);
  });

  test("26.1.2+ carries tcpflags_any back, but savepoint still answers: savepoint found, not guessed from a field", async () => {
    api().get("/api/firewall/filter/getRule").reply(200, { rule: { ...(ruleTemplate("26.1").rule as object), tcpflags_any: "0" } });
    api().get("/api/quagga/bgp/getNeighbor").reply(200, neighborTemplate(1.53));
    api().get("/api/quagga/bgp/getPeergroup").reply(200, peerGroupTemplate(1.53));
    api().get("/api/quagga/bgp/get").reply(200, bgpGet({ maximumpaths: true }));
    api().get("/api/firewall/filter/savepoint").reply(200, { status: "failed" });
    const caps = await probe();
    expect(caps).toMatchObject({ ruleDirectionAny: true, savepoint: true, serverRollback: false });
  });

  test("25.1.12 carries sort_order and icmptype back, but its os-frr 1.44 has no listen ranges: the server rollback still counts", async () => {
    api().get("/api/firewall/filter/getRule").reply(200, { rule: { ...(ruleTemplate("25.1").rule as object), sort_order: "", prio_group: "", icmptype: {} } });
    api().get("/api/quagga/bgp/getNeighbor").reply(200, neighborTemplate(1.44));
    api().get("/api/quagga/bgp/getPeergroup").reply(200, peerGroupTemplate(1.44));
    api().get("/api/quagga/bgp/get").reply(200, bgpGet());
    api().get("/api/firewall/filter/savepoint").reply(200, { status: "failed" });
    expect(await probe()).toMatchObject({ ruleStatetype: true, ruleDirectionAny: false, savepoint: true, serverRollback: true });
  });

  test("the detection is described by what was found, not by a release guess", async () => {
    mockProbe("25.7", 1.45);
    expect(describeCapabilities(await probe())).toBe(
      "statetype: yes, direction any: no, savepoint: yes, server rollback: no, peer groups: yes, remote_as_mode: yes, descriptions in frr.conf: no",
    );
  });

  test("never touches firmware, and asks savepoint only with a GET (which saves nothing)", async () => {
    const paths: string[] = [];
    const scope = api().persist().get(/.*/).reply(200, async (req: unknown) => {
      const uri = (await inspect(req)).path;
      paths.push(uri);
      if (uri.includes("getRule")) return ruleTemplate("26.1");
      if (uri.includes("getNeighbor")) return neighborTemplate(1.5);
      if (uri.includes("getPeergroup")) return peerGroupTemplate(1.5);
      if (uri.includes("savepoint")) return { status: "failed" };
      return bgpGet();
    });
    await probe();
    expect(paths.sort()).toEqual(["/api/firewall/filter/getRule", "/api/firewall/filter/savepoint", "/api/quagga/bgp/get", "/api/quagga/bgp/getNeighbor", "/api/quagga/bgp/getPeergroup"]);
    scope.persist(false);
  });

  test("savepoint() in a session that knows 26.7 (no savepoints) makes no request", async () => {
    mockProbe("26.7", 1.53);
    const c = client({ capabilities: await probe() });
    expect(await c.savepoint()).toBeNull();
    // Only the probe's own five requests were answered; savepoint() asked for nothing.
    expect(nock.pendingMocks()).toEqual([]);
  });
});
