import type { Fields, SimState } from "./state.ts";
import { INTERFACES } from "./state.ts";
import { isIpAddress, isSubnet } from "./net.ts";

export type FieldKind =
  | "bool"
  | "int"
  | "text"
  | "option"
  | "interface"
  | "network"
  | "relation"
  | "description"
  | "custom";

export type Validations = Record<string, string | string[]>;

export interface FieldDef {
  name: string;
  kind: FieldKind;
  required?: boolean;
  default?: string | ((sim: SimState) => string);
  multi?: boolean;
  min?: number;
  max?: number;
  /** option key -> label */
  options?: (sim: SimState) => Record<string, string>;
  blankDesc?: string;
  mask?: RegExp;
  message?: string | ((sim: SimState) => string);
  /** computed on read, ignored on write */
  volatile?: (item: Fields, sim: SimState) => string;
  /** normalisation done by setValue() */
  transform?: (v: string, sim: SimState) => string;
  /** extra per-field validation (custom kinds do all their checking here) */
  validate?: (v: string, item: Fields, sim: SimState) => string | string[] | undefined;
  /** get encodes this custom field as an option map */
  listLike?: boolean;
  /** a single select (blank "None" entry in get) that still validates a comma list of keys */
  acceptsList?: boolean;
}

export const REQUIRED_MSG = "A value is required.";

export function interfaceOptions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(INTERFACES)) out[k] = v.descr;
  return out;
}

/** PHP value -> config string; arrays/objects cannot be stored in a leaf (§1.3) */
export class LeafError extends Error {
  field: string;
  constructor(field: string) {
    super(`Invalid input for "${field}": expected a single value, not a list.`);
    this.field = field;
  }
}

export function leafToString(field: string, v: unknown, sim: SimState): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  if (typeof v === "boolean") return v ? "1" : "";
  // 25.1–26.1.10 cast the PHP array to a string in BaseField::setValue() (core 416b6ee144, §11)
  if (sim.features.arrayLeaf === "saved") return "Array";
  throw new LeafError(field);
}

export function defaultOf(def: FieldDef, sim: SimState): string {
  if (typeof def.default === "function") return def.default(sim);
  return def.default ?? "";
}

export function templateItem(defs: FieldDef[], sim: SimState): Fields {
  const out: Fields = {};
  for (const d of defs) if (!d.volatile) out[d.name] = defaultOf(d, sim);
  return out;
}

/** setNodes(): copy only fields the model knows; unknown and volatile keys are ignored (§3.3) */
export function applyPost(defs: FieldDef[], target: Fields, post: Record<string, unknown>, sim: SimState): void {
  for (const d of defs) {
    if (d.volatile) continue;
    if (!Object.prototype.hasOwnProperty.call(post, d.name)) continue;
    let v = leafToString(d.name, post[d.name], sim);
    if (d.transform) v = d.transform(v, sim);
    target[d.name] = v;
  }
}

function checkInt(v: string, min: number | undefined, max: number | undefined): boolean {
  if (!/^[+-]?(0|[1-9]\d*)$/.test(v)) return false;
  const n = Number(v);
  if (min !== undefined && n < min) return false;
  if (max !== undefined && n > max) return false;
  return true;
}

/** a field's own validation message, if it has one */
export function msgOf(d: FieldDef, sim: SimState): string | undefined {
  return typeof d.message === "function" ? d.message(sim) : d.message;
}

export function intMessage(d: FieldDef, sim: SimState): string {
  const own = msgOf(d, sim);
  if (own) return own;
  return `Value should be between ${d.min ?? "-"} and ${d.max ?? "-"}.`;
}

export function isValidNetworkField(v: string): boolean {
  return v === "any" || isIpAddress(v) || isSubnet(v);
}

