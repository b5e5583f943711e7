import type { PhpParams } from "./api-types.ts";

/** Parse `a=1&b[]=2&c[d]=3` the way PHP fills $_GET/$_POST. */
export function parsePhpParams(search: string): PhpParams {
  const out: PhpParams = {};
  for (const [rawKey, value] of new URLSearchParams(search)) {
    const m = /^([^[\]]+)((?:\[[^\]]*\])*)$/.exec(rawKey);
    if (!m) {
      out[rawKey] = value;
      continue;
    }
    const keys = [...(m[2] ?? "").matchAll(/\[([^\]]*)\]/g)].map((x) => x[1] ?? "");
    setPath(out, [m[1] as string, ...keys], value);
  }
  return listify(out) as PhpParams;
}

function setPath(obj: Record<string, unknown>, path: string[], value: string): void {
  let cur = obj;
  for (let i = 0; i < path.length; i++) {
    let k = path[i] as string;
    if (k === "") k = String(Object.keys(cur).length);
    if (i === path.length - 1) {
      cur[k] = value;
      return;
    }
    let child = cur[k];
    if (typeof child !== "object" || child === null) {
      child = {};
      cur[k] = child;
    }
    cur = child as Record<string, unknown>;
  }
}

function listify(v: unknown): unknown {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
  const rec = v as Record<string, unknown>;
  const keys = Object.keys(rec);
  if (keys.length > 0 && keys.every((k, i) => k === String(i))) return keys.map((k) => listify(rec[k]));
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = listify(rec[k]);
  return out;
}

function phpify(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(phpify);
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v);
    // PHP arrays: empty -> [], keys 0..n-1 in order -> list (§2.2)
    if (keys.length === 0) return [];
    if (keys.every((k, i) => k === String(i))) return keys.map((k) => phpify((v as Record<string, unknown>)[k]));
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = phpify((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** json_encode() defaults: `\/` for slashes, \uXXXX for non-ASCII, PHP array shapes (§1.5) */
export function phpJson(value: unknown): string {
  const text = JSON.stringify(phpify(value)) ?? "null";
  return text.replace(/\//g, "\\/").replace(/[\u0080-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}
