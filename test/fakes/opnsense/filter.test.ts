import { describe, expect, it } from "vitest";
import { featuresOf } from "./index.ts";
import { control, eachRow, flatten, optionMessage, rowsWhere, simulatorOnly, useTarget } from "./target.ts";
import { at, keysOf, message, rowsOf } from "./test-client.ts";
import { waitFor } from "../../helpers/wait.ts";

const t = await useTarget();
const pf = simulatorOnly(t, "pf and configd effects are stubbed on the real target");

const addRule = (fields: Record<string, unknown>) => t.call("POST", "/api/firewall/filter/addRule", { body: { rule: fields } });
const savedRule = async (uuid: string) => flatten(at((await t.call("GET", `/api/firewall/filter/getRule/${uuid}`)).json, "rule"));
const addAlias = async (fields: Record<string, unknown>): Promise<string> => {
  const r = await t.call("POST", "/api/firewall/alias/addItem", { body: { alias: fields } });
  expect(at(r.json, "result")).toBe("saved");
  return String(at(r.json, "uuid"));
};
const addCategory = async (fields: Record<string, unknown>): Promise<string> => {
  const r = await t.call("POST", "/api/firewall/category/addItem", { body: { category: fields } });
  expect(at(r.json, "result")).toBe("saved");
  return String(at(r.json, "uuid"));
};
const base = { interface: "lan", protocol: "TCP", destination_port: "443", description: "agent rule" };
const failedKeys = (r: { json: unknown }) => keysOf(at(r.json, "validations")).sort();

describe("§7 probe table / §4.3 rule template per version", () => {
  eachRow(t.rows)("%s", async (v) => {
    await t.use(v);
    const f = featuresOf(v);
    const tpl = at((await t.call("GET", "/api/firewall/filter/getRule")).json, "rule");
    expect(keysOf(tpl).includes("statetype")).toBe(f.statetype);
    expect(keysOf(tpl).includes("sort_order")).toBe(f.sortOrder);
    expect(keysOf(at(tpl, "direction")).includes("any")).toBe(f.directionAny);
    expect(keysOf(tpl).includes("tcpflags_any")).toBe(f.tcpflagsAny);
    expect(keysOf(at(tpl, "ipprotocol")).includes("inet46")).toBe(f.statetype);
    expect(keysOf(tpl).includes("icmptype")).toBe(f.icmptype);
    expect(keysOf(tpl).includes("icmp6type")).toBe(f.icmp6type);
    // FilterSequenceField: max(1, every sequence) + 100
    expect(at(tpl, "sequence")).toBe(f.sortOrder ? "101" : "1");
    const sp = await t.call("POST", "/api/firewall/filter/savepoint");
    expect(sp.status).toBe(f.savepoint === "removed" ? 404 : 200);
  });
});

