import { describe, expect, it } from "vitest";
import { control, eachRow, flatten, simulatorOnly, useTarget } from "./target.ts";
import { at, keysOf, message, rowsOf } from "./test-client.ts";

const t = await useTarget();
const pf = simulatorOnly(t, "pf tables and configd are stubbed on the real target");

const addAlias = (fields: Record<string, unknown>) => t.call("POST", "/api/firewall/alias/addItem", { body: { alias: fields } });
const uuidOf = (r: { json: unknown }): string => {
  expect(at(r.json, "result")).toBe("saved");
  return String(at(r.json, "uuid"));
};
const seedAlias = async (fields: Record<string, unknown>): Promise<string> => uuidOf(await addAlias(fields));
const seedCategory = async (fields: Record<string, unknown>): Promise<string> =>
  uuidOf(await t.call("POST", "/api/firewall/category/addItem", { body: { category: fields } }));
const seedRule = async (fields: Record<string, unknown>): Promise<string> =>
  uuidOf(await t.call("POST", "/api/firewall/filter/addRule", { body: { rule: fields } }));
const savedAlias = async (uuid: string) => flatten(at((await t.call("GET", `/api/firewall/alias/getItem/${uuid}`)).json, "alias"), { content: "\n" });
const host = { name: "k8s_nodes", type: "host", content: "10.0.20.11\n10.0.20.12" };

describe("§5.5 alias names", () => {
  const REGEX = "The name must start with a letter or single underscore, be less than 32 characters and only consist of alphanumeric characters or underscores.";
  it.each([
    ["hyphen", "k8s-lb", REGEX],
    ["dot", "k8s.lb", REGEX],
    ["32 chars", "a".repeat(32), REGEX],
    ["leading __", "__mine", REGEX],
    // the real message leaves its %s unformatted
    ["pf keyword", "table", 'The name cannot be the internally reserved keyword "%s".'],
    ["service name", "bgp", "Reserved protocol or service names may not be used"],
    ["protocol name", "tcp", "Reserved protocol or service names may not be used"],
    ["built-in", "bogons", "An alias with this name already exists."],
    ["interface alias", "__lan_network", undefined],
    ["empty", "", "A value is required."],
  ])("%s is rejected", async (_n, name, msg) => {
    const r = await addAlias({ ...host, name });
    expect(at(r.json, "result")).toBe("failed");
    expect(keysOf(at(r.json, "validations"))).toEqual(["alias.name"]);
    if (msg) {
      const v = at(r.json, "validations", "alias.name");
      expect(Array.isArray(v) ? v : [v]).toContain(msg);
    }
  });

  it.each(["a", "k8s_lb_ips", "_x1", "A".repeat(31), "BGP"])("%s is accepted", async (name) => {
    expect(at((await addAlias({ ...host, name })).json, "result")).toBe("saved");
  });

  it("unique (case-sensitive)", async () => {
    await addAlias(host);
    expect(message(await addAlias(host), "alias.name")).toBe("An alias with this name already exists.");
    expect(at((await addAlias({ ...host, name: "K8S_NODES" })).json, "result")).toBe("saved");
  });
});

describe("§5.3 alias fields", () => {
  it("type must be sent", async () => {
    const r = await addAlias({ name: "x1", content: "10.0.0.1" });
    expect(keysOf(at(r.json, "validations"))).toEqual(["alias.type"]);
  });

  it.each([
    ["host rejects CIDR", "host", "10.0.0.0/24", 'Entry "10.0.0.0/24" is not a valid hostname, IP address or range.'],
    ["network rejects garbage", "network", "10.0.0.0/99", 'Entry "10.0.0.0/99" is not a network.'],
    ["comma-joined content is one bad entry", "host", "10.0.0.1,10.0.0.2", 'Entry "10.0.0.1,10.0.0.2" is not a valid hostname, IP address or range.'],
  ])("%s", async (_n, type, content, msg) => {
    const r = await addAlias({ name: "x1", type, content });
    expect(message(r, "alias.content")).toBe(msg);
  });

  it("one message per bad entry", async () => {
    const r = await addAlias({ name: "x1", type: "host", content: "10.0.0.1\n1.2.3.0/24\n::/0" });
    expect(at(r.json, "validations", "alias.content")).toHaveLength(2);
  });

  it.each([
    ["host", "10.0.0.1\n10.0.0.5-10.0.0.9\n!10.0.0.7\nnode.example.com\n2001:db8::1"],
    ["network", "10.96.0.0/24\n10.96.1.10\n!10.96.0.128/25\nfd00::/64"],
    ["port", "80\n8000:8080"],
  ])("valid %s content", async (type, content) => {
    expect(at((await addAlias({ name: "x1", type, content })).json, "result")).toBe("saved");
  });

  it("categories must be uuids", async () => {
    const cat = await seedCategory({ name: "agent" });
    expect(at((await addAlias({ ...host, categories: "agent" })).json, "result")).toBe("failed");
    expect(at((await addAlias({ ...host, categories: cat })).json, "result")).toBe("saved");
  });
});

