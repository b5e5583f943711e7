import { describe, expect, it } from "vitest";
import { control, eachRow, flatten, optionMessage, simulatorOnly, useTarget } from "./target.ts";
import { at, keysOf, message, rowsOf } from "./test-client.ts";

const t = await useTarget();
const frr = simulatorOnly(t, "FRR and configd are stubbed on the real target");
const savedNeighbor = async (uuid: string) => flatten(at((await t.call("GET", `/api/quagga/bgp/getNeighbor/${uuid}`)).json, "neighbor"));
const neighborCount = async () => rowsOf(await t.call("GET", "/api/quagga/bgp/searchNeighbor")).length;

const add = (fields: Record<string, unknown>) => t.call("POST", "/api/quagga/bgp/addNeighbor", { body: { neighbor: fields } });
const reconfigure = () => t.call("POST", "/api/quagga/service/reconfigure");
const minimal = { enabled: "1", address: "10.0.20.11", remoteas: "64555", updatesource: "lan", description: "opnsense-bgp-agent node=worker-1" };

describe("§7 probe table / §3.3 neighbor template per version", () => {
  eachRow(t.rows)("%s", async (v) => {
    await t.use(v);
    const frrMinor = t.features.osFrrMinor;
    const tpl = at((await t.call("GET", "/api/quagga/bgp/getNeighbor")).json, "neighbor");
    expect(keysOf(tpl).includes("remote_as_mode")).toBe(frrMinor >= 44);
    expect(keysOf(tpl).includes("localas")).toBe(frrMinor >= 51);
    expect(keysOf(tpl).includes("bfd_strict")).toBe(frrMinor >= 53);
    // os-frr declares multihop's default itself, so it is "0" on every release (§11)
    expect(at(tpl, "multihop")).toBe("0");
    const g = at((await t.call("GET", "/api/quagga/general/get")).json, "general");
    expect(keysOf(g).includes("manual_config")).toBe(frrMinor >= 54);
    if (frrMinor >= 54) expect(at(g, "manual_config")).toBe("0");
    expect((await t.call("GET", "/api/quagga/bgp/searchPeergroup")).status).toBe(frrMinor >= 40 ? 200 : 404);
  });
});

describe("§3.2 initial state and model get/set", () => {
  simulatorOnly(t, "the simulator's fresh install").it("fresh install: FRR and bgp enabled, AS 64555, no neighbors ([] like PHP)", async () => {
    expect(at((await t.call("GET", "/api/quagga/general/get")).json, "general", "enabled")).toBe("1");
    const r = await t.call("GET", "/api/quagga/bgp/get");
    expect(at(r.json, "bgp", "enabled")).toBe("1");
    expect(at(r.json, "bgp", "asnumber")).toBe("64555");
    expect(at(r.json, "bgp", "neighbors", "neighbor")).toEqual([]);
  });

  it("model get lists neighbors keyed by uuid with full fields", async () => {
    const uuid = String(at((await add(minimal)).json, "uuid"));
    const r = await t.call("GET", "/api/quagga/bgp/get");
    expect(at(r.json, "bgp", "neighbors", "neighbor", uuid, "address")).toBe("10.0.20.11");
    expect(at(r.json, "bgp", "neighbors", "neighbor", uuid, "updatesource", "lan", "selected")).toBe(1);
  });

  it.each([
    [{ asnumber: "0" }, "bgp.asnumber"],
    [{ asnumber: "4294967296" }, "bgp.asnumber"],
    [{ enabled: "yes" }, "bgp.enabled"],
  ])("bgp/set %j fails on %s", async (body, key) => {
    const r = await t.call("POST", "/api/quagga/bgp/set", { body: { bgp: body } });
    expect(at(r.json, "result")).toBe("failed");
    expect(keysOf(at(r.json, "validations"))).toEqual([key]);
  });

  it("bgp/set and general/set save", async () => {
    expect((await t.call("POST", "/api/quagga/bgp/set", { body: { bgp: { asnumber: 4200000000 } } })).json).toEqual({ result: "saved" });
    expect((await t.call("POST", "/api/quagga/general/set", { body: { general: { enabled: "0" } } })).json).toEqual({ result: "saved" });
    expect(at((await t.call("GET", "/api/quagga/bgp/get")).json, "bgp", "asnumber")).toBe("4200000000");
    expect(at((await t.call("GET", "/api/quagga/general/get")).json, "general", "enabled")).toBe("0");
    if (t.control) expect(t.control.counters().backups).toBe(2);
  });
});