describe("§4.3 rule validation", () => {
  eachRow(rowsWhere(t, (f) => f.directionAny))("agent body is accepted (direction any + sloppy) (%s)", async (v) => {
    await t.use(v);
    const cat = await addCategory({ name: "opnsense-bgp-agent" });
    await addAlias({ name: "k8s_lb_ips", type: "network", content: "10.96.0.0/24" });
    const r = await addRule({
      enabled: "1", action: "pass", quick: "1", interface: "lan", direction: "any", ipprotocol: "inet", protocol: "any",
      source_net: "lan", destination_net: "k8s_lb_ips", statetype: "sloppy", categories: cat, description: "opnsense-bgp-agent lb-sloppy",
    });
    expect(at(r.json, "result")).toBe("saved");
  });

  eachRow(t.rows)("protocol case: lower-case rejected before 26.1, upper-cased from 26.1 (%s)", async (v) => {
    await t.use(v);
    const r = await addRule({ ...base, protocol: "tcp" });
    if (t.features.directionAny) {
      expect(at(r.json, "result")).toBe("saved");
      expect((await savedRule(String(at(r.json, "uuid"))))["protocol"]).toBe("TCP");
    } else {
      // the port cross-check also fires: "tcp" is not in [TCP, UDP, TCP/UDP]
      expect(failedKeys(r)).toEqual(["rule.destination_port", "rule.protocol"]);
      expect(message(r, "rule.protocol")).toBe("Option not in list.");
    }
  });

  eachRow(t.rows)("direction any only from 26.1 (%s)", async (v) => {
    await t.use(v);
    const r = await addRule({ ...base, direction: "any" });
    expect(at(r.json, "result")).toBe(t.features.directionAny ? "saved" : "failed");
  });

  eachRow(t.rows)("statetype sloppy from 25.1, silently ignored before (%s)", async (v) => {
    await t.use(v);
    const r = await addRule({ ...base, statetype: "sloppy" });
    expect(at(r.json, "result")).toBe("saved");
    expect((await savedRule(String(at(r.json, "uuid"))))["statetype"]).toBe(t.features.statetype ? "sloppy" : undefined);
  });

  it.each([
    ["ports need TCP/UDP", { protocol: "ICMP" }, ["rule.destination_port"], "Destination ports are only valid for tcp or udp type rules."],
    ["source port too", { protocol: "any", destination_port: "", source_port: "53" }, ["rule.source_port"], "Source ports are only valid for tcp or udp type rules."],
    ["port out of range", { destination_port: "65536" }, ["rule.destination_port"], undefined],
    ["reversed range", { destination_port: "200-100" }, ["rule.destination_port"], undefined],
    ["bgp is not a port name", { destination_port: "bgp" }, ["rule.destination_port"], undefined],
    ["family mismatch", { destination_net: "2001:db8::1" }, ["rule.destination_net"], "Destination address type should match selected TCP/IP protocol version."],
    ["unknown alias", { destination_net: "nosuch" }, ["rule.destination_net"], "nosuch is not a valid source IP address or alias."],
    ["two literals", { destination_net: "10.0.0.1,10.0.0.2" }, ["rule.destination_net"], undefined],
    ["interface", { interface: "opt9" }, ["rule.interface"], optionMessage(t, "opt9")],
    ["action", { action: "allow" }, ["rule.action"], optionMessage(t)],
    ["category must be a uuid", { categories: "opnsense-bgp-agent" }, ["rule.categories"], undefined],
    ["description > 255 bytes", { description: "é".repeat(128) }, ["rule.description"], undefined],
    ["description multi-line", { description: "a\nb" }, ["rule.description"], undefined],
    ["boolean", { quick: "yes" }, ["rule.quick"], "Value should be a boolean (0,1)."],
    // 25.1: inet46, multi-value source/destination, statetype
    ...(t.features.statetype
      ? ([
          ["inet46 rejects literals", { ipprotocol: "inet46", source_net: "10.0.0.1" }, ["rule.source_net"], "Source address type should match selected TCP/IP protocol version."],
          ["any combined", { source_net: "any,lan" }, ["rule.source_net"], "Any can not be combined with other aliases"],
          ["invert multi", { source_net: "lan,wan", source_not: "1" }, ["rule.source_not"], undefined],
          ["statetype option", { statetype: "loose" }, ["rule.statetype"], optionMessage(t)],
        ] as const)
      : []),
  ] as Array<readonly [string, Record<string, string>, readonly string[], string | undefined]>)("%s", async (_n, patch, keys, msg) => {
    const r = await addRule({ ...base, ...patch });
    expect(at(r.json, "result")).toBe("failed");
    expect(failedKeys(r)).toEqual(keys);
    if (msg) expect(message(r, keys[0] as string)).toBe(msg);
  });

  it.each([
    ["port range", { destination_port: "8000-8080" }],
    ["well-known name", { destination_port: "HTTPS" }],
    ["(self)", { destination_net: "(self)" }],
    ["interface address", { destination_net: "lanip" }],
    ["CIDR", { source_net: "10.0.20.0/24" }],
    ...(t.features.statetype ? [["multi option items", { source_net: "lan,opt1" }] as const] : []),
    ["builtin alias", { source_net: "bogons" }],
    ["floating (no interface)", { interface: "" }],
    ["several interfaces", { interface: "lan,wan" }],
  ] as Array<readonly [string, Record<string, string>]>)("accepts %s", async (_n, patch) => {
    expect(at((await addRule({ ...base, ...patch })).json, "result")).toBe("saved");
  });

  eachRow(rowsWhere(t, (f) => !f.statetype))("multi-value source only since 25.1 (%s)", async (v) => {
    await t.use(v);
    expect(failedKeys(await addRule({ ...base, source_net: "lan,opt1" }))).toEqual(["rule.source_net"]);
  });

  it("port alias accepted", async () => {
    await addAlias({ name: "web_ports", type: "port", content: "80\n443" });
    expect(at((await addRule({ ...base, destination_port: "web_ports" })).json, "result")).toBe("saved");
  });

  eachRow(rowsWhere(t, (f) => f.sortOrder))("sequence: from 25.1.5 new items get max+100 (%s)", async (v) => {
    await t.use(v);
    await addRule(base);
    const r = await addRule(base);
    expect((await savedRule(String(at(r.json, "uuid"))))["sequence"]).toBe("201");
    expect(at((await t.call("GET", "/api/firewall/filter/getRule")).json, "rule", "sequence")).toBe("301");
  });
});

