import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { OpnVersion, Simulator } from "./index.ts";
import { VERSIONS } from "./index.ts";
import { at, call, keysOf, rowsOf, start } from "./test-client.ts";
import { waitFor } from "../../helpers/wait.ts";

let sim: Simulator;
beforeAll(async () => {
  sim = await start();
});
afterAll(async () => sim.close());
beforeEach(() => sim.control.setVersion("26.1"));

const addRule = (fields: Record<string, unknown>) => call(sim, "POST", "/api/firewall/filter/addRule", { body: { rule: fields } });
const base = { interface: "lan", protocol: "TCP", destination_port: "443", description: "agent rule" };
const failedKeys = (r: { json: unknown }) => keysOf(at(r.json, "validations")).sort();

describe("§7 probe table / §4.3 rule template per version", () => {
  const exp: Record<OpnVersion, { statetype: boolean; sort_order: boolean; any: boolean; tcpflags_any: boolean; inet46: boolean }> = {
    "24.1": { statetype: false, sort_order: false, any: false, tcpflags_any: false, inet46: false },
    "24.7": { statetype: false, sort_order: false, any: false, tcpflags_any: false, inet46: false },
    "25.1": { statetype: true, sort_order: false, any: false, tcpflags_any: false, inet46: true },
    "25.7": { statetype: true, sort_order: true, any: false, tcpflags_any: false, inet46: true },
    "26.1": { statetype: true, sort_order: true, any: true, tcpflags_any: false, inet46: true },
    "26.7": { statetype: true, sort_order: true, any: true, tcpflags_any: true, inet46: true },
  };
  it.each(VERSIONS)("%s", async (v) => {
    sim.control.setVersion(v);
    const t = at((await call(sim, "GET", "/api/firewall/filter/getRule")).json, "rule");
    const e = exp[v];
    expect(keysOf(t).includes("statetype")).toBe(e.statetype);
    expect(keysOf(t).includes("sort_order")).toBe(e.sort_order);
    expect(keysOf(at(t, "direction")).includes("any")).toBe(e.any);
    expect(keysOf(t).includes("tcpflags_any")).toBe(e.tcpflags_any);
    expect(keysOf(at(t, "ipprotocol")).includes("inet46")).toBe(e.inet46);
    expect(at(t, "sequence")).toBe(e.sort_order ? "100" : "1");
    const sp = await call(sim, "POST", "/api/firewall/filter/savepoint");
    expect(sp.status).toBe(v === "26.7" ? 404 : 200);
  });
});

