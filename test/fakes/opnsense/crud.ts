import type { ApiRequest, Reply } from "./api-types.ts";
import { ok, UNEXPECTED } from "./api-types.ts";
import type { Fields, SimState } from "./state.ts";
import { newUuid } from "./state.ts";
import type { FieldDef, Validations } from "./model.ts";
import { applyPost, encodeItem, LeafError, templateItem, validateItem, gridRow } from "./model.ts";
import { UUID_V4 } from "./net.ts";

export interface Collection {
  /** wrapper key in bodies and validation keys, e.g. "neighbor" */
  key: string;
  defs: (sim: SimState) => FieldDef[];
  items: (sim: SimState) => Map<string, Fields>;
  crossValidate?: (uuid: string, item: Fields, sim: SimState) => Validations;
  /** defaults that depend on existing items (e.g. 25.7+ rule sequence) */
  template?: (sim: SimState, base: Fields) => Fields;
  afterSave?: (uuid: string, before: Fields | undefined, after: Fields, sim: SimState) => void;
  /** return a reply to refuse the delete (in use) */
  beforeDelete?: (uuid: string, item: Fields, sim: SimState) => Reply | null;
  /** os-frr safe delete: malformed ids give a UserException (§2.1) */
  safeDelete?: (sim: SimState) => boolean;
  /** toggleNeighbor takes no 0/1 argument (§2.1) */
  toggleAlwaysFlips?: boolean;
}

/** one referrer of an item being deleted, as [core] checkAndThrowValueInUse lists it */
export interface Usage {
  /** the model root, e.g. "Filter", "Alias", "bgp" */
  module: string;
  /** the referrer's description, descr or name (first non-empty) */
  description: string;
  /** path.uuid, e.g. "bgp.neighbors.neighbor.<uuid>" */
  reference: string;
}

export function describeItem(f: Fields): string {
  return f["description"] || f["descr"] || f["name"] || "";
}

/**
 * Safe delete refused (§2.1, §11): one "module - description {reference}" line per referrer; the
 * title is "Item in use by" until 26.1.3 names the item: "Item <path> {<name>} in use by:".
 */
export function inUse(sim: SimState, path: string, uuid: string, item: Fields, usages: readonly Usage[]): Reply | null {
  if (usages.length === 0) return null;
  const message = usages.map((u) => `${u.module} - ${u.description} {${u.reference}}\n`).join("");
  const title = sim.features.inUseTitleNamesItem ? `Item ${path} {${describeItem(item) || uuid}} in use by:` : "Item in use by";
  return { status: 500, json: { errorMessage: message, errorTitle: title } };
}

export function leafFailure(err: LeafError, sim: SimState): Reply {
  // 26.1.11/26.7 throw a plain Exception ("expected a single value, not a list"), older releases
  // hit a PHP error; api.php shows neither, both are the generic 500 (§1.3, §11)
  void err;
  void sim;
  return UNEXPECTED;
}

function wrapped(req: ApiRequest, key: string): Record<string, unknown> | null {
  const v = req.post[key];
  if (v === undefined) return null;
  if (v !== null && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  return {};
}

function mergeValidations(a: Validations, b: Validations): Validations {
  const out: Validations = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    if (cur === undefined) out[k] = v;
    else out[k] = [...(Array.isArray(cur) ? cur : [cur]), ...(Array.isArray(v) ? v : [v])];
  }
  return out;
}

function validateFull(c: Collection, uuid: string, item: Fields, sim: SimState): Validations {
  let v = validateItem(c.defs(sim), item, c.key, sim);
  if (c.crossValidate) v = mergeValidations(v, c.crossValidate(uuid, item, sim));
  return v;
}

export function newTemplate(c: Collection, sim: SimState): Fields {
  const base = templateItem(c.defs(sim), sim);
  return c.template ? c.template(sim, base) : base;
}

export function getItem(c: Collection, req: ApiRequest, sim: SimState): Reply {
  const uuid = req.params[0];
  const defs = c.defs(sim);
  if (uuid === undefined || uuid === "") return ok({ [c.key]: encodeItem(defs, newTemplate(c, sim), sim) });
  const item = c.items(sim).get(uuid);
  if (!item) return ok([]);
  return ok({ [c.key]: encodeItem(defs, item, sim) });
}

export function addItem(c: Collection, req: ApiRequest, sim: SimState): Reply {
  const body = wrapped(req, c.key);
  if (!body) return ok({ result: "failed" });
  const item = newTemplate(c, sim);
  try {
    applyPost(c.defs(sim), item, body, sim);
  } catch (e) {
    if (e instanceof LeafError) return leafFailure(e, sim);
    throw e;
  }
  const uuid = newUuid();
  const v = validateFull(c, uuid, item, sim);
  if (Object.keys(v).length) return ok({ result: "failed", validations: v });
  c.items(sim).set(uuid, item);
  sim.noteWrite();
  c.afterSave?.(uuid, undefined, item, sim);
  return ok({ result: "saved", uuid });
}

export function setItem(c: Collection, req: ApiRequest, sim: SimState): Reply {
  const uuid = req.params[0] ?? "";
  const body = wrapped(req, c.key);
  if (!body) return ok({ result: "failed" });
  const items = c.items(sim);
  const existing = items.get(uuid);
  // unknown but valid v4 uuid: upsert with exactly that uuid (§2.1)
  if (!existing && !UUID_V4.test(uuid)) return ok({ result: "failed" });
  const item: Fields = existing ? { ...existing } : newTemplate(c, sim);
  try {
    applyPost(c.defs(sim), item, body, sim);
  } catch (e) {
    if (e instanceof LeafError) return leafFailure(e, sim);
    throw e;
  }
  const v = validateFull(c, uuid, item, sim);
  if (Object.keys(v).length) return ok({ result: "failed", validations: v });
  items.set(uuid, item);
  sim.noteWrite();
  c.afterSave?.(uuid, existing, item, sim);
  return ok({ result: "saved" });
}

