import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Simulator } from "./index.ts";
import { DEFAULT_VERSION } from "./index.ts";
import { realEnv } from "./real-env.ts";
import { at, call, keysOf, start } from "./test-client.ts";

// the simulator's own control API: nothing here applies to a real OPNsense
const describeSim = (name: string, fn: () => void): void => {
  (realEnv() ? describe.skip : describe)(`${name} [simulator-only: the control API itself]`, fn);
};

let sim: Simulator;
beforeAll(async () => {
  sim = await start();
});
afterAll(async () => sim.close());
beforeEach(() => sim.control.setVersion(DEFAULT_VERSION));

const ctl = (method: string, path: string, body?: unknown) => call(sim, method, `/__sim/${path}`, { auth: null, ...(body !== undefined ? { body } : {}) });

describeSim("control: state, running, log, counters", () => {
  it("requests() logs method, path, query, body and status", async () => {
    await call(sim, "POST", "/api/quagga/bgp/addNeighbor?x=1", { body: { neighbor: { address: "10.0.20.11" } } });
    const log = sim.control.requests();
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ method: "POST", path: "/api/quagga/bgp/addNeighbor", query: "x=1", body: { neighbor: { address: "10.0.20.11" } }, status: 200 });
    expect(sim.control.counters().requests).toBe(1);
    sim.control.clearLog();
    expect(sim.control.requests()).toEqual([]);
  });

  it("state() is a deep copy", async () => {
    const uuid = sim.control.seedNeighbor({ address: "10.0.20.11", remoteas: "64555" });
    const s = sim.control.state();
    (s.neighbors[uuid] as Record<string, string>)["address"] = "changed";
    expect(sim.control.state().neighbors[uuid]?.["address"]).toBe("10.0.20.11");
  });

  it("seeded items are visible through the API and carry template defaults", async () => {
    const uuid = sim.control.seedNeighbor({ address: "10.0.20.11", remoteas: "64555" });
    expect(sim.control.state().neighbors[uuid]?.["enabled"]).toBe("1");
    expect(at((await call(sim, "GET", `/api/quagga/bgp/getNeighbor/${uuid}`)).json, "neighbor", "address")).toBe("10.0.20.11");
  });

  it("reset() restores a fresh install of the current version", async () => {
    sim.control.setVersion("25.7.11");
    sim.control.seedAlias({ name: "x1", type: "host" });
    sim.control.setPrivileges([]);
    sim.control.reset();
    expect(sim.control.state().version).toBe("25.7.11");
    expect(keysOf(sim.control.state().aliases)).toEqual([]);
    expect((await call(sim, "GET", "/api/firewall/alias/searchItem")).status).toBe(200);
  });
});

describeSim("control over HTTP (/__sim, no auth)", () => {
  it("version, seed, state, running, counters, requests", async () => {
    expect((await ctl("POST", "version", { version: "25.1.12" })).status).toBe(200);
    const seeded = await ctl("POST", "seed/neighbor", { address: "10.0.20.11", remoteas: "64555" });
    const uuid = String(at(seeded.json, "uuid"));
    expect(at((await ctl("GET", "state")).json, "version")).toBe("25.1.12");
    expect(at((await ctl("GET", "state")).json, "neighbors", uuid, "address")).toBe("10.0.20.11");
    await call(sim, "POST", "/api/quagga/service/reconfigure");
    expect(at((await ctl("GET", "running")).json, "frr", "neighbors", 0, "address")).toBe("10.0.20.11");
    expect(at((await ctl("GET", "counters")).json, "reconfigures")).toBe(1);
    expect(at((await ctl("GET", "requests")).json, 0, "path")).toBe("/api/quagga/service/reconfigure");
    for (const kind of ["rule", "alias", "category", "legacy-rule", "peergroup"]) {
      expect((await ctl("POST", `seed/${kind}`, kind === "alias" ? { name: "a1", type: "host" } : { name: "n" })).status).toBe(200);
    }
    expect((await ctl("POST", "version", { version: "9.9" })).status).toBe(400);
    expect((await ctl("GET", "nosuch")).status).toBe(404);
  });

  it("privileges, readonly, frr-installed, peer, reset", async () => {
    await ctl("POST", "privileges", { privileges: ["page-routing"] });
    expect((await call(sim, "GET", "/api/firewall/filter/searchRule")).status).toBe(403);
    await ctl("POST", "readonly", { readonly: true });
    expect((await call(sim, "POST", "/api/quagga/bgp/addNeighbor", { body: { neighbor: {} } })).status).toBe(500);
    await ctl("POST", "frr-installed", { installed: false });
    expect((await call(sim, "GET", "/api/quagga/bgp/get")).status).toBe(404);
    await ctl("POST", "reset");
    sim.control.seedNeighbor({ address: "10.0.20.11", remoteas: "64555" });
    await call(sim, "POST", "/api/quagga/service/reconfigure");
    await ctl("POST", "peer", { address: "10.0.20.11", state: "Established", prefixes: ["10.96.0.10/32"] });
    expect(sim.control.running().frr.neighbors[0]?.state).toBe("Established");
  });
});