describe("§5.2 getItem quirks", () => {
  it("content map: own entries selected plus every alias name (its own too) unselected", async () => {
    const other = await seedAlias({ name: "other", type: "network", content: "10.1.0.0/16", description: "d" });
    const uuid = String(at((await addAlias(host)).json, "uuid"));
    const c = at((await t.call("GET", `/api/firewall/alias/getItem/${uuid}`)).json, "alias", "content");
    expect(at(c, "10.0.20.11")).toEqual({ value: "10.0.20.11", selected: 1 });
    expect(at(c, "other")).toEqual({ value: "other", selected: 0, description: "d" });
    expect(at(c, "bogons", "selected")).toBe(0);
    expect(at(c, "k8s_nodes")).toEqual({ value: "k8s_nodes", selected: 0, description: "" });
    expect(other).toBeTruthy();
  });

  it("empty alias yields one '' entry", async () => {
    const uuid = await seedAlias({ name: "empty", type: "host", content: "" });
    const c = at((await t.call("GET", `/api/firewall/alias/getItem/${uuid}`)).json, "alias", "content");
    expect(at(c, "")).toEqual({ value: "", selected: 1 });
  });

  eachRow(t.rows)("unknown uuid: 500 before 26.1.11, a blank alias from 26.1.11 (%s)", async (v) => {
    await t.use(v);
    const r = await t.call("GET", "/api/firewall/alias/getItem/6f1c2b4e-8d3a-4f5b-9c7d-0e1f2a3b4c5d");
    if (t.features.blankAliasGetItem) {
      expect(r.status).toBe(200);
      // only a content map listing every alias, unselected
      const alias = at(r.json, "alias");
      expect(keysOf(alias)).toEqual(["content"]);
      expect(at(alias, "content", "bogons", "selected")).toBe(0);
    } else {
      expect(r.status).toBe(500);
      expect(r.json).toEqual({ errorMessage: "Unexpected error, check log for details" });
    }
  });

  it("model-level alias/get: content holds only own entries", async () => {
    await seedAlias({ name: "other", type: "host", content: "10.9.9.9" });
    const uuid = String(at((await addAlias(host)).json, "uuid"));
    const c = at((await t.call("GET", "/api/firewall/alias/get")).json, "alias", "aliases", "alias", uuid, "content");
    expect(keysOf(c)).toEqual(["10.0.20.11", "10.0.20.12"]);
  });

  it("getAliasUUID", async () => {
    const uuid = String(at((await addAlias(host)).json, "uuid"));
    expect((await t.call("GET", "/api/firewall/alias/getAliasUUID/k8s_nodes")).json).toEqual({ uuid });
    expect((await t.call("GET", "/api/firewall/alias/getAliasUUID/nosuch")).json).toEqual([]);
  });
});

describe("§5.1 searchItem", () => {
  it("type[] and category[] must be arrays; a plain string is a 500", async () => {
    const cat = await seedCategory({ name: "agent" });
    await addAlias({ ...host, categories: cat });
    await addAlias({ name: "nets", type: "network", content: "10.0.0.0/8" });
    const byType = rowsOf(await t.call("GET", "/api/firewall/alias/searchItem?type[]=network"));
    expect(byType.map((r) => r["name"])).toEqual(["nets"]);
    const byCat = await t.call("POST", "/api/firewall/alias/searchItem", { body: { category: [cat] } });
    expect(rowsOf(byCat).map((r) => r["name"])).toEqual(["k8s_nodes"]);
    expect(rowsOf(byCat)[0]?.["categories_uuid"]).toEqual([cat]);
    expect((await t.call("GET", "/api/firewall/alias/searchItem?type=network")).status).toBe(500);
    expect((await t.call("POST", "/api/firewall/alias/searchItem", { body: { category: cat } })).status).toBe(500);
  });

  eachRow(t.rows)("rows: type label before 25.7, raw + %%type from 25.7 (%s)", async (v) => {
    await t.use(v);
    await addAlias(host);
    const row = rowsOf(await t.call("POST", "/api/firewall/alias/searchItem", { body: { searchPhrase: "k8s_nodes" } }))[0];
    const raw = t.features.rawGrid;
    expect(row?.["type"]).toBe(raw ? "host" : "Host(s)");
    expect(row?.["%type"]).toBe(raw ? "Host(s)" : undefined);
  });

  it("built-in aliases are listed", async () => {
    const names = rowsOf(await t.call("GET", "/api/firewall/alias/searchItem")).map((r) => r["name"]);
    expect(names).toEqual(expect.arrayContaining(["bogons", "bogonsv6", "virusprot", "sshlockout", "__lan_network"]));
  });

  pf.it("an interface network table holds the interface's network (§5.6)", async () => {
    const rows = rowsOf(await t.call("GET", "/api/firewall/alias_util/list/__lan_network"));
    expect(rows.map((r) => r["ip"])).toEqual(["10.0.20.0/24"]);
  });
});