export function delItem(c: Collection, req: ApiRequest, sim: SimState): Reply {
  const arg = req.params[0] ?? "";
  const ids = sim.features.batchDelete ? arg.split(",") : [arg];
  const items = c.items(sim);
  if (c.safeDelete?.(sim)) {
    for (const id of ids) {
      if (!/^[0-9a-z-]{1,255}$/i.test(id)) {
        return { status: 500, json: { errorMessage: "Invalid input token provided", errorTitle: "Error" } };
      }
    }
  }
  let result = "not found";
  let changed = false;
  for (const id of ids) {
    const item = items.get(id);
    if (!item) {
      result = "not found";
      continue;
    }
    const refused = c.beforeDelete?.(id, item, sim);
    if (refused) return refused;
    items.delete(id);
    changed = true;
    result = "deleted";
  }
  if (changed) sim.noteWrite();
  return ok({ result });
}

export function toggleItem(c: Collection, req: ApiRequest, sim: SimState): Reply {
  const arg = req.params[0] ?? "";
  const explicit = c.toggleAlwaysFlips ? undefined : req.params[1];
  const batch = sim.features.batchDelete && arg.includes(",");
  if (batch && explicit !== "0" && explicit !== "1") return ok({ result: "failed" });
  const ids = batch ? arg.split(",") : [arg];
  const items = c.items(sim);
  let result: string = "failed";
  let changed = false;
  for (const id of ids) {
    const item = items.get(id);
    if (!item) continue;
    const before = item["enabled"];
    const next = explicit === "0" || explicit === "1" ? explicit : before === "1" ? "0" : "1";
    item["enabled"] = next;
    if (before !== next) changed = true;
    result = next === "1" ? "Enabled" : "Disabled";
  }
  if (result === "failed") return ok({ result: "failed" });
  sim.noteWrite();
  return ok({ result, changed });
}

export interface GridParams {
  current: number;
  rowCount: number;
  searchPhrase: string;
  sort: Record<string, string> | null;
}

function num(v: unknown, dflt: number): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^-?\d+$/.test(v)) return Number(v);
  return dflt;
}

export function gridParams(req: ApiRequest, postOnly: boolean, defaultRowCount = -1): GridParams {
  const src: Record<string, unknown> = postOnly ? req.post : { ...req.query, ...req.post };
  const sortRaw = req.post["sort"];
  const sort =
    sortRaw !== null && typeof sortRaw === "object" && !Array.isArray(sortRaw)
      ? (Object.fromEntries(Object.entries(sortRaw).map(([k, v]) => [k, String(v)])) as Record<string, string>)
      : null;
  return {
    current: Math.max(1, num(src["current"], 1)),
    rowCount: num(src["rowCount"], defaultRowCount),
    searchPhrase: typeof src["searchPhrase"] === "string" ? src["searchPhrase"] : "",
    sort,
  };
}

function rowText(row: Record<string, unknown>, key: string): string {
  const pct = row[`%${key}`];
  const v = pct !== undefined ? pct : row[key];
  if (v === null || v === undefined) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/** UIModelGrid: AND of case-insensitive substring tokens, sort, paging (§2.3) */
export function grid(rows: Array<Record<string, unknown>>, p: GridParams, defaultSort?: string): Record<string, unknown> {
  const tokens = p.searchPhrase.toLowerCase().split(" ").filter((t) => t !== "");
  let filtered = rows.filter((row) =>
    tokens.every((t) =>
      Object.keys(row).some((k) => k !== "uuid" && !k.startsWith("%") && rowText(row, k).toLowerCase().includes(t)),
    ),
  );
  const sortEntries = p.sort ? Object.entries(p.sort) : defaultSort ? [[defaultSort, "asc"] as [string, string]] : [];
  if (sortEntries.length) {
    filtered = [...filtered].sort((a, b) => {
      for (const [k, dir] of sortEntries) {
        const c = rowText(a, k).localeCompare(rowText(b, k), undefined, { numeric: true });
        if (c !== 0) return dir === "desc" ? -c : c;
      }
      return 0;
    });
  }
  const total = filtered.length;
  const page =
    p.rowCount > 0 ? filtered.slice((p.current - 1) * p.rowCount, p.current * p.rowCount) : filtered;
  return { total, rowCount: page.length, current: p.current, rows: page };
}

export function searchItems(
  c: Collection,
  req: ApiRequest,
  sim: SimState,
  opts: { raw: boolean; only?: readonly string[]; defaultSort?: string; filter?: (item: Fields) => boolean },
): Reply {
  const defs = c.defs(sim);
  const rows: Array<Record<string, unknown>> = [];
  for (const [uuid, item] of c.items(sim)) {
    if (opts.filter && !opts.filter(item)) continue;
    rows.push(gridRow(defs, uuid, item, sim, opts.raw, opts.only));
  }
  return ok(grid(rows, gridParams(req, false), opts.defaultSort));
}

/** model-level get: ArrayFields are maps keyed by uuid (§2.4) */
export function encodeCollection(c: Collection, sim: SimState): Record<string, unknown> {
  const defs = c.defs(sim);
  const out: Record<string, unknown> = {};
  for (const [uuid, item] of c.items(sim)) out[uuid] = encodeItem(defs, item, sim);
  return out;
}
