/**
 * All of OPNsense's shape quirks live here and nowhere else (contract §1.3, §2.2, §5.2):
 * - option/multi-select fields come back as `{key: {value, selected}}` maps, or as a JSON
 *   array when PHP sees keys 0..n-1; they are posted back as one comma string;
 * - booleans are "0"/"1" (JSON `false` would become "", so never send JSON booleans);
 * - integers are strings, "" when unset;
 * - keys starting with `%` (26.7+ descriptions) are not fields;
 * - an empty object is encoded by PHP as `[]`, and `[]` also means "not found";
 * - alias content is newline-separated on write and a map (with an `""` entry when empty) on read.
 * Readers throw ShapeError with a field path; callers turn that into an `unexpected` error
 * naming the endpoint.
 */
import { ShapeError } from "./errors.ts";

export type Obj = Readonly<Record<string, unknown>>;

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/** An object, or PHP's `[]` for an empty one. */
export function readObj(v: unknown, path: string): Obj {
  if (isObj(v)) return v;
  if (Array.isArray(v) && v.length === 0) return {};
  throw new ShapeError(path, `expected an object, got ${describe(v)}`);
}

/** Same as readObj but the key must be present. */
export function child(parent: Obj, key: string, path: string): Obj {
  if (!(key in parent)) throw new ShapeError(`${path}.${key}`, "missing");
  return readObj(parent[key], `${path}.${key}`);
}

/** The field names of an item, without the `%field` description siblings. */
export function fieldNames(item: Obj): string[] {
  return Object.keys(item).filter((k) => !k.startsWith("%"));
}

export function readString(v: unknown, path: string): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  throw new ShapeError(path, `expected a string, got ${describe(v)}`);
}

export function readBool(v: unknown, path: string): boolean {
  if (v === undefined || v === null || v === "" || v === "0" || v === 0 || v === false) return false;
  if (v === "1" || v === 1 || v === true) return true;
  throw new ShapeError(path, `expected a boolean "0"/"1", got ${JSON.stringify(v)}`);
}

export function readInt(v: unknown, path: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === "number" && Number.isSafeInteger(v)) return v;
  if (typeof v === "string") {
    const t = v.trim();
    if (t === "") return null;
    if (/^-?\d+$/.test(t)) {
      const n = Number(t);
      if (Number.isSafeInteger(n)) return n;
    }
  }
  throw new ShapeError(path, `expected an integer, got ${JSON.stringify(v)}`);
}

function isSelected(s: unknown): boolean {
  return s === 1 || s === "1" || s === true;
}

/**
 * Selected keys of an option map, in reply order. Handles the JSON-array form PHP emits
 * when the keys are exactly 0..n-1 (then the index is the key).
 */
export function selectedKeys(v: unknown, path: string): string[] {
  const entries: Array<[string, unknown]> = Array.isArray(v) ? v.map((e, i) => [String(i), e]) : isObj(v) ? Object.entries(v) : [];
  if (!Array.isArray(v) && !isObj(v)) throw new ShapeError(path, `expected an option map, got ${describe(v)}`);
  const out: string[] = [];
  for (const [key, opt] of entries) {
    if (key.startsWith("%")) continue;
    if (!isObj(opt)) throw new ShapeError(`${path}.${key}`, `expected {value, selected}, got ${describe(opt)}`);
    if (isSelected(opt.selected)) out.push(key);
  }
  return out;
}

/** A single-select field: an option map (get) or a plain string (grids, older field types). */
export function readSingle(v: unknown, path: string): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string" || typeof v === "number") return String(v).trim();
  return selectedKeys(v, path)[0] ?? "";
}

function sortedUnique(items: readonly string[]): string[] {
  return [...new Set(items.map((s) => s.trim()).filter((s) => s !== ""))].sort();
}

/** A multi-value field (option map or comma string) → sorted, de-duplicated keys. */
export function readMulti(v: unknown, path: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === "string" || typeof v === "number") return sortedUnique(String(v).split(","));
  return sortedUnique(selectedKeys(v, path));
}

/** A comma string field (source_net, ports) → the same comma string with items sorted. */
export function readCommaList(v: unknown, path: string): string {
  return readMulti(v, path).join(",");
}

/**
 * Alias content: a map of entries (selected 1 = real content; `getItem` also lists every other
 * alias with selected 0), `{"": …}` for an empty alias, or a newline string.
 */
export function readAliasContent(v: unknown, path: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === "string") return sortedUnique(v.split("\n"));
  if (Array.isArray(v)) {
    // JSON-array form: each element still carries its entry as `value`.
    const vals: string[] = [];
    v.forEach((e, i) => {
      if (!isObj(e)) throw new ShapeError(`${path}.${i}`, `expected {value, selected}, got ${describe(e)}`);
      if (isSelected(e.selected)) vals.push(typeof e.value === "string" ? e.value : String(i));
    });
    return sortedUnique(vals);
  }
  return sortedUnique(selectedKeys(v, path));
}

/** ArrayField container `{<uuid>: item}` (or `[]` when empty) → [uuid, item] pairs. */
export function readItems(v: unknown, path: string): Array<[string, Obj]> {
  const container = readObj(v, path);
  const out: Array<[string, Obj]> = [];
  for (const [uuid, item] of Object.entries(container)) {
    if (uuid.startsWith("%")) continue;
    out.push([uuid, readObj(item, `${path}.${uuid}`)]);
  }
  return out;
}

// ---- write side: every leaf a string, never arrays or JSON booleans (§1.3) ----

export function boolOut(b: boolean): "1" | "0" {
  return b ? "1" : "0";
}

export function intOut(n: number | null): string {
  return n === null ? "" : String(Math.trunc(n));
}

export function listOut(items: readonly string[]): string {
  return sortedUnique(items).join(",");
}

export function aliasContentOut(items: readonly string[]): string {
  return sortedUnique(items).join("\n");
}

/** Canonical comma list (spec values may arrive unsorted or with spaces). */
export function commaOut(s: string): string {
  return sortedUnique(s.split(",")).join(",");
}

/** Protocol names must be upper-case before 26.1 (§4.3); `any` stays as is. */
export function protocolOut(p: string): string {
  const t = p.trim();
  return t.toLowerCase() === "any" || t === "" ? "any" : t.toUpperCase();
}

export function protocolIn(p: string): string {
  return protocolOut(p);
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The exact regex OPNsense uses to accept an unknown uuid on set<Item> as an upsert (§2.1). */
export function isUpsertableUuid(u: string): boolean {
  return UUID_V4.test(u);
}

/** All option keys of an option map (selected or not), e.g. to see whether `direction` offers `any`. */
export function optionKeys(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((_, i) => String(i));
  if (isObj(v)) return Object.keys(v).filter((k) => !k.startsWith("%"));
  return [];
}