describe("§3.3 neighbor validation", () => {
  it("minimal body is accepted", async () => {
    const r = await add(minimal);
    expect(at(r.json, "result")).toBe("saved");
    expect(String(at(r.json, "uuid"))).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ["address", { address: "not-an-ip" }, "neighbor.address", "Please specify a valid network segment or IP address."],
    ["address required", { address: "" }, "neighbor.address", "A value is required."],
    ["remoteas 0", { remoteas: "0" }, "neighbor.remoteas", undefined],
    ["remoteas too big", { remoteas: "4294967296" }, "neighbor.remoteas", undefined],
    ["remoteas text", { remoteas: "abc" }, "neighbor.remoteas", undefined],
    ["updatesource", { updatesource: "opt9" }, "neighbor.updatesource", optionMessage(t)],
    ["linklocalinterface", { linklocalinterface: "em0" }, "neighbor.linklocalinterface", optionMessage(t)],
    ["boolean", { multihop: "2" }, "neighbor.multihop", "Value should be a boolean (0,1)."],
    ["keepalive", { keepalive: "1001" }, "neighbor.keepalive", undefined],
    ["holddown", { holddown: "2" }, "neighbor.holddown", undefined],
    ["connecttimer", { connecttimer: "65001" }, "neighbor.connecttimer", undefined],
    ["peergroup", { peergroup: "9b5e0cb4-0a0b-4c5e-8a0e-7e1c5b0b7a11" }, "neighbor.peergroup", undefined],
  ])("%s", async (_n, patch, key, msg) => {
    const r = await add({ ...minimal, ...patch });
    expect(r.status).toBe(200);
    expect(at(r.json, "result")).toBe("failed");
    expect(keysOf(at(r.json, "validations"))).toEqual([key]);
    if (msg) expect(message(r, key)).toBe(msg);
  });

  it.each(["10.0.20.0/24", "any", "2001:db8::1", "FE80::1"])("address accepts %s (NetworkField), lower-cased", async (a) => {
    const r = await add({ ...minimal, address: a });
    expect(at(r.json, "result")).toBe("saved");
    expect((await savedNeighbor(String(at(r.json, "uuid"))))["address"]).toBe(a.toLowerCase());
  });

  it("address is not unique", async () => {
    expect(at((await add(minimal)).json, "result")).toBe("saved");
    expect(at((await add(minimal)).json, "result")).toBe("saved");
  });

  eachRow(t.rows)("remoteas is optional from os-frr 1.40, required before (%s)", async (v) => {
    await t.use(v);
    const r = await add({ address: "10.0.20.11" });
    if (t.features.osFrrMinor >= 40) expect(at(r.json, "result")).toBe("saved");
    else expect(message(r, "neighbor.remoteas")).toBe("A value is required.");
  });

  eachRow(t.rows)("fields the version lacks are silently ignored (%s)", async (v) => {
    await t.use(v);
    const r = await add({ ...minimal, localas: "65000", bfd_strict: "1", bogus: "x" });
    expect(at(r.json, "result")).toBe("saved");
    const n = await savedNeighbor(String(at(r.json, "uuid")));
    expect(n["localas"]).toBe(t.features.osFrrMinor >= 51 ? "65000" : undefined);
    expect(n["bfd_strict"]).toBe(t.features.osFrrMinor >= 53 ? "1" : undefined);
    expect("bogus" in n).toBe(false);
  });

  it("peer group relation", async () => {
    const pg = await t.call("POST", "/api/quagga/bgp/addPeergroup", { body: { peergroup: { name: "k8s", remoteas: "64555" } } });
    const pgUuid = String(at(pg.json, "uuid"));
    expect(at((await add({ ...minimal, peergroup: pgUuid })).json, "result")).toBe("saved");
  });
});