describe("§4.3 rule validation", () => {
  it("agent body is accepted (26.1 example with direction any + sloppy)", async () => {
    const cat = sim.control.seedCategory({ name: "opnsense-bgp-agent" });
    sim.control.seedAlias({ name: "k8s_lb_ips", type: "network", content: "10.96.0.0/24" });
    const r = await addRule({
      enabled: "1", action: "pass", quick: "1", interface: "lan", direction: "any", ipprotocol: "inet", protocol: "any",
      source_net: "lan", destination_net: "k8s_lb_ips", statetype: "sloppy", categories: cat, description: "opnsense-bgp-agent lb-sloppy",
    });
    expect(at(r.json, "result")).toBe("saved");
  });

  it.each(VERSIONS)("protocol case: lower-case rejected ≤25.7, upper-cased ≥26.1 (%s)", async (v) => {
    sim.control.setVersion(v);
    const r = await addRule({ ...base, protocol: "tcp" });
    if (["26.1", "26.7"].includes(v)) {
      expect(at(r.json, "result")).toBe("saved");
      expect(sim.control.state().rules[String(at(r.json, "uuid"))]?.["protocol"]).toBe("TCP");
    } else {
      // the port cross-check also fires: "tcp" is not in [TCP, UDP, TCP/UDP]
      expect(failedKeys(r)).toEqual(["rule.destination_port", "rule.protocol"]);
      expect(at(r.json, "validations", "rule.protocol")).toBe("Option not in list.");
    }
  });

  it.each(VERSIONS)("direction any only ≥26.1 (%s)", async (v) => {
    sim.control.setVersion(v);
    const r = await addRule({ ...base, direction: "any" });
    expect(at(r.json, "result")).toBe(["26.1", "26.7"].includes(v) ? "saved" : "failed");
  });

  it.each(VERSIONS)("statetype sloppy ≥25.1, silently ignored before (%s)", async (v) => {
    sim.control.setVersion(v);
    const r = await addRule({ ...base, statetype: "sloppy" });
    expect(at(r.json, "result")).toBe("saved");
    expect(sim.control.state().rules[String(at(r.json, "uuid"))]?.["statetype"]).toBe(["24.1", "24.7"].includes(v) ? undefined : "sloppy");
  });

  it.each([
    ["ports need TCP/UDP", { protocol: "ICMP" }, ["rule.destination_port"], "Destination ports are only valid for tcp or udp type rules."],
    ["source port too", { protocol: "any", destination_port: "", source_port: "53" }, ["rule.source_port"], "Source ports are only valid for tcp or udp type rules."],
    ["port out of range", { destination_port: "65536" }, ["rule.destination_port"], undefined],
    ["reversed range", { destination_port: "200-100" }, ["rule.destination_port"], undefined],
    ["bgp is not a port name", { destination_port: "bgp" }, ["rule.destination_port"], undefined],
    ["family mismatch", { destination_net: "2001:db8::1" }, ["rule.destination_net"], "Destination address type should match selected TCP/IP protocol version."],
    ["inet46 rejects literals", { ipprotocol: "inet46", source_net: "10.0.0.1" }, ["rule.source_net"], "Source address type should match selected TCP/IP protocol version."],
    ["unknown alias", { destination_net: "nosuch" }, ["rule.destination_net"], "nosuch is not a valid source IP address or alias."],
    ["two literals", { destination_net: "10.0.0.1,10.0.0.2" }, ["rule.destination_net"], undefined],
    ["any combined", { source_net: "any,lan" }, ["rule.source_net"], "Any can not be combined with other aliases"],
    ["invert multi", { source_net: "lan,wan", source_not: "1" }, ["rule.source_not"], undefined],
    ["interface", { interface: "opt9" }, ["rule.interface"], "Option not in list."],
    ["action", { action: "allow" }, ["rule.action"], "Option not in list."],
    ["category must be a uuid", { categories: "opnsense-bgp-agent" }, ["rule.categories"], undefined],
    ["description > 255 bytes", { description: "é".repeat(128) }, ["rule.description"], undefined],
    ["description multi-line", { description: "a\nb" }, ["rule.description"], undefined],
    ["statetype option", { statetype: "loose" }, ["rule.statetype"], "Option not in list."],
    ["boolean", { quick: "yes" }, ["rule.quick"], "Value should be a boolean (0,1)."],
  ])("%s", async (_n, patch, keys, msg) => {
    const r = await addRule({ ...base, ...patch });
    expect(at(r.json, "result")).toBe("failed");
    expect(failedKeys(r)).toEqual(keys);
    if (msg) expect(at(r.json, "validations", keys[0] as string)).toBe(msg);
  });

  it.each([
    ["port range", { destination_port: "8000-8080" }],
    ["well-known name", { destination_port: "HTTPS" }],
    ["(self)", { destination_net: "(self)" }],
    ["interface address", { destination_net: "lanip" }],
    ["CIDR", { source_net: "10.0.20.0/24" }],
    ["multi option items", { source_net: "lan,opt1" }],
    ["builtin alias", { source_net: "bogons" }],
    ["floating (no interface)", { interface: "" }],
    ["several interfaces", { interface: "lan,wan" }],
  ])("accepts %s", async (_n, patch) => {
    expect(at((await addRule({ ...base, ...patch })).json, "result")).toBe("saved");
  });

  it("multi-value source only since 25.1", async () => {
    sim.control.setVersion("24.7");
    expect(failedKeys(await addRule({ ...base, source_net: "lan,opt1" }))).toEqual(["rule.source_net"]);
  });

  it("port alias accepted", async () => {
    sim.control.seedAlias({ name: "web_ports", type: "port", content: "80\n443" });
    expect(at((await addRule({ ...base, destination_port: "web_ports" })).json, "result")).toBe("saved");
  });

  it("sequence: 25.7+ new items get max+100", async () => {
    await addRule(base);
    const r = await addRule(base);
    expect(sim.control.state().rules[String(at(r.json, "uuid"))]?.["sequence"]).toBe("200");
    expect(at((await call(sim, "GET", "/api/firewall/filter/getRule")).json, "rule", "sequence")).toBe("300");
  });
});

