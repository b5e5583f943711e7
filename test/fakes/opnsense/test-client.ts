// Minimal HTTP client for the contract tests (deliberately independent of the agent's client).
import type { Simulator, SimulatorOptions } from "./index.ts";
import { startOpnsenseSimulator } from "./index.ts";

export interface CallOptions {
  body?: unknown;
  /** raw body text; sent with contentType (default none) */
  raw?: string;
  contentType?: string | null;
  /** Authorization header; null = none; default = valid Basic */
  auth?: string | null;
}

export interface CallResult {
  status: number;
  text: string;
  contentType: string;
  json: unknown;
  headers: Headers;
}

export function basic(key: string, secret: string): string {
  return "Basic " + Buffer.from(`${key}:${secret}`).toString("base64");
}

/** one API request; `auth` is the default Authorization header (opts.auth overrides, null = none) */
export async function request(baseUrl: string, auth: string, method: string, path: string, opts: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = {};
  const header = opts.auth === undefined ? auth : opts.auth;
  if (header !== null) headers["authorization"] = header;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] = "application/json";
  } else if (opts.raw !== undefined && !(opts.raw === "" && (method === "GET" || method === "HEAD"))) {
    body = opts.raw;
  }
  if (opts.contentType !== undefined) {
    if (opts.contentType === null) delete headers["content-type"];
    else headers["content-type"] = opts.contentType;
  }
  const res = await fetch(baseUrl + path, { method, headers, redirect: "manual", ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, contentType: res.headers.get("content-type") ?? "", json, headers: res.headers };
}

export function call(sim: Simulator, method: string, path: string, opts: CallOptions = {}): Promise<CallResult> {
  return request(sim.url, basic(sim.apiKey, sim.apiSecret), method, path, opts);
}

/** walk a decoded JSON value by keys (keys may contain dots, e.g. "neighbor.address") */
export function at(v: unknown, ...path: Array<string | number>): unknown {
  let cur = v;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[String(k)];
  }
  return cur;
}

export function keysOf(v: unknown): string[] {
  return v !== null && typeof v === "object" ? Object.keys(v) : [];
}

export function rowsOf(r: CallResult): Array<Record<string, unknown>> {
  const rows = at(r.json, "rows");
  return Array.isArray(rows) ? (rows as Array<Record<string, unknown>>) : [];
}

export async function start(opts: SimulatorOptions = {}): Promise<Simulator> {
  return startOpnsenseSimulator({ authFailDelayMs: 0, ...opts });
}

/** the validations map with one-message arrays unwrapped: OPNsense sends a field's messages as a string or an array (§1.5) */
export function validationsOf(r: { json: unknown }): Record<string, unknown> | undefined {
  const v = at(r.json, "validations");
  if (v === null || typeof v !== "object") return undefined;
  return Object.fromEntries(Object.entries(v).map(([k, m]) => [k, Array.isArray(m) && m.length === 1 ? (m[0] as unknown) : m]));
}

/** one field's validation message (see validationsOf) */
export function message(r: { json: unknown }, key: string): unknown {
  return validationsOf(r)?.[key];
}
