import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Simulator } from "./index.ts";
import { VERSIONS } from "./index.ts";
import { at, call, keysOf, rowsOf, start } from "./test-client.ts";

let sim: Simulator;
beforeAll(async () => {
  sim = await start();
});
afterAll(async () => sim.close());
beforeEach(() => sim.control.setVersion("26.1"));

const addCat = (fields: Record<string, unknown>) => call(sim, "POST", "/api/firewall/category/addItem", { body: { category: fields } });

describe("§6 categories", () => {
  it("fresh install has no categories", async () => {
    expect(at((await call(sim, "GET", "/api/firewall/category/searchItem")).json, "rows")).toEqual([]);
  });

  it("add/get/search; name required and unique (case-sensitive); auto boolean; color 6 hex", async () => {
    const r = await addCat({ name: "opnsense-bgp-agent", auto: "0" });
    const uuid = String(at(r.json, "uuid"));
    expect(at((await call(sim, "GET", `/api/firewall/category/getItem/${uuid}`)).json, "category", "name")).toBe("opnsense-bgp-agent");
    expect(at((await addCat({ name: "opnsense-bgp-agent" })).json, "validations", "category.name")).toBe("A category with this name already exists.");
    expect(at((await addCat({ name: "OPNSENSE-BGP-AGENT" })).json, "result")).toBe("saved");
    expect(keysOf(at((await addCat({ name: "" })).json, "validations"))).toEqual(["category.name"]);
    expect(keysOf(at((await addCat({ name: ",,," })).json, "validations"))).toEqual(["category.name"]);
    expect(keysOf(at((await addCat({ name: "x", auto: "2" })).json, "validations"))).toEqual(["category.auto"]);
    expect(keysOf(at((await addCat({ name: "y", color: "red" })).json, "validations"))).toEqual(["category.color"]);
    const rows = rowsOf(await call(sim, "GET", "/api/firewall/category/searchItem"));
    expect(rows.map((x) => String(x["name"])).sort()).toEqual(["OPNSENSE-BGP-AGENT", "opnsense-bgp-agent"]);
    expect(rowsOf(await call(sim, "GET", "/api/firewall/category/searchItem/1"))[0]?.["name"]).toBe("(No Category)");
  });

  it.each(VERSIONS)("delete refused while an MVC rule or alias references it (%s)", async (v) => {
    sim.control.setVersion(v);
    const uuid = String(at((await addCat({ name: "agent" })).json, "uuid"));
    const rule = sim.control.seedRule({ interface: "lan", categories: uuid });
    const r = await call(sim, "POST", `/api/firewall/category/delItem/${uuid}`);
    expect(r.status).toBe(500);
    expect(String(at(r.json, "errorMessage"))).toContain(" in use");
    await call(sim, "POST", `/api/firewall/filter/delRule/${rule}`);
    const a = sim.control.seedAlias({ name: "x1", type: "host", categories: uuid });
    expect((await call(sim, "POST", `/api/firewall/category/delItem/${uuid}`)).status).toBe(500);
    await call(sim, "POST", `/api/firewall/alias/delItem/${a}`);
    expect((await call(sim, "POST", `/api/firewall/category/delItem/${uuid}`)).json).toEqual({ result: "deleted" });
  });

  it("legacy rules use the name: refusal and rename", async () => {
    const uuid = String(at((await addCat({ name: "old" })).json, "uuid"));
    sim.control.seedLegacyRule({ category: ["old"] });
    const r = await call(sim, "POST", `/api/firewall/category/delItem/${uuid}`);
    expect(r.json).toEqual({ errorMessage: "Cannot delete a category which is still in use.", errorTitle: "Category in use" });
    await call(sim, "POST", `/api/firewall/category/setItem/${uuid}`, { body: { category: { name: "new" } } });
    expect(sim.control.state().legacyRules[0]?.category).toEqual(["new"]);
  });
});
