import { badRequest } from "./status.ts";
import type { KubeObject } from "./types.ts";

// Label selectors follow k8s.io/apimachinery/pkg/labels (the "set-based" grammar);
// field selectors follow pkg/fields (=, ==, != with backslash escapes).

export type LabelOp = "exists" | "!" | "=" | "!=" | "in" | "notin" | "gt" | "lt";

export interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

export type LabelSelector = LabelRequirement[];

type Token =
  | { t: "id"; v: string }
  | { t: "op"; v: "(" | ")" | "," | "=" | "==" | "!=" | "!" | "<" | ">" }
  | { t: "in" }
  | { t: "notin" }
  | { t: "eof" };

const SPECIAL = new Set([" ", "\t", "\n", "\r", "(", ")", ",", "=", "!", "<", ">"]);

function lex(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    const two = input.slice(i, i + 2);
    if (two === "==" || two === "!=") {
      out.push({ t: "op", v: two });
      i += 2;
      continue;
    }
    if (c === "(" || c === ")" || c === "," || c === "=" || c === "!" || c === "<" || c === ">") {
      out.push({ t: "op", v: c });
      i++;
      continue;
    }
    let j = i;
    while (j < input.length && !SPECIAL.has(input[j] as string)) j++;
    const word = input.slice(i, j);
    if (word === "in") out.push({ t: "in" });
    else if (word === "notin") out.push({ t: "notin" });
    else out.push({ t: "id", v: word });
    i = j;
  }
  out.push({ t: "eof" });
  return out;
}

const NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function validLabelKey(key: string): boolean {
  const slash = key.indexOf("/");
  let name = key;
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    name = key.slice(slash + 1);
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN_RE.test(prefix)) return false;
  }
  return name.length > 0 && name.length <= 63 && NAME_RE.test(name);
}

export function validLabelValue(value: string): boolean {
  return value === "" || (value.length <= 63 && NAME_RE.test(value));
}

function describe(tok: Token): string {
  switch (tok.t) {
    case "id":
      return `'${tok.v}'`;
    case "op":
      return `'${tok.v}'`;
    case "eof":
      return "end of string";
    default:
      return `'${tok.t}'`;
  }
}