describe("§5.1/§5.4 set, rename, delete in use", () => {
  it("rename rewrites MVC rule references and nested alias content", async () => {
    const uuid = String(at((await addAlias(host)).json, "uuid"));
    const rule = await seedRule({ interface: "lan", source_net: "k8s_nodes", description: "r" });
    const group = await seedAlias({ name: "k8s_group", type: "host", content: "k8s_nodes" });
    expect((await t.call("POST", `/api/firewall/alias/setItem/${uuid}`, { body: { alias: { name: "k8s_workers" } } })).json).toEqual({ result: "saved" });
    expect(at((await t.call("GET", `/api/firewall/filter/getRule/${rule}`)).json, "rule", "source_net")).toBe("k8s_workers");
    expect((await savedAlias(group))["content"]).toBe("k8s_workers");
  });

  eachRow(t.rows)("delete refused while an MVC rule uses it (%s)", async (v) => {
    await t.use(v);
    const uuid = String(at((await addAlias(host)).json, "uuid"));
    const rule = await seedRule({ interface: "lan", destination_net: "k8s_nodes", description: "agent" });
    const r = await t.call("POST", `/api/firewall/alias/delItem/${uuid}`);
    expect(r.status).toBe(500);
    expect(at(r.json, "errorTitle")).toBe("Alias in use");
    const msg = String(at(r.json, "errorMessage"));
    expect(msg.startsWith(t.features.aliasInUseNamesAlias ? "Cannot delete alias k8s_nodes. Currently in use by" : "Cannot delete alias. Currently in use by")).toBe(true);
    await t.call("POST", `/api/firewall/filter/delRule/${rule}`);
    expect((await t.call("POST", `/api/firewall/alias/delItem/${uuid}`)).json).toEqual({ result: "deleted" });
  });

  it("toggleItem", async () => {
    const uuid = String(at((await addAlias(host)).json, "uuid"));
    expect((await t.call("POST", `/api/firewall/alias/toggleItem/${uuid}/0`)).json).toEqual({ result: "Disabled", changed: true });
  });
});

describe("§4.7 alias reconfigure", () => {
  pf.it("loads tables (disabled alias → empty table) and reloads rules", async () => {
    control(t).seedAlias({ name: "on", type: "host", content: "10.0.0.1\n10.0.0.2" });
    control(t).seedAlias({ name: "off", type: "host", content: "10.0.0.3", enabled: "0" });
    control(t).seedRule({ interface: "lan", destination_net: "on", description: "r" });
    expect((await t.call("POST", "/api/firewall/alias/reconfigure")).json).toEqual({ status: "ok" });
    const pf = control(t).running().pf;
    expect(pf.tables["on"]).toEqual(["10.0.0.1", "10.0.0.2"]);
    expect(pf.tables["off"]).toEqual([]);
    expect(pf.rules).toHaveLength(1);
    expect(control(t).counters().aliasReconfigures).toBe(1);
  });

  it("listCategories counts aliases", async () => {
    const cat = await seedCategory({ name: "agent" });
    await addAlias({ ...host, categories: cat });
    expect(at((await t.call("GET", "/api/firewall/alias/listCategories")).json, "rows", 0, "used")).toBe(1);
  });
});