describeSim("faults", () => {
  it("status fault with body, limited times, matched by prefix", async () => {
    sim.control.injectFault({ kind: "status", status: 502, body: { oops: 1 }, times: 2, match: { pathPrefix: "/api/quagga/" } });
    expect((await call(sim, "GET", "/api/firewall/filter/getRule")).status).toBe(200);
    expect((await call(sim, "GET", "/api/quagga/bgp/get")).status).toBe(502);
    expect((await call(sim, "GET", "/api/quagga/bgp/get")).json).toEqual({ oops: 1 });
    expect((await call(sim, "GET", "/api/quagga/bgp/get")).status).toBe(200);
  });

  it("method and regex matching", async () => {
    sim.control.injectFault({ kind: "forbidden", match: { method: "POST", pathRegex: /addRule$/ } });
    expect((await call(sim, "GET", "/api/firewall/filter/addRule")).status).toBe(200);
    expect((await call(sim, "POST", "/api/firewall/filter/addRule", { body: { rule: {} } })).json).toEqual({ status: 403, message: "Forbidden" });
  });

  it.each([
    ["unauthorized", { kind: "unauthorized" as const }, 401],
    ["garbage", { kind: "garbage" as const }, 200],
    ["validation", { kind: "validation" as const, validations: { "neighbor.address": "bad" } }, 200],
  ])("%s", async (_n, fault, status) => {
    sim.control.injectFault(fault);
    const r = await call(sim, "POST", "/api/quagga/bgp/addNeighbor", { body: { neighbor: { address: "10.0.20.11" } } });
    expect(r.status).toBe(status);
    if (fault.kind === "garbage") expect(r.json).toBeUndefined();
    if (fault.kind === "validation") expect(r.json).toEqual({ result: "failed", validations: { "neighbor.address": "bad" } });
    expect(keysOf(sim.control.state().neighbors)).toEqual([]);
  });

  it("delay then normal answer", async () => {
    sim.control.injectFault({ kind: "delay", ms: 120 });
    const t0 = Date.now();
    expect((await call(sim, "GET", "/api/quagga/bgp/get")).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
  });

  it("reset destroys the socket; timeout never answers", async () => {
    sim.control.injectFault({ kind: "reset" });
    await expect(call(sim, "GET", "/api/quagga/bgp/get")).rejects.toThrow();
    sim.control.injectFault({ kind: "timeout" });
    const pending = fetch(sim.url + "/api/quagga/bgp/get", { signal: AbortSignal.timeout(200) });
    await expect(pending).rejects.toThrow();
  });

  it("fault over HTTP", async () => {
    expect((await ctl("POST", "fault", { kind: "status", status: 503, match: { pathRegex: "search" } })).status).toBe(200);
    expect((await call(sim, "GET", "/api/quagga/bgp/searchNeighbor")).status).toBe(503);
    expect((await ctl("POST", "fault", { kind: "nope" })).status).toBe(400);
  });
});

describeSim("lockout", () => {
  it.each(["filter", "alias"])("after the next %s apply every API request hangs until restoreAccess()", async (which) => {
    sim.control.lockoutAfterNextApply();
    expect((await call(sim, "GET", "/api/quagga/bgp/get")).status).toBe(200);
    const path = which === "filter" ? "/api/firewall/filter/apply" : "/api/firewall/alias/reconfigure";
    expect((await call(sim, "POST", path)).status).toBe(200);
    await expect(fetch(sim.url + "/api/quagga/bgp/get", { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect((await ctl("GET", "counters")).status).toBe(200);
    sim.control.restoreAccess();
    expect((await call(sim, "GET", "/api/quagga/bgp/get")).status).toBe(200);
  });

  it("refuse mode and HTTP routes", async () => {
    await ctl("POST", "lockout", { mode: "refuse" });
    await call(sim, "POST", "/api/firewall/filter/apply");
    await expect(call(sim, "GET", "/api/quagga/bgp/get")).rejects.toThrow();
    await ctl("POST", "restore");
    expect((await call(sim, "GET", "/api/quagga/bgp/get")).status).toBe(200);
  });
});
