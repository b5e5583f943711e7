import { clone, deepEqual, isPlainObject } from "./json.ts";
import { ApiError, badRequest } from "./status.ts";

export type PatchType = "merge" | "strategic" | "json";

export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  const ct = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  if (ct === "application/merge-patch+json") return "merge";
  if (ct === "application/strategic-merge-patch+json") return "strategic";
  if (ct === "application/json-patch+json") return "json";
  return undefined;
}

/** RFC 7386. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// Strategic merge needs per-field metadata from the Go types. Only the list fields that
// show up on Nodes, Services, Events and Leases (plus common pod-ish ones) are listed;
// any other list is replaced, which is also the apiserver's behaviour for atomic lists.
const MERGE_KEYS: Record<string, string> = {
  ports: "port",
  conditions: "type",
  addresses: "type",
  containers: "name",
  initContainers: "name",
  env: "name",
  volumes: "name",
  volumeMounts: "mountPath",
  ownerReferences: "uid",
  imagePullSecrets: "name",
};
const PRIMITIVE_MERGE_LISTS = new Set(["finalizers"]);

function strategicList(field: string, current: unknown, patch: unknown[], order: unknown[] | undefined): unknown[] {
  const mergeKey = MERGE_KEYS[field];
  const cur = Array.isArray(current) ? current : [];
  if (PRIMITIVE_MERGE_LISTS.has(field)) {
    const out = [...cur];
    for (const v of patch) if (!out.some((x) => deepEqual(x, v))) out.push(v);
    return out;
  }
  if (!mergeKey) return clone(patch.filter((p) => !(isPlainObject(p) && "$patch" in p)));
  if (patch.some((p) => isPlainObject(p) && p.$patch === "replace")) {
    return clone(patch.filter((p) => !(isPlainObject(p) && p.$patch === "replace")));
  }
  const out: unknown[] = clone(cur);
  for (const p of patch) {
    if (!isPlainObject(p)) continue;
    const idx = out.findIndex((x) => isPlainObject(x) && deepEqual(x[mergeKey], p[mergeKey]));
    if (p.$patch === "delete") {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMerge(out[idx], p);
    else out.push(strategicMerge(undefined, p));
  }
  if (order) {
    // $setElementOrder lists every element's merge key in the desired order.
    const rank = (x: unknown): number => {
      const i = order.findIndex((o) => isPlainObject(o) && isPlainObject(x) && deepEqual(o[mergeKey], x[mergeKey]));
      return i < 0 ? order.length : i;
    };
    out.sort((a, b) => rank(a) - rank(b));
  }
  return out;
}

/** Strategic merge patch with the directives kubectl emits ($patch, $setElementOrder, $retainKeys, $deleteFromPrimitiveList). */
export function strategicMerge(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  if (patch.$patch === "replace") {
    const rest = { ...patch };
    delete rest.$patch;
    return clone(rest);
  }
  if (patch.$patch === "delete") return undefined;
  const out: Record<string, unknown> = isPlainObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === "$patch" || k === "$retainKeys" || k.startsWith("$setElementOrder/")) continue;
    if (k.startsWith("$deleteFromPrimitiveList/")) {
      const field = k.slice("$deleteFromPrimitiveList/".length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v)) out[field] = cur.filter((x) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v)) {
      const order = patch[`$setElementOrder/${k}`];
      out[k] = strategicList(k, out[k], v, Array.isArray(order) ? order : undefined);
    } else {
      const merged = strategicMerge(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
  }
  const retain = patch.$retainKeys;
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  return out;
}

