import type { IncomingMessage, ServerResponse } from "node:http";
import { apiGroupDoc, apiGroupList, apiResourceList, apiVersions, versionInfo } from "./discovery.ts";
import type { FaultInjector } from "./faults.ts";
import { parseJson, readBody, sendJson } from "./http-util.ts";
import { isPlainObject } from "./json.ts";
import { openApiV3GroupVersion, openApiV3Root } from "./openapi.ts";
import { applyPatch, patchTypeOf } from "./patch.ts";
import { apiVersionOf, findResource, SERVE_ALL, type Served } from "./resources.ts";
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from "./selectors.ts";
import { ApiError, badRequest, notFound, statusBody } from "./status.ts";
import type { Store } from "./store.ts";
import { toTable, wantsTable } from "./table.ts";
import type { KubeObject, RequestRecord, ResourceDef, Verb } from "./types.ts";
import { streamError } from "./watch.ts";
import type { WatchHub } from "./watch.ts";

export interface ApiContext {
  store: Store;
  hub: WatchHub;
  faults: FaultInjector;
  /** host:port as clients reach us, for /api's serverAddressByClientCIDRs. */
  serverAddress(): string;
  /** Resources this instance serves (default: all). */
  served?: Served;
}

export interface ResourceTarget {
  def: ResourceDef;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  /** Old-style /api/v1/watch/... path. */
  legacyWatch: boolean;
}

type Parsed =
  | { kind: "resource"; target: ResourceTarget }
  | { kind: "discovery"; body: Record<string, unknown> }
  | { kind: "openapi"; body: Record<string, unknown> | undefined }
  | { kind: "notfound" };

const NOT_FOUND_MSG = "the server could not find the requested resource";

