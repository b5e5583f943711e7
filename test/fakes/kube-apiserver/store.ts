import { randomUUID } from "node:crypto";
import { applyCreateDefaults, createAllocators } from "./defaults.ts";
import { clone, deepEqual } from "./json.ts";
import { apiVersionOf, findResource, RESOURCES, resourceKey } from "./resources.ts";
import { alreadyExists, conflict, invalid, notFound } from "./status.ts";
import type { KubeObject, ResourceDef } from "./types.ts";

export interface StoredEvent {
  rv: number;
  key: string;
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: KubeObject;
  /** State before the change; lets watchers turn "stopped matching" into DELETED. */
  old: KubeObject | undefined;
}

export interface WriteOptions {
  silent?: boolean;
  dryRun?: boolean;
}

export interface UpdateOptions extends WriteOptions {
  /** "status": only status changes; undefined: status is kept; "all": privileged write of both (test control). */
  subresource?: "status" | "all";
}

export interface DeleteOptions extends WriteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
}

const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAMESPACES = findResource("", "v1", "namespaces") as ResourceDef;

function now(): string {
  // The apiserver serialises timestamps with second precision.
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

function objKey(ns: string | undefined, name: string): string {
  return `${ns ?? ""}/${name}`;
}

/**
 * In-memory storage with the apiserver's consistency model: one global resourceVersion
 * counter, an event history that watches replay from, and a compaction point below which
 * watches are refused with 410.
 */
export class Store {
  #rv: number;
  #compactedRv: number;
  #objects = new Map<string, Map<string, KubeObject>>();
  #history: StoredEvent[] = [];
  #listeners = new Set<(ev: StoredEvent) => void>();
  #alloc = createAllocators();
  #generateCounter = 0;

  constructor(startRv = 1000) {
    this.#rv = startRv;
    this.#compactedRv = startRv;
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  get compactedRevision(): number {
    return this.#compactedRv;
  }

  #bucket(def: ResourceDef): Map<string, KubeObject> {
    const key = resourceKey(def);
    let b = this.#objects.get(key);
    if (!b) {
      b = new Map();
      this.#objects.set(key, b);
    }
    return b;
  }

  #record(def: ResourceDef, type: StoredEvent["type"], object: KubeObject, old: KubeObject | undefined, silent: boolean | undefined): void {
    if (silent) return;
    const ev: StoredEvent = { rv: this.#rv, key: resourceKey(def), type, object: clone(object), old: old && clone(old) };
    this.#history.push(ev);
    for (const l of this.#listeners) l(ev);
  }

  list(def: ResourceDef, namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const o of this.#bucket(def).values()) {
      if (namespace && o.metadata.namespace !== namespace) continue;
      out.push(clone(o));
    }
    // etcd returns keys in order; clients and kubectl output rely on that being stable.
    return out.sort((a, b) => objKey(a.metadata.namespace, a.metadata.name ?? "").localeCompare(objKey(b.metadata.namespace, b.metadata.name ?? "")));
  }

  get(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.#bucket(def).get(objKey(def.namespaced ? namespace : undefined, name));
    return o && clone(o);
  }

  #require(def: ResourceDef, namespace: string | undefined, name: string): KubeObject {
    const o = this.#bucket(def).get(objKey(def.namespaced ? namespace : undefined, name));
    if (!o) throw notFound(def.plural, def.group, name);
    return o;
  }

  create(def: ResourceDef, input: KubeObject, opts: WriteOptions = {}): KubeObject {
    const obj = clone(input);
    obj.metadata ??= {};
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) {
      meta.name = `${meta.generateName}${(++this.#generateCounter).toString(36).padStart(5, "x")}`;
    }
    const name = meta.name ?? "";
    if (!name) throw invalid(def.kind, "", "metadata.name: Required value: name or generateName is required");
    if (!NAME_RE.test(name) || name.length > 253) {
      throw invalid(def.kind, name, `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`);
    }
    if (def.namespaced) {
      if (!meta.namespace) meta.namespace = "default";
      if (!this.#bucket(NAMESPACES).has(objKey(undefined, meta.namespace))) {
        throw notFound("namespaces", "", meta.namespace);
      }
    } else {
      delete meta.namespace;
    }
    const bucket = this.#bucket(def);
    const k = objKey(meta.namespace, name);
    if (bucket.has(k)) throw alreadyExists(def.plural, def.group, name);

    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    const ts = now();
    meta.uid = randomUUID();
    meta.creationTimestamp = ts;
    meta.generation = 1;
    delete meta.deletionTimestamp;
    applyCreateDefaults(def.plural, def.group, obj, this.#alloc, ts);
    if (opts.dryRun) {
      meta.resourceVersion = String(this.#rv);
      return obj;
    }
    meta.resourceVersion = String(++this.#rv);
    bucket.set(k, obj);
    this.#record(def, "ADDED", obj, undefined, opts.silent);
    return clone(obj);
  }

  update(def: ResourceDef, input: KubeObject, opts: UpdateOptions = {}): KubeObject {
    const name = input.metadata?.name ?? "";
    const ns = def.namespaced ? input.metadata?.namespace : undefined;
    const existing = this.#require(def, ns, name);
    const meta = input.metadata;
    if (meta.resourceVersion && meta.resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(def.plural, def.group, name);
    }
    if (meta.uid && meta.uid !== existing.metadata.uid) {
      throw conflict(def.plural, def.group, name);
    }
    const next = clone(input);
    next.apiVersion = apiVersionOf(def);
    next.kind = def.kind;
    // System-owned metadata cannot be changed by clients.
    next.metadata.uid = existing.metadata.uid;
    next.metadata.creationTimestamp = existing.metadata.creationTimestamp;
    next.metadata.generation = existing.metadata.generation;
    next.metadata.resourceVersion = existing.metadata.resourceVersion;
    if (def.namespaced) next.metadata.namespace = existing.metadata.namespace;
    else delete next.metadata.namespace;
    if (def.subresources.includes("status") && opts.subresource !== "all") {
      // The main resource ignores status; the status subresource ignores spec.
      if (opts.subresource === "status") {
        if (existing.spec === undefined) delete next.spec;
        else next.spec = clone(existing.spec);
      } else if (existing.status === undefined) delete next.status;
      else next.status = clone(existing.status);
    }
    if (deepEqual(next, existing)) return clone(existing); // no-op writes keep the resourceVersion
    if (!deepEqual(next.spec, existing.spec)) next.metadata.generation = (existing.metadata.generation ?? 1) + 1;
    if (opts.dryRun) return next;
    next.metadata.resourceVersion = String(++this.#rv);
    this.#bucket(def).set(objKey(ns, name), next);
    this.#record(def, "MODIFIED", next, existing, opts.silent);
    return clone(next);
  }

  delete(def: ResourceDef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): KubeObject {
    const ns = def.namespaced ? namespace : undefined;
    const existing = this.#require(def, ns, name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== existing.metadata.uid) throw conflict(def.plural, def.group, name);
    if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(def.plural, def.group, name);
    }
    if (opts.dryRun) return clone(existing);
    if (def === NAMESPACES) {
      // Namespace deletion is asynchronous in a real cluster; here the contents go at once.
      for (const d of RESOURCES) {
        if (!d.namespaced) continue;
        for (const o of this.list(d, name)) this.delete(d, name, o.metadata.name ?? "", { silent: opts.silent });
      }
    }
    this.#bucket(def).delete(objKey(ns, name));
    const gone = clone(existing);
    // A DELETED event carries the resourceVersion of the deletion, so watchers can resume after it.
    gone.metadata.resourceVersion = String(++this.#rv);
    this.#record(def, "DELETED", gone, existing, opts.silent);
    return clone(gone);
  }

  /** Forget history: watches from any earlier resourceVersion will get 410. */
  compact(): number {
    this.#history = [];
    this.#compactedRv = this.#rv;
    return this.#rv;
  }

  /** Events after `rv`, or undefined when `rv` is older than the compaction point. */
  historyAfter(rv: number): StoredEvent[] | undefined {
    if (rv < this.#compactedRv) return undefined;
    return this.#history.filter((e) => e.rv > rv);
  }

  subscribe(listener: (ev: StoredEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Drop every object silently and forget history (resourceVersion keeps counting up). */
  clear(): void {
    this.#objects.clear();
    // Bump first so that every resourceVersion a client holds is now below the compaction point.
    this.#rv++;
    this.compact();
  }
}