function fieldMessages(d: FieldDef, v: string, item: Fields, sim: SimState): string[] {
  const msgs: string[] = [];
  if (v === "") {
    if (d.required) msgs.push(REQUIRED_MSG);
    return msgs;
  }
  switch (d.kind) {
    case "bool":
      if (!/^[01]$/.test(v)) msgs.push(msgOf(d, sim) ?? "Value should be a boolean (0,1).");
      break;
    case "int":
      if (!checkInt(v, d.min, d.max)) msgs.push(intMessage(d, sim));
      break;
    case "text":
      if (d.mask && !d.mask.test(v)) msgs.push(msgOf(d, sim) ?? "Value is invalid.");
      break;
    case "option":
    case "interface": {
      const opts = d.kind === "interface" ? interfaceOptions() : (d.options?.(sim) ?? {});
      const values = d.multi ? v.split(",") : [v];
      const bad = values.filter((x) => !Object.prototype.hasOwnProperty.call(opts, x));
      if (bad.length === 0) break;
      const custom = msgOf(d, sim);
      if (custom) msgs.push(custom);
      // 26.1 BaseListField: one message per bad value of a multi select; a single select shows "[]"
      else if (sim.features.optionMessageNamesValue) msgs.push(...(d.multi ? bad.map((x) => `Option [${x}] not in list.`) : ["Option [] not in list."]));
      else msgs.push("Option not in list.");
      break;
    }
    case "network": {
      const values = d.multi ? v.split(",") : [v];
      if (values.some((x) => !isValidNetworkField(x))) {
        msgs.push(msgOf(d, sim) ?? "Please specify a valid network segment or IP address.");
      }
      break;
    }
    case "relation": {
      const opts = d.options?.(sim) ?? {};
      const values = d.multi || d.acceptsList ? v.split(",") : [v];
      if (values.some((x) => !Object.prototype.hasOwnProperty.call(opts, x))) {
        msgs.push(msgOf(d, sim) ?? "Related item not found.");
      }
      break;
    }
    case "description":
      if (Buffer.byteLength(v, "utf8") > 255 || /[\r\n]/.test(v) || (sim.features.descriptionControlChars && /[\0\v\f]/.test(v))) {
        msgs.push(msgOf(d, sim) ?? "Description should be a string between 1 and 255 characters.");
      }
      break;
    case "custom":
      break;
  }
  if (d.validate) {
    const extra = d.validate(v, item, sim);
    if (typeof extra === "string") msgs.push(extra);
    else if (Array.isArray(extra)) msgs.push(...extra);
  }
  return msgs;
}

export function addMessage(out: Validations, key: string, msg: string | string[]): void {
  const list = Array.isArray(msg) ? msg : [msg];
  for (const m of list) {
    const cur = out[key];
    if (cur === undefined) out[key] = m;
    else if (Array.isArray(cur)) cur.push(m);
    else out[key] = [cur, m];
  }
}

export function validateItem(defs: FieldDef[], item: Fields, key: string, sim: SimState): Validations {
  const out: Validations = {};
  for (const d of defs) {
    if (d.volatile) continue;
    const msgs = fieldMessages(d, item[d.name] ?? "", item, sim);
    if (msgs.length) addMessage(out, `${key}.${d.name}`, msgs);
  }
  return out;
}

export type OptionMap = Record<string, { value: string; selected: number } & Record<string, unknown>>;

export function optionMap(
  opts: Record<string, string>,
  value: string,
  multi: boolean,
  required: boolean,
  blankDesc = "None",
): OptionMap {
  const selected = new Set(value.split(","));
  const out: OptionMap = {};
  if (!required && !multi) out[""] = { value: blankDesc, selected: value === "" ? 1 : 0 };
  for (const [k, label] of Object.entries(opts)) out[k] = { value: label, selected: selected.has(k) ? 1 : 0 };
  return out;
}

function optsFor(d: FieldDef, sim: SimState): Record<string, string> | null {
  if (d.kind === "interface") return interfaceOptions();
  if (d.kind === "option" || d.kind === "relation" || d.listLike) return d.options?.(sim) ?? {};
  return null;
}

/** get<Item> encoding: option-like fields become {key:{value,selected}} maps (§2.2) */
export function encodeItem(defs: FieldDef[], item: Fields, sim: SimState): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of defs) {
    const v = d.volatile ? d.volatile(item, sim) : (item[d.name] ?? "");
    const opts = optsFor(d, sim);
    if (opts) {
      out[d.name] = optionMap(opts, v, d.multi ?? false, d.required ?? false, d.blankDesc);
    } else {
      out[d.name] = v;
    }
  }
  return out;
}

/** label of a stored value the way ≤25.1 grids show it, and the `%field` of 25.7+ */
export function describeValue(d: FieldDef, v: string, sim: SimState): string {
  const opts = optsFor(d, sim);
  if (!opts) return v;
  if (v === "") return "";
  return v
    .split(",")
    .map((k) => opts[k] ?? k)
    .join(", ");
}

export function gridRow(
  defs: FieldDef[],
  uuid: string,
  item: Fields,
  sim: SimState,
  raw: boolean,
  only?: readonly string[],
): Record<string, unknown> {
  const row: Record<string, unknown> = { uuid };
  for (const d of defs) {
    if (only && !only.includes(d.name)) continue;
    const v = d.volatile ? d.volatile(item, sim) : (item[d.name] ?? "");
    const label = describeValue(d, v, sim);
    if (raw) {
      row[d.name] = v;
      if (label !== v) row[`%${d.name}`] = label;
    } else {
      row[d.name] = label;
    }
  }
  return row;
}