export function parsePath(pathname: string, serverAddress: string, served: Served = SERVE_ALL): Parsed {
  const seg = pathname.split("/").filter((s) => s !== "").map(decodeURIComponent);
  if (pathname === "/version" || pathname === "/version/") return { kind: "discovery", body: versionInfo() };
  if (seg[0] === "openapi") {
    if (seg[1] !== "v3") return { kind: "openapi", body: undefined };
    return { kind: "openapi", body: seg.length === 2 ? openApiV3Root(served) : openApiV3GroupVersion(seg.slice(2).join("/"), served) };
  }
  let group: string;
  let version: string | undefined;
  let rest: string[];
  if (seg[0] === "api") {
    if (seg.length === 1) return { kind: "discovery", body: apiVersions(serverAddress) };
    group = "";
    version = seg[1];
    rest = seg.slice(2);
  } else if (seg[0] === "apis") {
    if (seg.length === 1) return { kind: "discovery", body: apiGroupList(served) };
    group = seg[1] as string;
    if (seg.length === 2) {
      const doc = apiGroupDoc(group, served);
      return doc ? { kind: "discovery", body: doc } : { kind: "notfound" };
    }
    version = seg[2];
    rest = seg.slice(3);
  } else {
    return { kind: "notfound" };
  }
  if (version === undefined) return { kind: "notfound" };
  if (rest.length === 0) {
    const doc = apiResourceList(group, version, served);
    return doc ? { kind: "discovery", body: doc } : { kind: "notfound" };
  }
  let legacyWatch = false;
  if (rest[0] === "watch") {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  if (rest[0] === "namespaces" && rest.length >= 3) {
    const nsDef = findResource(group, version, rest[2] as string, served);
    if (nsDef) {
      if (!nsDef.namespaced || rest.length > 5) return { kind: "notfound" };
      return { kind: "resource", target: { def: nsDef, namespace: rest[1], name: rest[3], subresource: rest[4], legacyWatch } };
    }
  }
  const def = findResource(group, version, rest[0] as string, served);
  if (!def || rest.length > 3) return { kind: "notfound" };
  // A namespaced resource has no per-object URL outside a namespace.
  if (def.namespaced && rest.length > 1) return { kind: "notfound" };
  return { kind: "resource", target: { def, namespace: undefined, name: rest[1], subresource: rest[2], legacyWatch } };
}

export function verbOf(method: string, t: ResourceTarget, query: URLSearchParams): Verb | undefined {
  const watch = t.legacyWatch || query.get("watch") === "true" || query.get("watch") === "1";
  switch (method) {
    case "GET":
      if (watch) return "watch";
      return t.name === undefined ? "list" : "get";
    case "POST":
      return t.name === undefined ? "create" : undefined;
    case "PUT":
      return t.name === undefined ? undefined : "update";
    case "PATCH":
      return t.name === undefined ? undefined : "patch";
    case "DELETE":
      return t.name === undefined ? "deletecollection" : "delete";
    default:
      return undefined;
  }
}

/** Classifies a request for the log and for failNext before it is handled. */
export function classify(method: string, pathname: string, query: URLSearchParams, served: Served = SERVE_ALL): RequestRecord["verb"] {
  if (pathname.startsWith("/__fake/")) return "control";
  const p = parsePath(pathname, "", served);
  if (p.kind === "discovery" || p.kind === "openapi") return "discovery";
  if (p.kind === "notfound") return "other";
  return verbOf(method, p.target, query) ?? "other";
}

function wrongMethod(method: string): ApiError {
  return new ApiError(405, `the server does not allow this method on the requested resource (${method})`, "MethodNotAllowed");
}

function selectors(def: ResourceDef, query: URLSearchParams): { labels: ReturnType<typeof parseLabelSelector>; fields: ReturnType<typeof parseFieldSelector> } {
  return {
    labels: parseLabelSelector(query.get("labelSelector")),
    fields: parseFieldSelector(query.get("fieldSelector"), def.fieldSelectors),
  };
}

function bodyObject(def: ResourceDef, raw: unknown): KubeObject {
  if (!isPlainObject(raw)) throw badRequest("the request body must be a JSON object");
  const obj = raw as KubeObject;
  if (!isPlainObject(obj.metadata)) obj.metadata = {};
  if (obj.kind !== undefined && obj.kind !== def.kind) {
    throw badRequest(`the kind of the provided object (${String(obj.kind)}) does not match the resource (${def.kind})`);
  }
  if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(def)) {
    throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(def)})`);
  }
  return obj;
}

function checkIdentity(def: ResourceDef, t: ResourceTarget, obj: KubeObject): void {
  const meta = obj.metadata;
  if (def.namespaced) {
    if (meta.namespace !== undefined && meta.namespace !== "" && meta.namespace !== t.namespace) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    meta.namespace = t.namespace;
  }
  if (t.name !== undefined) {
    if (meta.name !== undefined && meta.name !== t.name) {
      throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${t.name})`);
    }
    meta.name = t.name;
  }
}

function subresourceOf(def: ResourceDef, t: ResourceTarget): "status" | undefined {
  if (t.subresource === undefined) return undefined;
  if (t.subresource === "status" && def.subresources.includes("status")) return "status";
  throw new ApiError(404, NOT_FOUND_MSG, "NotFound");
}

/** One object served in several versions (Cilium's v2alpha1/v2): answered in the version asked for. */
export function asVersion(def: ResourceDef, obj: KubeObject): KubeObject {
  return obj.apiVersion === apiVersionOf(def) ? obj : { ...obj, apiVersion: apiVersionOf(def) };
}

