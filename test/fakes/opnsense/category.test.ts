import { describe, expect, it } from "vitest";
import { control, eachRow, rowsWhere, simulatorOnly, useTarget } from "./target.ts";
import { at, keysOf, message, rowsOf } from "./test-client.ts";

const t = await useTarget();

const addCat = (fields: Record<string, unknown>) => t.call("POST", "/api/firewall/category/addItem", { body: { category: fields } });
const uuidOf = (r: { json: unknown }): string => {
  expect(at(r.json, "result")).toBe("saved");
  return String(at(r.json, "uuid"));
};

describe("§6 categories", () => {
  eachRow(t.rows)("template: auto is a BooleanField without default: \"\" before 25.1.4, \"0\" after (%s)", async (v) => {
    await t.use(v);
    const tpl = at((await t.call("GET", "/api/firewall/category/getItem")).json, "category");
    expect(at(tpl, "auto")).toBe(t.features.booleanDefaultZero ? "0" : "");
    expect(at(tpl, "name")).toBe("");
  });

  it("fresh install has no categories", async () => {
    expect(at((await t.call("GET", "/api/firewall/category/searchItem")).json, "rows")).toEqual([]);
  });

  it("add/get/search; name required and unique (case-sensitive); auto boolean; color 6 hex", async () => {
    const r = await addCat({ name: "opnsense-bgp-agent", auto: "0" });
    const uuid = String(at(r.json, "uuid"));
    expect(at((await t.call("GET", `/api/firewall/category/getItem/${uuid}`)).json, "category", "name")).toBe("opnsense-bgp-agent");
    expect(message(await addCat({ name: "opnsense-bgp-agent" }), "category.name")).toBe("A category with this name already exists.");
    expect(at((await addCat({ name: "OPNSENSE-BGP-AGENT" })).json, "result")).toBe("saved");
    expect(keysOf(at((await addCat({ name: "" })).json, "validations"))).toEqual(["category.name"]);
    // 26.1 masks the name with /[^,]+/; before, commas alone are a name
    expect(keysOf(at((await addCat({ name: ",,," })).json, "validations"))).toEqual(t.features.categoryNameMask ? ["category.name"] : []);
    expect(keysOf(at((await addCat({ name: "x", auto: "2" })).json, "validations"))).toEqual(["category.auto"]);
    expect(keysOf(at((await addCat({ name: "y", color: "red" })).json, "validations"))).toEqual(["category.color"]);
    const rows = rowsOf(await t.call("GET", "/api/firewall/category/searchItem"));
    expect(rows.map((x) => String(x["name"])).sort()).toEqual([...(t.features.categoryNameMask ? [] : [",,,"]), "OPNSENSE-BGP-AGENT", "opnsense-bgp-agent"]);
    expect(rowsOf(await t.call("GET", "/api/firewall/category/searchItem/1"))[0]?.["name"]).toBe("(No Category)");
  });

  eachRow(t.rows)("model-level get lists every category by uuid, [] when there is none (%s)", async (v) => {
    await t.use(v);
    const mine = (j: unknown) => Object.entries((at(j, "category", "categories", "category") ?? {}) as Record<string, unknown>).filter(([, c]) => String(at(c, "name")).startsWith("model-get-"));
    const before = (await t.call("GET", "/api/firewall/category/get")).json;
    expect(keysOf(before)).toEqual(["category"]);
    expect(mine(before)).toEqual([]);
    const uuid = uuidOf(await addCat({ name: "model-get-a", color: "ff0000" }));
    const after = mine((await t.call("GET", "/api/firewall/category/get")).json);
    // a BooleanField without default is "" before 25.1.4, "0" after, as in the template
    expect(after).toEqual([[uuid, { name: "model-get-a", auto: t.features.booleanDefaultZero ? "0" : "", color: "ff0000" }]]);
    await t.call("POST", `/api/firewall/category/delItem/${uuid}`);
  });

  // seen on fresh 24.7.12 and 26.1.11 boxes; a box in use has categories of its own
  simulatorOnly(t, "needs a router without categories").it("model-level get of no categories is []", async () => {
    expect((await t.call("GET", "/api/firewall/category/get")).json).toEqual({ category: { categories: { category: [] } } });
  });

  eachRow(rowsWhere(t, (f) => !f.categorySafeDelete))("before 25.7 a category MVC items reference is deleted; the reference dangles (%s)", async (v) => {
    await t.use(v);
    const uuid = String(at((await addCat({ name: "agent" })).json, "uuid"));
    const rule = uuidOf(await t.call("POST", "/api/firewall/filter/addRule", { body: { rule: { interface: "lan", categories: uuid } } }));
    expect((await t.call("POST", `/api/firewall/category/delItem/${uuid}`)).json).toEqual({ result: "deleted" });
    const got = at((await t.call("GET", `/api/firewall/filter/getRule/${rule}`)).json, "rule", "categories");
    expect(keysOf(got)).not.toContain(uuid);
  });

  eachRow(rowsWhere(t, (f) => f.categorySafeDelete))("from 25.7 delete is refused while an MVC rule or alias references it (%s)", async (v) => {
    await t.use(v);
    const uuid = String(at((await addCat({ name: "agent" })).json, "uuid"));
    const rule = uuidOf(await t.call("POST", "/api/firewall/filter/addRule", { body: { rule: { interface: "lan", categories: uuid } } }));
    const r = await t.call("POST", `/api/firewall/category/delItem/${uuid}`);
    expect(r.status).toBe(500);
    // safe delete: one "module - description {reference}" line per referrer; 26.1.3 names the item in the title
    expect(r.json).toEqual({
      errorMessage: `Filter -  {Filter.rules.rule.${rule}}\n`,
      errorTitle: t.features.inUseTitleNamesItem ? "Item categories.category {agent} in use by:" : "Item in use by",
      ...(t.features.userErrorLevel ? { errorLevel: "error" } : {}),
    });
    await t.call("POST", `/api/firewall/filter/delRule/${rule}`);
    const a = uuidOf(await t.call("POST", "/api/firewall/alias/addItem", { body: { alias: { name: "x1", type: "host", categories: uuid } } }));
    expect(at((await t.call("POST", `/api/firewall/category/delItem/${uuid}`)).json, "errorMessage")).toBe(`Alias - x1 {Alias.aliases.alias.${a}}\n`);
    await t.call("POST", `/api/firewall/alias/delItem/${a}`);
    expect((await t.call("POST", `/api/firewall/category/delItem/${uuid}`)).json).toEqual({ result: "deleted" });
  });

  simulatorOnly(t, "legacy rules are seeded through the control API").it("legacy rules use the name: refusal and rename", async () => {
    const uuid = String(at((await addCat({ name: "old" })).json, "uuid"));
    control(t).seedLegacyRule({ category: ["old"] });
    const r = await t.call("POST", `/api/firewall/category/delItem/${uuid}`);
    expect(r.json).toEqual({ errorMessage: "Cannot delete a category which is still in use.", errorTitle: "Category in use" });
    await t.call("POST", `/api/firewall/category/setItem/${uuid}`, { body: { category: { name: "new" } } });
    expect(control(t).state().legacyRules[0]?.category).toEqual(["new"]);
  });
});