describe("§2.1 CRUD on neighbors", () => {
  it("get unknown → [], template without uuid", async () => {
    expect((await t.call("GET", "/api/quagga/bgp/getNeighbor/9b5e0cb4-0a0b-4c5e-8a0e-7e1c5b0b7a11")).json).toEqual([]);
    expect(at((await t.call("GET", "/api/quagga/bgp/getNeighbor")).json, "neighbor", "enabled")).toBe("1");
  });

  it("set: full item validation, no uuid echoed; unknown v4 uuid upserts; non-v4 fails", async () => {
    const uuid = String(at((await add(minimal)).json, "uuid"));
    const r = await t.call("POST", `/api/quagga/bgp/setNeighbor/${uuid}`, { body: { neighbor: { description: "changed" } } });
    expect(r.json).toEqual({ result: "saved" });
    expect((await savedNeighbor(uuid))["description"]).toBe("changed");
    const up = "6f1c2b4e-8d3a-4f5b-9c7d-0e1f2a3b4c5d";
    expect((await t.call("POST", `/api/quagga/bgp/setNeighbor/${up}`, { body: { neighbor: minimal } })).json).toEqual({ result: "saved" });
    expect((await savedNeighbor(up))["address"]).toBe("10.0.20.11");
    expect((await t.call("POST", "/api/quagga/bgp/setNeighbor/not-a-uuid", { body: { neighbor: minimal } })).json).toEqual({ result: "failed" });
    expect((await t.call("POST", "/api/quagga/bgp/setNeighbor/6F1C2B4E-8D3A-4F5B-9C7D-0E1F2A3B4C5E", { body: { neighbor: minimal } })).json).toEqual({ result: "failed" });
  });

  it("del → deleted / not found; every write is one backup", async () => {
    const uuid = String(at((await add(minimal)).json, "uuid"));
    expect((await t.call("POST", `/api/quagga/bgp/delNeighbor/${uuid}`)).json).toEqual({ result: "deleted" });
    expect((await t.call("POST", `/api/quagga/bgp/delNeighbor/${uuid}`)).json).toEqual({ result: "not found" });
    if (t.control) expect(t.control.counters()).toMatchObject({ writes: 2, backups: 2 });
  });

  it("toggleNeighbor always flips and ignores 0/1", async () => {
    const uuid = String(at((await add(minimal)).json, "uuid"));
    expect((await t.call("POST", `/api/quagga/bgp/toggleNeighbor/${uuid}/1`)).json).toEqual({ result: "Disabled", changed: true });
    expect((await t.call("POST", `/api/quagga/bgp/toggleNeighbor/${uuid}/0`)).json).toEqual({ result: "Enabled", changed: true });
  });

  eachRow(t.rows)("batch comma delete only from 26.1.3 (%s)", async (v) => {
    await t.use(v);
    const a = String(at((await add(minimal)).json, "uuid"));
    const b = String(at((await add(minimal)).json, "uuid"));
    const r = await t.call("POST", `/api/quagga/bgp/delNeighbor/${a},${b}`);
    if (t.features.batchDelete) {
      expect(r.json).toEqual({ result: "deleted" });
      expect(await neighborCount()).toBe(0);
    } else {
      expect(r.json).toEqual({ result: "not found" });
      expect(await neighborCount()).toBe(2);
    }
  });

  eachRow(t.rows)("safe delete (os-frr 1.53+): malformed id → 500 Invalid input token (%s)", async (v) => {
    await t.use(v);
    const r = await t.call("POST", "/api/quagga/bgp/delNeighbor/NOT_VALID!");
    if (t.features.osFrrMinor >= 53) {
      expect(r.status).toBe(500);
      expect(at(r.json, "errorMessage")).toBe("Invalid input token provided");
    } else {
      expect(r.json).toEqual({ result: "not found" });
    }
  });

  frr.it("nothing reaches the running FRR until reconfigure", async () => {
    await add(minimal);
    expect(control(t).running().frr.neighbors).toEqual([]);
    await reconfigure();
    expect(control(t).running().frr.neighbors.map((n) => n.address)).toEqual(["10.0.20.11"]);
  });
});

