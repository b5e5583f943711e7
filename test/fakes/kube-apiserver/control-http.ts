import type { IncomingMessage, ServerResponse } from "node:http";
import type { KubeControl, NodeArgs, ServiceArgs } from "./control.ts";
import type { FailRule } from "./faults.ts";
import { parseJson, readBody, sendJson } from "./http-util.ts";
import { isPlainObject } from "./json.ts";
import { ApiError } from "./status.ts";
import type { WatchHub } from "./watch.ts";
import type { KubeObject, LoadBalancerIngress, MutateOptions, NodeAddress } from "./types.ts";

// JSON control API for tests that run the fake in another process. Mirrors KubeControl;
// see README.md for the route table. Unauthenticated on purpose: it is a test backdoor.

export const CONTROL_PREFIX = "/__fake";

class ControlError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function obj(body: unknown): Record<string, unknown> {
  if (!isPlainObject(body)) throw new ControlError(400, "body must be a JSON object");
  return body;
}

function kvMap(body: unknown): [string, string | null][] {
  const entries = Object.entries(obj(body));
  for (const [, v] of entries) {
    if (v !== null && typeof v !== "string") throw new ControlError(400, "values must be strings or null (null removes the key)");
  }
  return entries as [string, string | null][];
}

function listField<T>(body: unknown, field: string): T[] {
  if (Array.isArray(body)) return body as T[];
  const v = obj(body)[field];
  if (!Array.isArray(v)) throw new ControlError(400, `expected a JSON array or {"${field}": [...]}`);
  return v as T[];
}

export async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL, control: KubeControl, hub: WatchHub): Promise<void> {
  const method = req.method ?? "GET";
  const seg = url.pathname.slice(CONTROL_PREFIX.length).split("/").filter(Boolean).map(decodeURIComponent);
  const q = url.searchParams;
  const mo: MutateOptions = { silent: q.get("silent") === "true" || q.get("silent") === "1" };
  const body = method === "GET" || method === "DELETE" ? undefined : parseJson(await readBody(req));
  const ok = (data: unknown): void => sendJson(res, 200, data);
  // Matches "METHOD /literal/:param/..." and returns the params.
  const m = (pattern: string): string[] | undefined => {
    const [pm, pp] = pattern.split(" ") as [string, string];
    if (pm !== method) return undefined;
    const parts = pp.split("/").filter(Boolean);
    if (parts.length !== seg.length) return undefined;
    const params: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      const actual = seg[i] as string;
      if (part.startsWith(":")) params.push(actual);
      else if (part !== actual) return undefined;
    }
    return params;
  };

  try {
    let p: string[] | undefined;
    if (m("GET /state")) {
      return ok({ resourceVersion: control.resourceVersion(), openWatches: control.openWatches(), watches: hub.describe() });
    }
    if (m("GET /watches")) return ok(hub.describe());
    if ((p = m("GET /objects/:kind"))) return ok(control.list(p[0] as string, q.get("namespace") ?? undefined));
    if ((p = m("GET /objects/:kind/:name") ?? m("GET /objects/:kind/:ns/:name"))) {
      const [kind, x, y] = p as [string, string, string | undefined];
      const found = y === undefined ? control.get(kind, x) : control.get(kind, x, y);
      if (!found) throw new ControlError(404, `${kind} ${y === undefined ? x : `${x}/${y}`} not found`);
      return ok(found);
    }
    if ((p = m("POST /objects/:kind"))) return ok(control.create(p[0] as string, obj(body) as KubeObject, mo));
    if ((p = m("DELETE /objects/:kind/:name"))) return ok(control.remove(p[0] as string, null, p[1] as string, mo));
    if ((p = m("DELETE /objects/:kind/:ns/:name"))) return ok(control.remove(p[0] as string, p[1], p[2] as string, mo));

    if (m("POST /nodes")) return ok(control.createNode(obj(body) as unknown as NodeArgs, mo));
    if ((p = m("POST /nodes/:name/labels") ?? m("POST /nodes/:name/annotations"))) {
      const name = p[0] as string;
      const labels = seg[2] === "labels";
      let last: KubeObject | undefined;
      for (const [k, v] of kvMap(body)) last = labels ? control.labelNode(name, k, v, mo) : control.annotateNode(name, k, v, mo);
      return ok(last ?? control.get("nodes", name));
    }
    if ((p = m("PUT /nodes/:name/addresses"))) return ok(control.setNodeAddresses(p[0] as string, listField<NodeAddress>(body, "addresses"), mo));
    if ((p = m("PUT /nodes/:name/ready"))) return ok(control.setNodeReady(p[0] as string, obj(body).ready !== false, mo));
    if ((p = m("DELETE /nodes/:name"))) return ok(control.deleteNode(p[0] as string, mo));

    if (m("POST /services")) return ok(control.createService(obj(body) as unknown as ServiceArgs | KubeObject, mo));
    if ((p = m("POST /services/:ns/:name/labels") ?? m("POST /services/:ns/:name/annotations"))) {
      const [ns, name] = p as [string, string];
      const labels = seg[3] === "labels";
      let last: KubeObject | undefined;
      for (const [k, v] of kvMap(body)) last = labels ? control.labelService(ns, name, k, v, mo) : control.annotateService(ns, name, k, v, mo);
      return ok(last ?? control.get("services", ns, name));
    }
    if ((p = m("PUT /services/:ns/:name/ingress"))) {
      return ok(control.setServiceIngress(p[0] as string, p[1] as string, listField<string | LoadBalancerIngress>(body, "ingress"), mo));
    }
    if ((p = m("DELETE /services/:ns/:name"))) return ok(control.deleteService(p[0] as string, p[1] as string, mo));

    if (m("POST /drop-watches")) return ok({ dropped: control.dropWatches() });
    if (m("POST /bookmarks")) return ok({ sent: control.sendBookmarks() });
    if (m("POST /compact")) {
      const mode = isPlainObject(body) ? body.expiredAs : undefined;
      if (mode !== undefined && mode !== "http" && mode !== "event") throw new ControlError(400, `expiredAs must be "http" or "event"`);
      return ok({ resourceVersion: control.compact(mode ? { expiredAs: mode } : undefined) });
    }
    if (m("POST /fail-next")) {
      const rule = obj(body) as unknown as FailRule;
      control.failNext(rule);
      return ok({ ok: true });
    }
    if (m("DELETE /fail-next")) {
      control.clearFailures();
      return ok({ ok: true });
    }
    if (m("GET /requests")) {
      const verb = q.get("verb");
      return ok(control.requests({ verb: (verb ?? undefined) as never, method: q.get("method") ?? undefined, path: q.get("path") ?? undefined }));
    }
    if (m("DELETE /requests")) {
      control.clearRequests();
      return ok({ ok: true });
    }
    if (m("GET /events")) return ok(control.events());
    if (m("POST /reset")) {
      control.reset();
      return ok({ ok: true });
    }
    throw new ControlError(404, `no control route ${method} ${url.pathname}; see test/fakes/kube-apiserver/README.md`);
  } catch (e) {
    if (e instanceof ApiError) return sendJson(res, e.code, e.toStatus());
    if (e instanceof ControlError) return sendJson(res, e.status, { error: e.message });
    const msg = (e as Error).message;
    // Control helpers throw plain Errors for unknown objects/kinds.
    return sendJson(res, /does not exist|unknown resource/.test(msg) ? 404 : 400, { error: msg });
  }
}