describe("§4.2 searchRule", () => {
  const search = (query = "", body?: Record<string, unknown>) =>
    body ? t.call("POST", `/api/firewall/filter/searchRule${query}`, { body }) : t.call("GET", `/api/firewall/filter/searchRule${query}`);
  /**
   * The rows of rules this test made: from 26.1.1 legacy and automatic rules are always listed
   * (`legacy: true`), and a real box may hold MVC rules of its own (26.1.11's default LAN rule).
   */
  const ours = new Set(["agent rule", "on lan", "floating", "two interfaces", "on wan", "mine", "theirs", "one", "two"]);
  const mvcRows = async (query = "", body?: Record<string, unknown>) =>
    rowsOf(await search(query, body)).filter((r) => r["legacy"] !== true && ours.has(String(r["description"])));

  eachRow(t.rows)("row fields per version (%s)", async (v) => {
    await t.use(v);
    await addRule(base);
    const row = (await mvcRows("?interface=lan"))[0] ?? {};
    const mode = t.features.searchRule;
    if (mode === "basic") expect(keysOf(row).sort()).toEqual(["description", "enabled", "sequence", "uuid"]);
    else if (mode === "action") {
      expect(keysOf(row).sort()).toEqual(["action", "description", "enabled", "sequence", "uuid"]);
      expect(row["action"]).toBe("Pass");
    } else {
      // 25.1.5+: every field and sort_order; labels until 25.7, raw values + %field after
      expect(row["action"]).toBe(t.features.rawGrid ? "pass" : "Pass");
      expect(row["%action"]).toBe(t.features.rawGrid ? "Pass" : undefined);
      expect(row["interface"]).toBe(t.features.rawGrid ? "lan" : "LAN");
      expect(row["sort_order"]).toBe("400000.0000101");
    }
  });

  eachRow(t.rows)("which rules are listed without and with an interface parameter (%s)", async (v) => {
    await t.use(v);
    await addRule({ ...base, description: "on lan" });
    await addRule({ ...base, interface: "", description: "floating" });
    await addRule({ ...base, interface: "lan,wan", description: "two interfaces" });
    await addRule({ ...base, interface: "wan", description: "on wan" });
    const names = async (query: string) =>
      (await mvcRows(query))
        .map((r) => String(r["description"]))
        .sort();
    const all = ["floating", "on lan", "on wan", "two interfaces"];
    switch (t.features.searchRule) {
      case "basic":
      case "action":
        expect(await names("")).toEqual(all);
        expect(await names("?interface=lan")).toEqual(all);
        break;
      case "floating":
        // 25.1.5–26.1.0: no interface = the floating view (§11)
        expect(await names("")).toEqual(["floating", "two interfaces"]);
        expect(await names("?interface=lan")).toEqual(t.features.searchRuleFloatingWithInterface ? ["floating", "on lan", "two interfaces"] : ["on lan"]);
        break;
      case "all":
        expect(await names("")).toEqual(all);
        expect(await names("?interface=lan")).toEqual(["floating", "on lan", "two interfaces"]);
        expect(await names("?interface=")).toEqual(["floating", "two interfaces"]);
        break;
    }
  });

  simulatorOnly(t, "legacy and automatic rules come from configd (stubbed), seeded through the control API").describe("legacy rows", () => {
    eachRow(t.rows)("legacy/automatic rows: with show_all from 25.1.5, always from 26.1.1 (%s)", async (v) => {
      await t.use(v);
      control(t).seedLegacyRule({ description: "anti-lockout", is_automatic: true });
      await addRule(base);
      for (const showAll of [false, true]) {
        const rows = rowsOf(await search(`?interface=lan${showAll ? "&show_all=1" : ""}`));
        const legacy = rows.filter((r) => r["legacy"] === true);
        const f = t.features;
        const expected = f.searchRule === "all" || (f.searchRule === "floating" && showAll) ? 1 : 0;
        expect(legacy).toHaveLength(expected);
        if (legacy.length) {
          expect(String(legacy[0]?.["uuid"])).toMatch(/^[0-9a-f]{40}$/);
          expect(legacy[0]?.["is_automatic"]).toBe(true);
          // MVC rules precede legacy rules of the same bucket
          expect(rows[0]?.["legacy"]).toBeUndefined();
        }
      }
    });

    it("category[] filter leaves out legacy rules of other categories", async () => {
      const cat = await addCategory({ name: "agent" });
      await addRule({ ...base, categories: cat, description: "mine" });
      control(t).seedLegacyRule({ description: "legacy" });
      const r = await search(`?category[]=${cat}&interface=lan&show_all=1`);
      expect(rowsOf(r).map((x) => x["description"])).toEqual(["mine"]);
    });
  });

  eachRow(t.rows)("category[] filter (%s)", async (v) => {
    await t.use(v);
    const cat = await addCategory({ name: "agent" });
    await addRule({ ...base, categories: cat, description: "mine" });
    await addRule({ ...base, description: "theirs" });
    expect((await mvcRows(`?category[]=${cat}&interface=lan`)).map((x) => x["description"])).toEqual(["mine"]);
  });

  eachRow(rowsWhere(t, (f) => f.searchRule === "floating" || f.searchRule === "all"))("from 25.1.5: paging and phrase from POST only (%s)", async (v) => {
    await t.use(v);
    await addRule({ ...base, description: "one" });
    await addRule({ ...base, description: "two" });
    // 25.1.x filters through searchBase first, which takes the phrase from the query as well
    expect(await mvcRows("?searchPhrase=two&rowCount=1&interface=lan")).toHaveLength(t.features.searchRulePhraseFromQuery ? 1 : 2);
    expect((await mvcRows("", { searchPhrase: "two", interface: "lan" })).map((x) => x["description"])).toEqual(["two"]);
  });
});