describe("§2.3 neighbor grid rows", () => {
  eachRow(t.rows)("labels before 25.7, raw values + %%field from 25.7 (%s)", async (v) => {
    await t.use(v);
    await add(minimal);
    const rows = rowsOf(await t.call("GET", "/api/quagga/bgp/searchNeighbor"));
    expect(rows).toHaveLength(1);
    const raw = t.features.rawGrid;
    expect(rows[0]?.["updatesource"]).toBe(raw ? "lan" : "LAN");
    expect(rows[0]?.["%updatesource"]).toBe(raw ? "LAN" : undefined);
  });

  it("searchPhrase ANDs tokens; paging", async () => {
    await add({ ...minimal, description: "agent node=a" });
    await add({ ...minimal, address: "10.0.20.12", description: "agent node=b" });
    await add({ ...minimal, address: "10.0.20.13", description: "other" });
    const r = await t.call("POST", "/api/quagga/bgp/searchNeighbor", { body: { searchPhrase: "agent node=b" } });
    expect(rowsOf(r).map((x) => x["address"])).toEqual(["10.0.20.12"]);
    const page = await t.call("POST", "/api/quagga/bgp/searchNeighbor", { body: { rowCount: 2, current: 2, sort: { address: "asc" } } });
    expect(at(page.json, "total")).toBe(3);
    expect(at(page.json, "rowCount")).toBe(1);
    expect(rowsOf(page).map((x) => x["address"])).toEqual(["10.0.20.13"]);
  });
});

describe("§3.1 service status shape", () => {
  it("status, and the widget captions from plugins 25.1", async () => {
    const s = await t.call("GET", "/api/quagga/service/status");
    expect(keysOf(s.json).sort()).toEqual(t.features.serviceWidget ? ["status", "widget"] : ["status"]);
    if (t.features.serviceWidget) expect(at(s.json, "widget")).toEqual({ caption_restart: "Restart", caption_start: "Start", caption_stop: "Stop" });
  });
});

frr.describe("§3.6 reconfigure and sessions", () => {
  eachRow(t.rows)("restart (os-frr <1.43) drops every session, reload only changed ones (%s)", async (v) => {
    await t.use(v);
    const a = String(at((await add(minimal)).json, "uuid"));
    await add({ ...minimal, address: "10.0.20.12" });
    await reconfigure();
    control(t).setPeerState("10.0.20.11", "Established", ["10.96.0.10/32"]);
    expect(control(t).counters().sessionsDropped).toBe(0);
    // description change only + one new neighbor
    await t.call("POST", `/api/quagga/bgp/setNeighbor/${a}`, { body: { neighbor: { description: "renamed" } } });
    await add({ ...minimal, address: "10.0.20.13" });
    await reconfigure();
    const restart = t.features.osFrrMinor < 43;
    expect(control(t).counters().sessionsDropped).toBe(restart ? 2 : 0);
    const n11 = control(t).running().frr.neighbors.find((n) => n.address === "10.0.20.11");
    expect(n11?.state).toBe(restart ? "Active" : "Established");
    expect(control(t).counters().reconfigures).toBe(2);
  });

  it("reload: removed and changed neighbors lose their session", async () => {
    const a = String(at((await add(minimal)).json, "uuid"));
    const b = String(at((await add({ ...minimal, address: "10.0.20.12" })).json, "uuid"));
    await reconfigure();
    await t.call("POST", `/api/quagga/bgp/delNeighbor/${a}`);
    await t.call("POST", `/api/quagga/bgp/setNeighbor/${b}`, { body: { neighbor: { remoteas: "65000" } } });
    await reconfigure();
    expect(control(t).counters().sessionsDropped).toBe(2);
  });

  it("status and general.enabled", async () => {
    expect(at((await t.call("GET", "/api/quagga/service/status")).json, "status")).toBe("stopped");
    await reconfigure();
    const s = await t.call("GET", "/api/quagga/service/status");
    expect(at(s.json, "status")).toBe("running");
    control(t).setGeneral({ enabled: "0" });
    await reconfigure();
    expect(at((await t.call("GET", "/api/quagga/service/status")).json, "status")).toBe("disabled");
  });

  it("manual_config=1 (26.7): API neighbors have no effect", async () => {
    await t.use("26.7");
    await reconfigure();
    control(t).setGeneral({ manual_config: "1" });
    await add(minimal);
    await reconfigure();
    expect(control(t).running().frr.neighbors).toEqual([]);
  });

  it("reconfigure renders frr.conf; description only from os-frr 1.52", async () => {
    await t.use("25.7.11");
    await add(minimal);
    await reconfigure();
    expect(control(t).running().frr.conf).toContain("neighbor 10.0.20.11 update-source vtnet1");
    expect(control(t).running().frr.conf).not.toContain("description");
    await t.use("26.7");
    await add(minimal);
    await reconfigure();
    expect(control(t).running().frr.conf).toContain("neighbor 10.0.20.11 description opnsense-bgp-agent node=worker-1");
  });

  it("service start/stop/restart", async () => {
    expect(at((await t.call("POST", "/api/quagga/service/start")).json, "response")).toBe("OK");
    expect(control(t).running().frr.running).toBe(true);
    await t.call("POST", "/api/quagga/service/stop");
    expect(at((await t.call("GET", "/api/quagga/service/status")).json, "status")).toBe("stopped");
  });
});