describe("§4.2 searchRule", () => {
  it.each(VERSIONS)("row fields per version (%s)", async (v) => {
    sim.control.setVersion(v);
    await addRule(base);
    const row = rowsOf(await call(sim, "GET", "/api/firewall/filter/searchRule"))[0] ?? {};
    if (v === "24.1" || v === "24.7") expect(keysOf(row).sort()).toEqual(["description", "enabled", "sequence", "uuid"]);
    else if (v === "25.1") {
      expect(keysOf(row).sort()).toEqual(["action", "description", "enabled", "sequence", "uuid"]);
      expect(row["action"]).toBe("Pass");
    } else {
      expect(row["action"]).toBe("pass");
      expect(row["%action"]).toBe("Pass");
      expect(row["interface"]).toBe("lan");
      expect(row["sort_order"]).toBe("400000.0000100");
    }
  });

  it.each(VERSIONS)("legacy/automatic rows only on 25.7+ (%s)", async (v) => {
    sim.control.setVersion(v);
    sim.control.seedLegacyRule({ description: "anti-lockout", is_automatic: true });
    await addRule(base);
    const rows = rowsOf(await call(sim, "GET", "/api/firewall/filter/searchRule"));
    const legacy = rows.filter((r) => r["legacy"] === true);
    expect(legacy).toHaveLength(["25.7", "26.1", "26.7"].includes(v) ? 1 : 0);
    if (legacy.length) {
      expect(String(legacy[0]?.["uuid"])).toMatch(/^[0-9a-f]{40}$/);
      expect(legacy[0]?.["is_automatic"]).toBe(true);
      // MVC rules precede legacy rules of the same bucket
      expect(rows[0]?.["legacy"]).toBeUndefined();
    }
  });

  it.each(VERSIONS)("category[] filter (%s)", async (v) => {
    sim.control.setVersion(v);
    const cat = sim.control.seedCategory({ name: "agent" });
    await addRule({ ...base, categories: cat, description: "mine" });
    await addRule({ ...base, description: "theirs" });
    sim.control.seedLegacyRule({ description: "legacy" });
    const r = await call(sim, "GET", `/api/firewall/filter/searchRule?category[]=${cat}`);
    expect(rowsOf(r).map((x) => x["description"])).toEqual(["mine"]);
  });

  it("25.7+: paging and phrase from POST only", async () => {
    await addRule({ ...base, description: "one" });
    await addRule({ ...base, description: "two" });
    expect(rowsOf(await call(sim, "GET", "/api/firewall/filter/searchRule?searchPhrase=two&rowCount=1"))).toHaveLength(2);
    expect(rowsOf(await call(sim, "POST", "/api/firewall/filter/searchRule", { body: { searchPhrase: "two" } })).map((x) => x["description"])).toEqual(["two"]);
  });
});

describe("§4.2/§2.1 rule CRUD", () => {
  it("get/set/toggle/del", async () => {
    const uuid = String(at((await addRule(base)).json, "uuid"));
    expect(at((await call(sim, "GET", `/api/firewall/filter/getRule/${uuid}`)).json, "rule", "protocol", "TCP", "selected")).toBe(1);
    expect((await call(sim, "GET", "/api/firewall/filter/getRule/6f1c2b4e-8d3a-4f5b-9c7d-0e1f2a3b4c5d")).json).toEqual([]);
    expect((await call(sim, "POST", `/api/firewall/filter/setRule/${uuid}`, { body: { rule: { description: "x" } } })).json).toEqual({ result: "saved" });
    expect((await call(sim, "POST", `/api/firewall/filter/toggleRule/${uuid}/0`)).json).toEqual({ result: "Disabled", changed: true });
    expect((await call(sim, "POST", `/api/firewall/filter/toggleRule/${uuid}/0`)).json).toEqual({ result: "Disabled", changed: false });
    expect((await call(sim, "POST", `/api/firewall/filter/delRule/${uuid}`)).json).toEqual({ result: "deleted" });
  });

  it("model get returns every field; model set saves", async () => {
    const uuid = String(at((await addRule(base)).json, "uuid"));
    const g = await call(sim, "GET", "/api/firewall/filter/get");
    const rule = at(g.json, "filter", "rules", "rule", uuid);
    for (const f of ["overload", "prio", "sched", "tos", "tcpflags1", "tcpflags2", "icmptype", "statetimeout", "max", "adaptivestart"]) {
      expect(keysOf(rule)).toContain(f);
    }
    const s = await call(sim, "POST", "/api/firewall/filter/set", { body: { filter: { rules: { rule: { [uuid]: { description: "via set" } } } } } });
    expect(s.json).toEqual({ result: "saved" });
    expect(sim.control.state().rules[uuid]?.["description"]).toBe("via set");
  });

  it("listCategories counts MVC rules", async () => {
    const cat = sim.control.seedCategory({ name: "agent", color: "ff0000" });
    await addRule({ ...base, categories: cat });
    const r = await call(sim, "GET", "/api/firewall/filter/listCategories");
    expect(r.json).toEqual({ rows: [{ uuid: cat, name: "agent", color: "ff0000", used: 1 }] });
  });
});