describe("§4.2/§2.1 rule CRUD", () => {
  it("get/set/toggle/del", async () => {
    const uuid = String(at((await addRule(base)).json, "uuid"));
    expect(at((await t.call("GET", `/api/firewall/filter/getRule/${uuid}`)).json, "rule", "protocol", "TCP", "selected")).toBe(1);
    expect((await t.call("GET", "/api/firewall/filter/getRule/6f1c2b4e-8d3a-4f5b-9c7d-0e1f2a3b4c5d")).json).toEqual([]);
    expect((await t.call("POST", `/api/firewall/filter/setRule/${uuid}`, { body: { rule: { description: "x" } } })).json).toEqual({ result: "saved" });
    expect((await t.call("POST", `/api/firewall/filter/toggleRule/${uuid}/0`)).json).toEqual({ result: "Disabled", changed: true });
    expect((await t.call("POST", `/api/firewall/filter/toggleRule/${uuid}/0`)).json).toEqual({ result: "Disabled", changed: false });
    expect((await t.call("POST", `/api/firewall/filter/delRule/${uuid}`)).json).toEqual({ result: "deleted" });
  });

  it("model get returns every field; model set saves", async () => {
    const uuid = String(at((await addRule(base)).json, "uuid"));
    const g = await t.call("GET", "/api/firewall/filter/get");
    const rule = at(g.json, "filter", "rules", "rule", uuid);
    const fields = ["sequence", "action", "quick", "interface", "direction", "ipprotocol", "protocol", "source_net", "destination_port", "gateway", "log", "categories", "description"];
    const since251 = ["overload", "prio", "sched", "tos", "tcpflags1", "tcpflags2", "statetimeout", "max", "adaptivestart"];
    for (const f of [...fields, ...(t.features.statetype ? since251 : []), ...(t.features.icmptype ? ["icmptype"] : [])]) expect(keysOf(rule)).toContain(f);
    const s = await t.call("POST", "/api/firewall/filter/set", { body: { filter: { rules: { rule: { [uuid]: { description: "via set" } } } } } });
    expect(s.json).toEqual({ result: "saved" });
    expect((await savedRule(uuid))["description"]).toBe("via set");
  });

  it("listCategories counts MVC rules", async () => {
    const cat = await addCategory({ name: "agent", color: "ff0000" });
    await addRule({ ...base, categories: cat });
    const r = await t.call("GET", "/api/firewall/filter/listCategories");
    expect(r.json).toEqual({ rows: [{ uuid: cat, name: "agent", color: "ff0000", used: 1 }] });
  });
});

