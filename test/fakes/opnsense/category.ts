import type { ApiRequest, Endpoint, Reply } from "./api-types.ts";
import { ok, userError } from "./api-types.ts";
import type { Collection, Usage } from "./crud.ts";
import { addItem, delItem, describeItem, getItem, grid, gridParams, inUse, setItem } from "./crud.ts";
import type { FieldDef, Validations } from "./model.ts";
import { encodeItem, gridRow } from "./model.ts";
import type { SimState } from "./state.ts";

export function categoryDefs(sim: SimState): FieldDef[] {
  return [
    // 26.1's mask /[^,]+/ is unanchored: it only rejects empty or all-comma names (§6)
    {
      name: "name",
      kind: "text",
      required: true,
      ...(sim.features.categoryNameMask ? { mask: /[^,]+/, message: "A name is required and may not only consist of commas." } : {}),
    },
    // a BooleanField without <Default> starts "" until 25.1.4 (core 7365ed5f5e, §11)
    { name: "auto", kind: "bool", default: (sim) => (sim.features.booleanDefaultZero ? "0" : "") },
    { name: "color", kind: "text", mask: /^([0-9a-fA-F]{6})?$/, message: "Invalid color code (6 hexadecimal digits)." },
  ];
}

export const categories: Collection = {
  key: "category",
  defs: categoryDefs,
  items: (sim) => sim.config.categories,
  crossValidate: (uuid, item, sim): Validations => {
    const name = item["name"] ?? "";
    const dup = name !== "" && [...sim.config.categories].some(([u, c]) => c["name"] === name && u !== uuid);
    return dup ? { "category.name": "A category with this name already exists." } : {};
  },
  afterSave: (_uuid, before, after, sim) => {
    // renaming rewrites legacy rules, which reference categories by name (§6)
    const from = before?.["name"];
    const to = after["name"] ?? "";
    if (from === undefined || from === to) return;
    for (const l of sim.config.legacyRules) l.category = l.category.map((c) => (c === from ? to : c));
  },
  beforeDelete: (uuid, item, sim) => {
    const name = item["name"] ?? "";
    if (sim.config.legacyRules.some((l) => l.category.includes(name))) {
      return userError("Cannot delete a category which is still in use.", "Category in use");
    }
    // safe delete (25.7): MVC items referencing the uuid (§6); before, the delete leaves them dangling
    if (!sim.features.categorySafeDelete) return null;
    const usages: Usage[] = [];
    for (const [u, r] of sim.config.rules) {
      if ((r["categories"] ?? "").split(",").includes(uuid)) usages.push({ module: "Filter", description: describeItem(r), reference: `Filter.rules.rule.${u}` });
    }
    for (const [u, a] of sim.config.aliases) {
      if ((a["categories"] ?? "").split(",").includes(uuid)) usages.push({ module: "Alias", description: describeItem(a), reference: `Alias.aliases.alias.${u}` });
    }
    return inUse(sim, "categories.category", uuid, item, usages);
  },
};

function search(req: ApiRequest, sim: SimState): Reply {
  const rows: Array<Record<string, unknown>> = [];
  for (const [uuid, c] of sim.config.categories) rows.push(gridRow(categoryDefs(sim), uuid, c, sim, sim.features.rawGrid));
  const g = grid(rows, gridParams(req, false), "name");
  if (req.params[0] === "1") {
    (g["rows"] as Array<Record<string, unknown>>).unshift({ uuid: "", name: "(No Category)", color: "", auto: "0" });
  }
  return ok(g);
}

/** Model-level get (§2.4): every category by uuid; PHP encodes an empty list as `[]`. */
function modelGet(sim: SimState): Reply {
  const items: Record<string, unknown> = {};
  for (const [uuid, c] of sim.config.categories) items[uuid] = encodeItem(categoryDefs(sim), c, sim);
  return ok({ category: { categories: { category: Object.keys(items).length > 0 ? items : [] } } });
}

export function categoryEndpoints(): Endpoint[] {
  const base = { module: "firewall", controller: "category" } as const;
  const c = categories;
  return [
    { ...base, action: "searchItem", kind: "any", handler: (r, s) => search(r, s) },
    { ...base, action: "get", kind: "modelget", handler: (_r, s) => modelGet(s) },
    { ...base, action: "getItem", kind: "any", handler: (r, s) => getItem(c, r, s) },
    { ...base, action: "addItem", kind: "write", mutates: true, handler: (r, s) => addItem(c, r, s) },
    { ...base, action: "setItem", kind: "write", mutates: true, requiredParams: 1, handler: (r, s) => setItem(c, r, s) },
    { ...base, action: "delItem", kind: "write", mutates: true, requiredParams: 1, handler: (r, s) => delItem(c, r, s) },
  ];
}