frr.describe("§3.1 diagnostics (shapes of FRR output captured in a lab)", () => {
  it("bgpd down or BGP disabled → {response: []}", async () => {
    expect((await t.call("GET", "/api/quagga/diagnostics/bgpsummary")).json).toEqual({ response: [] });
    await add(minimal);
    control(t).setBgp({ enabled: "0" });
    await reconfigure();
    expect((await t.call("GET", "/api/quagga/diagnostics/bgpneighbors")).json).toEqual({ response: [] });
    expect(rowsOf(await t.call("GET", "/api/quagga/diagnostics/search_bgproute4"))).toEqual([]);
  });

  it("summary, neighbors, running config and routes follow the running peers", async () => {
    await t.use("26.7");
    await add(minimal);
    await add({ ...minimal, address: "10.0.20.12", description: "opnsense-bgp-agent node=worker-2" });
    await reconfigure();
    control(t).setPeerState("10.0.20.11", "Established", ["10.96.0.10/32"]);
    const sum = at((await t.call("GET", "/api/quagga/diagnostics/bgpsummary")).json, "response", "ipv4Unicast");
    expect(at(sum, "as")).toBe(64555);
    expect(at(sum, "peers", "10.0.20.11", "state")).toBe("Established");
    expect(at(sum, "peers", "10.0.20.11", "desc")).toBe("opnsense-bgp-agent node=worker-1");
    expect(at(sum, "peers", "10.0.20.12", "state")).toBe("Active");
    expect(at(sum, "peers", "10.0.20.12", "peerUptime")).toBe("never");
    expect(at(sum, "failedPeers")).toBe(1);
    const nb = at((await t.call("GET", "/api/quagga/diagnostics/bgpneighbors")).json, "response");
    expect(at(nb, "10.0.20.11", "bgpState")).toBe("Established");
    expect(at(nb, "10.0.20.11", "updateSource")).toBe("vtnet1");
    expect(at(nb, "10.0.20.12", "hostLocal")).toBe("Unknown");
    const rc = String(at((await t.call("GET", "/api/quagga/diagnostics/generalrunningconfig")).json, "response"));
    expect(rc.startsWith("Building configuration...\n\nCurrent configuration:\n!\nfrr version")).toBe(true);
    expect(rc).toContain("router bgp 64555");
    expect(rc.endsWith("end\n")).toBe(true);
    const routes = await t.call("GET", "/api/quagga/diagnostics/search_bgproute4");
    expect(rowsOf(routes)[0]).toMatchObject({ network: "10.96.0.10/32", ip: "10.0.20.11", bestpath: true, internal: true, path: "Internal" });
    expect(routes.text).toContain("10.96.0.10\\/32");
    expect(at(routes.json, "subtitle")).toBe("routerId : 10.0.20.1 , localAS : 64555");
  });

  it("FRR learns descriptions only when os-frr renders them (<1.52: no desc)", async () => {
    await t.use("25.7.11");
    await add(minimal);
    await reconfigure();
    const sum = at((await t.call("GET", "/api/quagga/diagnostics/bgpsummary")).json, "response", "ipv4Unicast", "peers", "10.0.20.11");
    expect(keysOf(sum).includes("desc")).toBe(false);
  });
});
