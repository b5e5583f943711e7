/**
 * The OPNsense target of the agent-level scenarios and a small API reader for their assertions.
 * With `OPNSENSE_REAL_URL` set the target is that box (`OPNSENSE_REAL_KEY`, `OPNSENSE_REAL_SECRET`,
 * `OPNSENSE_REAL_VERSION`); unset, it is the simulator at each version it offers. Either way the
 * scenarios look at the router only through its API (model-level `get`, §2.4, and `get<Item>`),
 * never through the simulator's control API, so one assertion judges both.
 *
 * Written from the contract, not from the agent's client: the scenarios must not share its bugs.
 */
import { startOpnsenseSimulator, VERSIONS } from "../fakes/opnsense/index.ts";
import { realEnv } from "../fakes/opnsense/real-env.ts";

export type Target = { readonly url: string; readonly key: string; readonly secret: string; close(): Promise<void> };
export type TargetSpec = { readonly label: string; readonly version: string; readonly real: boolean; start(): Promise<Target> };

export function targetSpecs(): TargetSpec[] {
  const real = realEnv();
  if (real) return [{ label: `real OPNsense ${real.version}`, version: real.version, real: true, start: async () => ({ ...real, close: async () => {} }) }];
  return VERSIONS.map((version) => ({
    label: `simulator ${version}`,
    version,
    real: false,
    start: async () => {
      const sim = await startOpnsenseSimulator({ version, authFailDelayMs: 0 });
      return { url: sim.url, key: sim.apiKey, secret: sim.apiSecret, close: () => sim.close() };
    },
  }));
}

/** `a` ≥ `b` for release numbers like `26.1.11`, `26.1` (= 26.1.0) or `26.7`. */
export function versionAtLeast(a: string, b: string): boolean {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

type Json = unknown;
/** An item as the API shows it, option maps reduced to their selected keys (comma-joined, as they are posted). */
export type Flat = Record<string, string>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `{key:{value,selected}}` option maps → selected keys; strings stay; the order of keys kept. */
export function flatten(item: Record<string, unknown>): Flat {
  const out: Flat = {};
  for (const [k, v] of Object.entries(item)) {
    if (isRecord(v)) {
      out[k] = Object.entries(v)
        .filter(([, o]) => isRecord(o) && (o["selected"] === 1 || o["selected"] === "1" || o["selected"] === true))
        .map(([key]) => key)
        .join(",");
    } else out[k] = v === null || v === undefined ? "" : String(v);
  }
  return out;
}

export type RouterApi = ReturnType<typeof routerApi>;

export function routerApi(t: { url: string; key: string; secret: string }) {
  const auth = `Basic ${Buffer.from(`${t.key}:${t.secret}`).toString("base64")}`;

  async function call(method: "GET" | "POST", path: string, body?: Json): Promise<{ status: number; json: Json }> {
    const res = await fetch(`${t.url}/api/${path}`, {
      method,
      headers: { authorization: auth, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: Json = text;
    try {
      json = JSON.parse(text) as Json;
    } catch {
      // keep the text: the caller's assertion shows it
    }
    return { status: res.status, json };
  }

  async function get(path: string): Promise<Record<string, unknown>> {
    const r = await call("GET", path);
    if (r.status !== 200 || !isRecord(r.json)) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
    return r.json;
  }

  async function post(path: string, body?: Json): Promise<Record<string, unknown>> {
    const r = await call("POST", path, body);
    if (r.status !== 200 || !isRecord(r.json) || r.json["result"] === "failed") throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.json).slice(0, 400)}`);
    return r.json;
  }

  function items(root: unknown, ...path: string[]): Record<string, Flat> {
    let node: unknown = root;
    for (const p of path) node = isRecord(node) ? node[p] : undefined;
    const out: Record<string, Flat> = {};
    if (isRecord(node)) for (const [uuid, item] of Object.entries(node)) if (isRecord(item)) out[uuid] = flatten(item);
    return out;
  }

  return {
    call,
    get,
    post,
    async neighbors(): Promise<Record<string, Flat>> {
      return items(await get("quagga/bgp/get"), "bgp", "neighbors", "neighbor");
    },
    async prefixRows(): Promise<Record<string, Flat>> {
      return items(await get("quagga/bgp/get"), "bgp", "prefixlists", "prefixlist");
    },
    async aliases(): Promise<Record<string, Flat>> {
      return items(await get("firewall/alias/get"), "alias", "aliases", "alias");
    },
    async rules(): Promise<Record<string, Flat>> {
      return items(await get("firewall/filter/get"), "filter", "rules", "rule");
    },
    /** The grid (§6 lists no model-level `get` for categories). */
    async categories(): Promise<Record<string, Flat>> {
      const rows = (await get("firewall/category/searchItem"))["rows"];
      const out: Record<string, Flat> = {};
      if (Array.isArray(rows)) for (const r of rows) if (isRecord(r) && typeof r["uuid"] === "string") out[r["uuid"]] = flatten(r);
      return out;
    },
    /** One rule through `getRule/{uuid}` (the per-item read, §2.2). */
    async rule(uuid: string): Promise<Flat | null> {
      const r = await get(`firewall/filter/getRule/${uuid}`);
      return isRecord(r["rule"]) ? flatten(r["rule"]) : null;
    },
    async neighbor(uuid: string): Promise<Flat | null> {
      const r = await get(`quagga/bgp/getNeighbor/${uuid}`);
      return isRecord(r["neighbor"]) ? flatten(r["neighbor"]) : null;
    },
  };
}