/** Throws ApiError 400 (as the apiserver does) on malformed input. */
export function parseLabelSelector(input: string | undefined | null): LabelSelector {
  if (input === undefined || input === null || input.trim() === "") return [];
  const toks = lex(input);
  let pos = 0;
  const peek = (): Token => toks[pos] as Token;
  const next = (): Token => toks[pos++] as Token;
  const fail = (msg: string): never => {
    throw badRequest(`unable to parse requirement: ${msg} (in label selector ${JSON.stringify(input)})`);
  };
  const checkKey = (key: string): string => {
    if (!validLabelKey(key)) fail(`invalid label key "${key}"`);
    return key;
  };
  const checkValue = (v: string): string => {
    if (!validLabelValue(v)) fail(`invalid label value "${v}"`);
    return v;
  };

  const reqs: LabelRequirement[] = [];
  for (;;) {
    const first = next();
    if (first.t === "op" && first.v === "!") {
      const k = next();
      if (k.t !== "id") fail(`found ${describe(k)}, expected: identifier after '!'`);
      reqs.push({ key: checkKey((k as { v: string }).v), op: "!", values: [] });
    } else if (first.t === "id") {
      const key = checkKey(first.v);
      const op = next();
      if (op.t === "eof" || (op.t === "op" && op.v === ",")) {
        reqs.push({ key, op: "exists", values: [] });
        if (op.t === "eof") break;
        continue;
      }
      if (op.t === "op" && (op.v === "=" || op.v === "==" || op.v === "!=")) {
        const v = peek();
        let value = "";
        if (v.t === "id") {
          value = v.v;
          pos++;
        } else if (!(v.t === "eof" || (v.t === "op" && v.v === ","))) {
          fail(`found ${describe(v)}, expected: identifier`);
        }
        reqs.push({ key, op: op.v === "!=" ? "!=" : "=", values: [checkValue(value)] });
      } else if (op.t === "in" || op.t === "notin") {
        const open = next();
        if (!(open.t === "op" && open.v === "(")) fail(`found ${describe(open)}, expected: '('`);
        const values: string[] = [];
        for (;;) {
          const v = peek();
          if (v.t === "id") {
            values.push(checkValue(v.v));
            pos++;
          } else if (v.t === "op" && (v.v === "," || v.v === ")")) {
            values.push("");
          } else {
            fail(`found ${describe(v)}, expected: ',', ')' or identifier`);
          }
          const sep = next();
          if (sep.t === "op" && sep.v === ")") break;
          if (!(sep.t === "op" && sep.v === ",")) fail(`found ${describe(sep)}, expected: ',' or ')'`);
        }
        // "in ()" lexes as one empty value; the apiserver rejects an empty set.
        if (values.length === 1 && values[0] === "") fail(`for 'in', 'notin' operators, values set can't be empty`);
        reqs.push({ key, op: op.t, values });
      } else if (op.t === "op" && (op.v === "<" || op.v === ">")) {
        const v = next();
        if (v.t !== "id" || !/^-?\d+$/.test(v.v)) fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
        reqs.push({ key, op: op.v === ">" ? "gt" : "lt", values: [(v as { v: string }).v] });
      } else {
        fail(`found ${describe(op)}, expected: in, notin, =, ==, !=, gt, lt`);
      }
    } else {
      fail(`found ${describe(first)}, expected: !, identifier, or 'end of string'`);
    }
    const sep = next();
    if (sep.t === "eof") break;
    if (!(sep.t === "op" && sep.v === ",")) fail(`found ${describe(sep)}, expected: ',' or 'end of string'`);
  }
  return reqs;
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const ls = labels ?? {};
  for (const r of selector) {
    const has = Object.hasOwn(ls, r.key);
    const v = ls[r.key];
    switch (r.op) {
      case "exists":
        if (!has) return false;
        break;
      case "!":
        if (has) return false;
        break;
      case "=":
        if (!has || v !== r.values[0]) return false;
        break;
      case "!=":
        if (has && v === r.values[0]) return false;
        break;
      case "in":
        if (!has || !r.values.includes(v as string)) return false;
        break;
      case "notin":
        if (has && r.values.includes(v as string)) return false;
        break;
      case "gt":
      case "lt": {
        if (!has || !/^-?\d+$/.test(v as string)) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        if (r.op === "gt" ? !(n > bound) : !(n < bound)) return false;
        break;
      }
    }
  }
  return true;
}

export interface FieldRequirement {
  field: string;
  op: "=" | "!=";
  value: string;
}

export type FieldSelector = FieldRequirement[];

/** Splits on unescaped separators; keeps escapes so the value unescape happens once. */
function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === "\\" && i + 1 < s.length) {
      cur += c + (s[i + 1] as string);
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

function unescapeFieldValue(s: string): string {
  return s.replace(/\\(.)/g, "$1");
}

export function parseFieldSelector(input: string | undefined | null, allowed?: readonly string[]): FieldSelector {
  if (input === undefined || input === null || input.trim() === "") return [];
  const out: FieldRequirement[] = [];
  for (const term of splitUnescaped(input, ",")) {
    if (term === "") continue;
    const m = /^([^=!]+)(!=|==|=)(.*)$/s.exec(term);
    if (!m) {
      throw badRequest(`invalid selector: '${input}'; can't understand '${term}'`);
    }
    const field = (m[1] as string).trim();
    if (allowed && !allowed.includes(field)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    out.push({ field, op: m[2] === "!=" ? "!=" : "=", value: unescapeFieldValue(m[3] as string) });
  }
  return out;
}

// `source` on core Events is a shorthand the apiserver maps to source.component.
const FIELD_ALIASES: Record<string, string> = { source: "source.component" };

export function fieldValue(obj: KubeObject, field: string): string {
  const path = (FIELD_ALIASES[field] ?? field).split(".");
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return "";
    cur = (cur as Record<string, unknown>)[p];
  }
  if (cur === undefined || cur === null) {
    // The apiserver reports an unset bool field such as spec.unschedulable as "false".
    return field === "spec.unschedulable" ? "false" : "";
  }
  return typeof cur === "string" ? cur : String(cur);
}

export function matchesFields(selector: FieldSelector, obj: KubeObject): boolean {
  for (const r of selector) {
    const v = fieldValue(obj, r.field);
    if (r.op === "=" ? v !== r.value : v === r.value) return false;
  }
  return true;
}