describe("§4.6/§4.7 apply, savepoints", () => {
  pf.it("apply loads enabled rules into pf; status OK", async () => {
    const a = String(at((await addRule(base)).json, "uuid"));
    await addRule({ ...base, enabled: "0" });
    expect(control(t).running().pf.rules).toEqual([]);
    const r = await t.call("POST", "/api/firewall/filter/apply");
    expect(r.json).toEqual({ status: "OK\n\n" });
    expect(control(t).running().pf.rules.map((x) => x.uuid)).toEqual([a]);
    expect(control(t).counters().filterApplies).toBe(1);
  });

  pf.describe("alias tables", () => {
    eachRow(t.rows)("apply refreshes alias tables before 26.7, skips them on 26.7 (%s)", async (v) => {
      await t.use(v);
      control(t).seedAlias({ name: "lb", type: "host", content: "10.96.0.10" });
      await t.call("POST", "/api/firewall/filter/apply");
      expect(control(t).running().pf.tables["lb"]).toEqual(t.features.applySkipsAliases ? undefined : ["10.96.0.10"]);
    });
  });

  pf.it("24.1–25.1: savepoint → apply/rev → timer restores rules unless cancelled", async () => {
    await t.use("25.1.12");
    control(t).setRollbackDelayMs(60);
    const sp = await t.call("POST", "/api/firewall/filter/savepoint");
    expect(at(sp.json, "status")).toBe("ok");
    expect(at(sp.json, "retention")).toBe("100");
    const rev = String(at(sp.json, "revision"));
    await addRule(base);
    await t.call("POST", `/api/firewall/filter/apply/${rev}`);
    expect(control(t).running().pf.pendingRollback).toBe(rev);
    expect(control(t).running().pf.rules).toHaveLength(1);
    await waitFor(() => control(t).counters().rollbacks === 1, "the rollback timer fired");
    expect(keysOf(control(t).state().rules)).toEqual([]);
    expect(control(t).running().pf.rules).toEqual([]);
    expect(control(t).counters().rollbacks).toBe(1);
  });

  pf.it("cancelRollback cancels; a second cancel is an Execute error", async () => {
    await t.use("24.1");
    control(t).setRollbackDelayMs(60);
    const rev = String(at((await t.call("POST", "/api/firewall/filter/savepoint")).json, "revision"));
    await addRule(base);
    await t.call("POST", `/api/firewall/filter/apply/${rev}`);
    expect((await t.call("POST", `/api/firewall/filter/cancelRollback/${rev}`)).json).toEqual({ status: "\n\n" });
    expect((await t.call("POST", `/api/firewall/filter/cancelRollback/${rev}`)).json).toEqual({ status: "Execute error\n\n" });
    // Nothing is armed any more, so nothing can roll back later.
    expect(control(t).running().pf.pendingRollback).toBeNull();
    expect(keysOf(control(t).state().rules)).toHaveLength(1);
  });

  pf.it("revert restores immediately on ≤25.1", async () => {
    await t.use("24.7.12");
    const rev = String(at((await t.call("POST", "/api/firewall/filter/savepoint")).json, "revision"));
    await addRule(base);
    expect((await t.call("POST", `/api/firewall/filter/revert/${rev}`)).json).toEqual({ status: "ok" });
    expect(keysOf(control(t).state().rules)).toEqual([]);
  });

  pf.describe("rounded savepoint revision", () => {
    it.each(rowsWhere(t, (f) => f.savepoint === "rounded"))("%s: rounded revision never matches: no rollback, revert unknown", async (v) => {
      await t.use(v);
      control(t).setRollbackDelayMs(50);
      const rev = String(at((await t.call("POST", "/api/firewall/filter/savepoint")).json, "revision"));
      expect(rev).toMatch(/^\d+\.\d{2}$/);
      await addRule(base);
      await t.call("POST", `/api/firewall/filter/apply/${rev}`);
      // The timer runs, but the rounded revision matches no savepoint: nothing is restored.
      await waitFor(() => control(t).running().pf.pendingRollback === null, "the rollback timer ran");
      expect(control(t).counters().rollbacks).toBe(0);
      expect(keysOf(control(t).state().rules)).toHaveLength(1);
      expect((await t.call("POST", `/api/firewall/filter/revert/${rev}`)).json).toEqual({ status: "unknown (or removed) savepoint" });
    });
  });

  eachRow(rowsWhere(t, (f) => f.savepoint === "removed"))("26.7: savepoint family 404 (%s)", async (v) => {
    await t.use(v);
    for (const p of ["savepoint", "revert/1.0", "cancelRollback/1.0"]) {
      expect((await t.call("POST", `/api/firewall/filter/${p}`)).status).toBe(404);
    }
  });

  pf.it("26.7: apply/<rev> arms nothing", async () => {
    await t.use("26.7");
    expect((await t.call("POST", "/api/firewall/filter/apply/1786899650.62")).json).toEqual({ status: "OK\n\n" });
    expect(control(t).running().pf.pendingRollback).toBeNull();
  });

  pf.it("a rule whose alias vanished is silently left out of pf", async () => {
    control(t).seedRule({ ...base, destination_net: "gone_alias" });
    await t.call("POST", "/api/firewall/filter/apply");
    expect(control(t).running().pf.rules).toEqual([]);
  });
});
