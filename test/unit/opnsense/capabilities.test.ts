import nock from "nock";
import { describe, expect, test } from "vitest";
import { API_KEY, API_SECRET, BASE, api, client, inspect, useNock } from "./helpers.ts";
import { createHttp } from "../../../src/opnsense/http.ts";
import { readBgpModel } from "../../../src/opnsense/bgp.ts";
import { deriveCapabilities, fetchNeighborTemplate, fetchRuleTemplate, hasPeerGroups } from "../../../src/opnsense/capabilities.ts";
import type { Capabilities } from "../../../src/domain/types.ts";
import { bgpGet, neighborTemplate, ruleTemplate } from "./fixtures/replies.ts";
import type { FilterVersion } from "./fixtures/replies.ts";

useNock();

const PEERGROUP_GRID = { total: 0, rowCount: 0, current: 1, rows: [] };

function mockProbe(v: FilterVersion, osFrr: number, o: { peerGroups?: boolean; maximumpaths?: boolean } = {}): void {
  api().get("/api/firewall/filter/getRule").reply(200, ruleTemplate(v));
  api().get("/api/quagga/bgp/getNeighbor").reply(200, neighborTemplate(osFrr));
  if (o.peerGroups === false) api().get("/api/quagga/bgp/searchPeergroup").reply(404, { errorMessage: "Endpoint not found" });
  else api().get("/api/quagga/bgp/searchPeergroup").reply(200, PEERGROUP_GRID);
  api().get("/api/quagga/bgp/get").reply(200, bgpGet({ maximumpaths: o.maximumpaths ?? false, peergroups: o.peerGroups !== false }));
}

/** The evidence preflight reads (the same fetch functions), derived into capabilities. */
async function probe(): Promise<Capabilities> {
  const http = createHttp({ url: BASE, apiKey: API_KEY, apiSecret: API_SECRET, timeoutMs: 2_000, retryMinTimeoutMs: 1 });
  const [ruleTemplate, neighborTemplate, peerGroupsEndpoint, model] = await Promise.all([fetchRuleTemplate(http), fetchNeighborTemplate(http), hasPeerGroups(http), readBgpModel(http)]);
  return deriveCapabilities({ ruleTemplate, neighborTemplate, peerGroupsEndpoint, bgpRootFields: model.rootFields });
}

describe("capability probe from templates (contract §7)", () => {
  test("24.1 with os-frr 1.38: no statetype, no peer groups, savepoint exists", async () => {
    mockProbe("24.1", 1.38, { peerGroups: false });
    const caps = await probe();
    expect(caps).toMatchObject({
      versionRange: "24.1-24.7",
      ruleStatetype: false,
      ruleDirectionAny: false,
      gridRawValues: false,
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
    expect(await probe()).toMatchObject({ versionRange: "25.1.0-25.1.4", ruleStatetype: true, ruleDirectionAny: false, gridRawValues: false, savepoint: true, peerGroups: true });
  });

  test("25.7 (os-frr 1.45): sort_order → raw grid values", async () => {
    mockProbe("25.7", 1.45);
    const caps = await probe();
    expect(caps).toMatchObject({ versionRange: "25.1.5-25.7.x", ruleStatetype: true, ruleDirectionAny: false, gridRawValues: true, savepoint: true, serverRollback: false });
    expect(caps.neighborFields).toContain("remote_as_mode");
  });

  test("26.1 (os-frr 1.50): direction any", async () => {
    mockProbe("26.1", 1.5);
    expect(await probe()).toMatchObject({ versionRange: "26.1.0-26.1.1", ruleDirectionAny: true, savepoint: true, frrRendersDescription: false });
  });

  test("26.1.8 (os-frr 1.52): maximumpaths in the BGP root → description rendered", async () => {
    mockProbe("26.1", 1.52, { maximumpaths: true });
    const caps = await probe();
    expect(caps.frrRendersDescription).toBe(true);
    expect(caps.neighborFields).toContain("localas");
    expect(caps.neighborFields).not.toContain("bfd_strict");
  });

  test("26.7 (os-frr 1.53): tcpflags_any → no savepoint, apply skips aliases; %field keys ignored", async () => {
    mockProbe("26.7", 1.53);
    const caps = await probe();
    expect(caps).toMatchObject({ versionRange: ">=26.1.2", ruleDirectionAny: true, savepoint: false, serverRollback: false, frrRendersDescription: true });
    expect(caps.neighborFields).toContain("bfd_strict");
    expect(caps.neighborFields.some((f) => f.startsWith("%"))).toBe(false);
  });

  test("never touches firmware or savepoint", async () => {
    const paths: string[] = [];
    const scope = api().persist().get(/.*/).reply(200, async (req: unknown) => {
      const uri = (await inspect(req)).path;
      paths.push(uri);
      if (uri.includes("getRule")) return ruleTemplate("26.1");
      if (uri.includes("getNeighbor")) return neighborTemplate(1.5);
      if (uri.includes("searchPeergroup")) return PEERGROUP_GRID;
      return bgpGet();
    });
    await probe();
    expect(paths.sort()).toEqual(["/api/firewall/filter/getRule", "/api/quagga/bgp/get", "/api/quagga/bgp/getNeighbor", "/api/quagga/bgp/searchPeergroup"]);
    scope.persist(false);
  });

  test("savepoint() in a session that knows 26.7 (no savepoints) makes no request", async () => {
    mockProbe("26.7", 1.53);
    const c = client({ capabilities: await probe() });
    expect(await c.savepoint()).toBeNull();
    // Only the probe's own four requests were answered; savepoint() asked for nothing.
    expect(nock.pendingMocks()).toEqual([]);
  });
});