describe("§4.6/§4.7 apply, savepoints", () => {
  it("apply loads enabled rules into pf; status OK", async () => {
    const a = String(at((await addRule(base)).json, "uuid"));
    await addRule({ ...base, enabled: "0" });
    expect(sim.control.running().pf.rules).toEqual([]);
    const r = await call(sim, "POST", "/api/firewall/filter/apply");
    expect(r.json).toEqual({ status: "OK\n\n" });
    expect(sim.control.running().pf.rules.map((x) => x.uuid)).toEqual([a]);
    expect(sim.control.counters().filterApplies).toBe(1);
  });

  it.each(VERSIONS)("apply refreshes alias tables ≤26.1, skips them on 26.7 (%s)", async (v) => {
    sim.control.setVersion(v);
    sim.control.seedAlias({ name: "lb", type: "host", content: "10.96.0.10" });
    await call(sim, "POST", "/api/firewall/filter/apply");
    expect(sim.control.running().pf.tables["lb"]).toEqual(v === "26.7" ? undefined : ["10.96.0.10"]);
  });

  it("24.1–25.1: savepoint → apply/rev → timer restores rules unless cancelled", async () => {
    sim.control.setVersion("25.1");
    sim.control.setRollbackDelayMs(60);
    const sp = await call(sim, "POST", "/api/firewall/filter/savepoint");
    expect(at(sp.json, "status")).toBe("ok");
    expect(at(sp.json, "retention")).toBe("100");
    const rev = String(at(sp.json, "revision"));
    await addRule(base);
    await call(sim, "POST", `/api/firewall/filter/apply/${rev}`);
    expect(sim.control.running().pf.pendingRollback).toBe(rev);
    expect(sim.control.running().pf.rules).toHaveLength(1);
    await waitFor(() => sim.control.counters().rollbacks === 1, "the rollback timer fired");
    expect(keysOf(sim.control.state().rules)).toEqual([]);
    expect(sim.control.running().pf.rules).toEqual([]);
    expect(sim.control.counters().rollbacks).toBe(1);
  });

  it("cancelRollback cancels; a second cancel is an Execute error", async () => {
    sim.control.setVersion("24.1");
    sim.control.setRollbackDelayMs(60);
    const rev = String(at((await call(sim, "POST", "/api/firewall/filter/savepoint")).json, "revision"));
    await addRule(base);
    await call(sim, "POST", `/api/firewall/filter/apply/${rev}`);
    expect((await call(sim, "POST", `/api/firewall/filter/cancelRollback/${rev}`)).json).toEqual({ status: "\n\n" });
    expect((await call(sim, "POST", `/api/firewall/filter/cancelRollback/${rev}`)).json).toEqual({ status: "Execute error\n\n" });
    // Nothing is armed any more, so nothing can roll back later.
    expect(sim.control.running().pf.pendingRollback).toBeNull();
    expect(keysOf(sim.control.state().rules)).toHaveLength(1);
  });

  it("revert restores immediately on ≤25.1", async () => {
    sim.control.setVersion("24.7");
    const rev = String(at((await call(sim, "POST", "/api/firewall/filter/savepoint")).json, "revision"));
    await addRule(base);
    expect((await call(sim, "POST", `/api/firewall/filter/revert/${rev}`)).json).toEqual({ status: "ok" });
    expect(keysOf(sim.control.state().rules)).toEqual([]);
  });

  it.each(["25.7", "26.1"] as const)("%s: rounded revision never matches: no rollback, revert unknown", async (v) => {
    sim.control.setVersion(v);
    sim.control.setRollbackDelayMs(50);
    const rev = String(at((await call(sim, "POST", "/api/firewall/filter/savepoint")).json, "revision"));
    expect(rev).toMatch(/^\d+\.\d{2}$/);
    await addRule(base);
    await call(sim, "POST", `/api/firewall/filter/apply/${rev}`);
    // The timer runs, but the rounded revision matches no savepoint: nothing is restored.
    await waitFor(() => sim.control.running().pf.pendingRollback === null, "the rollback timer ran");
    expect(sim.control.counters().rollbacks).toBe(0);
    expect(keysOf(sim.control.state().rules)).toHaveLength(1);
    expect((await call(sim, "POST", `/api/firewall/filter/revert/${rev}`)).json).toEqual({ status: "unknown (or removed) savepoint" });
  });

  it("26.7: savepoint family 404, apply/<rev> arms nothing", async () => {
    sim.control.setVersion("26.7");
    for (const p of ["savepoint", "revert/1.0", "cancelRollback/1.0"]) {
      expect((await call(sim, "POST", `/api/firewall/filter/${p}`)).status).toBe(404);
    }
    expect((await call(sim, "POST", "/api/firewall/filter/apply/1786899650.62")).json).toEqual({ status: "OK\n\n" });
    expect(sim.control.running().pf.pendingRollback).toBeNull();
  });

  it("a rule whose alias vanished is silently left out of pf", async () => {
    sim.control.seedRule({ ...base, destination_net: "gone_alias" });
    await call(sim, "POST", "/api/firewall/filter/apply");
    expect(sim.control.running().pf.rules).toEqual([]);
  });
});