pf.describe("§5.6 alias_util", () => {
  it("add persists for host/network (network gets /32), then the pf table", async () => {
    const uuid = control(t).seedAlias({ name: "nets", type: "network", content: "10.0.0.0/8" });
    const r = await t.call("POST", "/api/firewall/alias_util/add/nets", { body: { address: "10.96.0.10" } });
    expect(r.json).toEqual({ status: "done" });
    expect(control(t).state().aliases[uuid]?.["content"]).toBe("10.0.0.0/8\n10.96.0.10/32");
    expect(control(t).running().pf.tables["nets"]).toContain("10.96.0.10");
    const list = await t.call("GET", "/api/firewall/alias_util/list/nets");
    expect(rowsOf(list).map((x) => x["ip"])).toContain("10.96.0.10");
  });

  it("quirks: upper-case hex is not an address, unknown alias, first entry re-appended", async () => {
    const uuid = control(t).seedAlias({ name: "hosts", type: "host", content: "10.0.0.1" });
    expect((await t.call("POST", "/api/firewall/alias_util/add/hosts", { body: { address: "FD00::1" } })).json).toEqual({ status: "not_an_address" });
    expect((await t.call("POST", "/api/firewall/alias_util/add/nosuch", { body: { address: "10.0.0.9" } })).json).toEqual({
      status: "failed",
      status_msg: "nonexistent alias nosuch",
    });
    await t.call("POST", "/api/firewall/alias_util/add/hosts", { body: { address: "10.0.0.1" } });
    expect(control(t).state().aliases[uuid]?.["content"]).toBe("10.0.0.1\n10.0.0.1");
  });

  it("add of a CIDR to a host alias → 500 (validated persist)", async () => {
    control(t).seedAlias({ name: "hosts", type: "host", content: "10.0.0.1" });
    expect((await t.call("POST", "/api/firewall/alias_util/add/hosts", { body: { address: "10.0.0.0/24" } })).status).toBe(500);
  });

  it("delete removes address and address/32; flush only touches pf", async () => {
    const uuid = control(t).seedAlias({ name: "nets", type: "network", content: "10.0.0.0/8\n10.96.0.10/32" });
    await t.call("POST", "/api/firewall/alias/reconfigure");
    expect((await t.call("POST", "/api/firewall/alias_util/delete/nets", { body: { address: "10.96.0.10" } })).json).toEqual({ status: "done" });
    expect(control(t).state().aliases[uuid]?.["content"]).toBe("10.0.0.0/8");
    await t.call("POST", "/api/firewall/alias_util/flush/nets");
    expect(control(t).running().pf.tables["nets"]).toEqual([]);
    expect(control(t).state().aliases[uuid]?.["content"]).toBe("10.0.0.0/8");
  });

  it("aliases lists pf table names", async () => {
    const r = await t.call("GET", "/api/firewall/alias_util/aliases");
    expect(r.json).toEqual(expect.arrayContaining(["bogons", "sshlockout"]));
  });
});

describe("alias runtime fields (checked on the real 24.7.12 … 26.7)", () => {
  const RUNTIME = ["current_items", "last_updated"];
  const COUNTERS = ["eval_match", "eval_nomatch", "in_block_b", "in_block_p", "in_pass_b", "in_pass_p", "out_block_b", "out_block_p", "out_pass_b", "out_pass_p"];
  const runtimeOf = (item: unknown): Record<string, unknown> =>
    Object.fromEntries(Object.entries((item ?? {}) as Record<string, unknown>).filter(([k]) => RUNTIME.includes(k) || COUNTERS.includes(k)));

  eachRow(t.rows)("get/getItem: none before 25.1, current_items + last_updated from 25.1, pf counters from 25.7; all \"\" until an alias reload (%s)", async (v) => {
    await t.use(v);
    const uuid = await seedAlias({ name: "runtime_probe", type: "host", content: "10.1.1.1" });
    try {
      const expected = [...(t.features.aliasRuntimeInModel ? RUNTIME : []), ...(t.features.aliasPfCounters ? COUNTERS : [])].sort();
      const item = at((await t.call("GET", `/api/firewall/alias/getItem/${uuid}`)).json, "alias");
      expect(keysOf(runtimeOf(item)).sort()).toEqual(expected);
      expect(Object.values(runtimeOf(item)).every((x) => x === "")).toBe(true);
      const model = at((await t.call("GET", "/api/firewall/alias/get")).json, "alias", "aliases", "alias", uuid);
      expect(keysOf(runtimeOf(model)).sort()).toEqual(expected);
      // search rows carry both runtime fields on every release
      const row = rowsOf(await t.call("GET", "/api/firewall/alias/searchItem?searchPhrase=runtime_probe")).find((r) => r["uuid"] === uuid);
      expect(keysOf(runtimeOf(row)).filter((k) => RUNTIME.includes(k)).sort()).toEqual(RUNTIME);
    } finally {
      await t.call("POST", `/api/firewall/alias/delItem/${uuid}`);
    }
  });

  pf.it("after an alias reload: the entry count, the load time and pf's counters at 0", async () => {
    await t.use("26.1.11");
    const uuid = await seedAlias({ name: "runtime_probe", type: "host", content: "10.1.1.1\n10.1.1.2" });
    await t.call("POST", "/api/firewall/alias/reconfigure");
    const item = runtimeOf(at((await t.call("GET", `/api/firewall/alias/getItem/${uuid}`)).json, "alias"));
    expect(item["current_items"]).toBe("2");
    expect(String(item["last_updated"])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    for (const c of COUNTERS) expect(item[c]).toBe("0");
  });
});