interface JsonPatchOp {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

function parsePointer(ptr: string): string[] {
  if (ptr === "") return [];
  if (!ptr.startsWith("/")) throw badRequest(`json patch: invalid path ${JSON.stringify(ptr)}`);
  return ptr
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function patchFailure(msg: string): ApiError {
  return new ApiError(422, `the server rejected our request due to an error in our request: ${msg}`, "Invalid");
}

function parentOf(doc: unknown, path: string[], opName: string, raw: string): { parent: unknown; last: string } {
  let cur = doc;
  for (const seg of path.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isPlainObject(cur)) cur = cur[seg];
    else cur = undefined;
    if (cur === undefined) throw patchFailure(`jsonpatch ${opName} operation does not apply: doc is missing path: "${raw}"`);
  }
  return { parent: cur, last: path[path.length - 1] as string };
}

function getAt(doc: unknown, raw: string): unknown {
  let cur = doc;
  for (const seg of parsePointer(raw)) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isPlainObject(cur)) cur = cur[seg];
    else return undefined;
  }
  return cur;
}

function removeAt(doc: unknown, raw: string): unknown {
  const path = parsePointer(raw);
  const { parent, last } = parentOf(doc, path, "remove", raw);
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!Number.isInteger(i) || i < 0 || i >= parent.length) throw patchFailure(`jsonpatch remove operation does not apply: doc is missing path: "${raw}"`);
    return parent.splice(i, 1)[0];
  }
  if (isPlainObject(parent) && Object.hasOwn(parent, last)) {
    const v = parent[last];
    delete parent[last];
    return v;
  }
  throw patchFailure(`jsonpatch remove operation does not apply: doc is missing path: "${raw}"`);
}

function addAt(doc: unknown, raw: string, value: unknown, replace: boolean): unknown {
  const path = parsePointer(raw);
  if (path.length === 0) return clone(value);
  const opName = replace ? "replace" : "add";
  const { parent, last } = parentOf(doc, path, opName, raw);
  if (Array.isArray(parent)) {
    const i = last === "-" ? parent.length : Number(last);
    const max = replace ? parent.length - 1 : parent.length;
    if (!Number.isInteger(i) || i < 0 || i > max) throw patchFailure(`jsonpatch ${opName} operation does not apply: index out of range: "${raw}"`);
    if (replace) parent[i] = clone(value);
    else parent.splice(i, 0, clone(value));
  } else if (isPlainObject(parent)) {
    if (replace && !Object.hasOwn(parent, last)) throw patchFailure(`jsonpatch replace operation does not apply: doc is missing key: "${raw}"`);
    parent[last] = clone(value);
  } else {
    throw patchFailure(`jsonpatch ${opName} operation does not apply: doc is missing path: "${raw}"`);
  }
  return doc;
}

/** RFC 6902 (add, remove, replace, move, copy, test). */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest("json patch: body must be an array of operations");
  let doc = clone(target);
  for (const raw of ops) {
    if (!isPlainObject(raw) || typeof raw.op !== "string" || typeof raw.path !== "string") {
      throw badRequest(`json patch: invalid operation ${JSON.stringify(raw)}`);
    }
    const op = raw as unknown as JsonPatchOp;
    switch (op.op) {
      case "add":
        doc = addAt(doc, op.path, op.value, false);
        break;
      case "replace":
        doc = addAt(doc, op.path, op.value, true);
        break;
      case "remove":
        removeAt(doc, op.path);
        break;
      case "move": {
        if (typeof op.from !== "string") throw badRequest("json patch: move needs from");
        const v = removeAt(doc, op.from);
        doc = addAt(doc, op.path, v, false);
        break;
      }
      case "copy": {
        if (typeof op.from !== "string") throw badRequest("json patch: copy needs from");
        doc = addAt(doc, op.path, getAt(doc, op.from), false);
        break;
      }
      case "test":
        if (!deepEqual(getAt(doc, op.path), op.value)) throw patchFailure(`testing value ${op.path} failed`);
        break;
      default:
        throw badRequest(`json patch: unsupported op ${JSON.stringify(op.op)}`);
    }
  }
  return doc;
}

export function applyPatch(type: PatchType, target: unknown, patch: unknown): unknown {
  switch (type) {
    case "merge":
      return mergePatch(target, patch);
    case "strategic":
      return strategicMerge(target, patch);
    case "json":
      return jsonPatch(target, patch);
  }
}