export async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ApiContext): Promise<void> {
  const method = req.method ?? "GET";
  const parsed = parsePath(url.pathname, ctx.serverAddress(), ctx.served);
  if (parsed.kind === "notfound" || (parsed.kind === "openapi" && parsed.body === undefined)) {
    throw new ApiError(404, NOT_FOUND_MSG, "NotFound");
  }
  if (parsed.kind === "discovery" || parsed.kind === "openapi") {
    if (method !== "GET") throw wrongMethod(method);
    sendJson(res, 200, parsed.body);
    return;
  }
  const t = parsed.target;
  const def = t.def;
  const q = url.searchParams;
  const verb = verbOf(method, t, q);
  if (!verb) throw wrongMethod(method);

  const fault = ctx.faults.take(url.pathname, verb);
  if (fault) {
    if (fault.inStream && verb === "watch") streamError(res, fault.status, fault.message, fault.reason);
    else sendJson(res, fault.status, statusBody(fault.status, fault.message, fault.reason));
    return;
  }

  const dryRun = q.getAll("dryRun").includes("All");
  const { store } = ctx;
  switch (verb) {
    case "list": {
      const sel = selectors(def, q);
      const rv = String(store.resourceVersion);
      const items = store.list(def, t.namespace).filter((o) => matchesLabels(sel.labels, o.metadata.labels) && matchesFields(sel.fields, o)).map((o) => asVersion(def, o));
      if (wantsTable(req.headers.accept)) {
        sendJson(res, 200, toTable(def, items, rv, q.get("includeObject") ?? undefined));
        return;
      }
      // limit/continue are accepted but everything is returned in one page (no continue token).
      sendJson(res, 200, { kind: def.listKind, apiVersion: apiVersionOf(def), metadata: { resourceVersion: rv }, items });
      return;
    }
    case "watch": {
      const sel = selectors(def, q);
      const timeout = q.get("timeoutSeconds");
      ctx.hub.serve(res, {
        def,
        namespace: t.namespace,
        labels: sel.labels,
        fields: sel.fields,
        resourceVersion: q.get("resourceVersion") ?? "",
        allowBookmarks: q.get("allowWatchBookmarks") === "true",
        timeoutSeconds: timeout === null ? undefined : Number(timeout),
      });
      return;
    }
    case "get": {
      subresourceOf(def, t);
      const stored = store.get(def, t.namespace, t.name as string);
      if (!stored) throw notFound(def.plural, def.group, t.name as string);
      const obj = asVersion(def, stored);
      if (wantsTable(req.headers.accept)) sendJson(res, 200, toTable(def, [obj], obj.metadata.resourceVersion ?? "", q.get("includeObject") ?? undefined));
      else sendJson(res, 200, obj);
      return;
    }
    case "create": {
      const obj = bodyObject(def, parseJson(await readBody(req)));
      checkIdentity(def, t, obj);
      sendJson(res, 201, store.create(def, obj, { dryRun }));
      return;
    }
    case "update": {
      const sub = subresourceOf(def, t);
      const obj = bodyObject(def, parseJson(await readBody(req)));
      checkIdentity(def, t, obj);
      sendJson(res, 200, store.update(def, obj, { dryRun, subresource: sub }));
      return;
    }
    case "patch": {
      const sub = subresourceOf(def, t);
      const type = patchTypeOf(req.headers["content-type"]);
      if (!type) {
        throw new ApiError(415, `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`, "UnsupportedMediaType");
      }
      const patch = parseJson(await readBody(req));
      const current = store.get(def, t.namespace, t.name as string);
      if (!current) throw notFound(def.plural, def.group, t.name as string);
      const patched = applyPatch(type, current, patch ?? {});
      if (!isPlainObject(patched) || !isPlainObject(patched.metadata)) {
        throw new ApiError(422, "the patched object is not a valid object", "Invalid");
      }
      const obj = patched as KubeObject;
      checkIdentity(def, t, obj);
      sendJson(res, 200, store.update(def, obj, { dryRun, subresource: sub }));
      return;
    }
    case "delete": {
      if (t.subresource !== undefined) throw wrongMethod(method);
      const opts = parseJson(await readBody(req));
      const pre = isPlainObject(opts) && isPlainObject(opts.preconditions) ? opts.preconditions : undefined;
      const bodyDryRun = isPlainObject(opts) && Array.isArray(opts.dryRun) && opts.dryRun.includes("All");
      sendJson(
        res,
        200,
        store.delete(def, t.namespace, t.name as string, {
          dryRun: dryRun || bodyDryRun,
          preconditions: pre ? { uid: typeof pre.uid === "string" ? pre.uid : undefined, resourceVersion: typeof pre.resourceVersion === "string" ? pre.resourceVersion : undefined } : undefined,
        }),
      );
      return;
    }
    case "deletecollection": {
      const sel = selectors(def, q);
      const victims = store.list(def, t.namespace).filter((o) => matchesLabels(sel.labels, o.metadata.labels) && matchesFields(sel.fields, o));
      const items = victims.map((o) => store.delete(def, o.metadata.namespace, o.metadata.name ?? "", { dryRun }));
      sendJson(res, 200, { kind: def.listKind, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(store.resourceVersion) }, items });
      return;
    }
  }
}
