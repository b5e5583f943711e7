import type { ServerResponse } from "node:http";
import { apiVersionOf, resourceKey } from "./resources.ts";
import { matchesFields, matchesLabels } from "./selectors.ts";
import type { FieldSelector, LabelSelector } from "./selectors.ts";
import { badRequest, expired, reasonFor, statusBody } from "./status.ts";
import type { Store, StoredEvent } from "./store.ts";
import type { ExpiredWatchMode, JsonValue, KubeObject, ResourceDef, WatchEventType } from "./types.ts";

export interface WatchParams {
  def: ResourceDef;
  namespace: string | undefined;
  labels: LabelSelector;
  fields: FieldSelector;
  resourceVersion: string;
  allowBookmarks: boolean;
  timeoutSeconds: number | undefined;
}

interface OpenWatch {
  key: string;
  res: ServerResponse;
  params: WatchParams;
  close(): void;
}

export interface WatchHubOptions {
  /** Period of BOOKMARK events for watches that asked for them (the apiserver uses ~1 min). */
  bookmarkIntervalMs: number;
  expiredMode(): ExpiredWatchMode;
}

function writeEvent(res: ServerResponse, type: WatchEventType, object: unknown): void {
  if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
}

function startStream(res: ServerResponse): void {
  res.writeHead(200, {
    "Content-Type": "application/json",
    "Cache-Control": "no-cache, private",
    "Transfer-Encoding": "chunked",
  });
  // Clients resolve their request when headers arrive; do not wait for the first event.
  res.flushHeaders();
}

/** The apiserver's way to fail an established watch: 200, one ERROR event, end of stream. */
export function streamError(res: ServerResponse, code: number, message: string, reason = reasonFor(code)): void {
  startStream(res);
  writeEvent(res, "ERROR", statusBody(code, message, reason));
  res.end();
}

function inScope(p: WatchParams, o: KubeObject | undefined): boolean {
  if (!o) return false;
  if (p.namespace && o.metadata.namespace !== p.namespace) return false;
  return matchesLabels(p.labels, o.metadata.labels) && matchesFields(p.fields, o);
}

/**
 * Turns a storage event into what this watcher sees. Like the apiserver's cacher, an
 * object that stops matching the selectors is reported as DELETED (with its previous
 * state at the new resourceVersion) and one that starts matching as ADDED.
 */
export function project(p: WatchParams, ev: StoredEvent): { type: WatchEventType; object: KubeObject } | undefined {
  if (ev.key !== resourceKey(p.def)) return undefined;
  const out = projectStored(p, ev);
  // One store serves every version of a resource (Cilium's v2alpha1/v2): answer in the watched one.
  return out && { type: out.type, object: inVersion(p.def, out.object) };
}

function inVersion(def: ResourceDef, obj: KubeObject): KubeObject {
  return obj.apiVersion === apiVersionOf(def) ? obj : { ...obj, apiVersion: apiVersionOf(def) };
}

function projectStored(p: WatchParams, ev: StoredEvent): { type: WatchEventType; object: KubeObject } | undefined {
  switch (ev.type) {
    case "ADDED":
      return inScope(p, ev.object) ? { type: "ADDED", object: ev.object } : undefined;
    case "DELETED":
      return inScope(p, ev.old ?? ev.object) ? { type: "DELETED", object: ev.object } : undefined;
    case "MODIFIED": {
      const now = inScope(p, ev.object);
      const was = inScope(p, ev.old);
      if (now && was) return { type: "MODIFIED", object: ev.object };
      if (now) return { type: "ADDED", object: ev.object };
      if (was && ev.old) {
        const last: KubeObject = structuredClone(ev.old);
        last.metadata.resourceVersion = String(ev.rv);
        return { type: "DELETED", object: last };
      }
      return undefined;
    }
  }
}

export class WatchHub {
  readonly #store: Store;
  readonly #opts: WatchHubOptions;
  readonly #open = new Set<OpenWatch>();
  readonly #changeListeners = new Set<() => void>();

  constructor(store: Store, opts: WatchHubOptions) {
    this.#store = store;
    this.#opts = opts;
  }

  /** Throws ApiError for a bad or (in "http" mode) expired resourceVersion before any byte is written. */
  serve(res: ServerResponse, p: WatchParams): void {
    const raw = p.resourceVersion;
    const fromScratch = raw === "" || raw === "0";
    let replay: StoredEvent[] = [];
    if (!fromScratch) {
      if (!/^\d+$/.test(raw)) throw badRequest(`resourceVersion: Invalid value: "${raw}": must be a non-negative integer`);
      const rv = Number(raw);
      const hist = this.#store.historyAfter(rv);
      if (!hist) {
        const msg = `too old resource version: ${rv} (${this.#store.compactedRevision})`;
        if (this.#opts.expiredMode() === "http") throw expired(msg);
        streamError(res, 410, msg, "Expired");
        return;
      }
      replay = hist;
    }

    startStream(res);
    if (fromScratch) {
      // Without a resourceVersion a watch starts with synthetic ADDED events for current state.
      for (const o of this.#store.list(p.def, p.namespace)) {
        if (inScope(p, o)) writeEvent(res, "ADDED", inVersion(p.def, o));
      }
    } else {
      for (const ev of replay) {
        const out = project(p, ev);
        if (out) writeEvent(res, out.type, out.object);
      }
    }

    const timers: NodeJS.Timeout[] = [];
    const unsubscribe = this.#store.subscribe((ev) => {
      const out = project(p, ev);
      if (out) writeEvent(res, out.type, out.object);
    });
    const w: OpenWatch = {
      key: resourceKey(p.def),
      res,
      params: p,
      close: () => {
        if (!res.writableEnded) res.end();
      },
    };
    const cleanup = (): void => {
      unsubscribe();
      for (const t of timers) clearTimeout(t);
      if (this.#open.delete(w)) this.#notify();
    };
    res.on("close", cleanup);
    res.on("finish", cleanup);
    if (p.timeoutSeconds !== undefined && p.timeoutSeconds > 0) {
      timers.push(setTimeout(() => w.close(), p.timeoutSeconds * 1000));
    }
    if (p.allowBookmarks && this.#opts.bookmarkIntervalMs > 0) {
      timers.push(setInterval(() => this.#bookmark(w), this.#opts.bookmarkIntervalMs));
    }
    this.#open.add(w);
    this.#notify();
  }

  #bookmark(w: OpenWatch): void {
    const def = w.params.def;
    // All events up to the current resourceVersion have already been written synchronously.
    const object: Record<string, JsonValue> = {
      kind: def.kind,
      apiVersion: apiVersionOf(def),
      metadata: { resourceVersion: String(this.#store.resourceVersion) },
    };
    writeEvent(w.res, "BOOKMARK", object);
  }

  /** Sends a BOOKMARK now on every open watch that asked for bookmarks. */
  sendBookmarks(): number {
    let n = 0;
    for (const w of this.#open) {
      if (w.params.allowBookmarks) {
        this.#bookmark(w);
        n++;
      }
    }
    return n;
  }

  /** Ends every open watch stream cleanly (clients see EOF and re-watch). */
  dropAll(): number {
    const all = [...this.#open];
    for (const w of all) w.close();
    return all.length;
  }

  count(key?: string): number {
    let n = 0;
    for (const w of this.#open) if (key === undefined || w.key === key) n++;
    return n;
  }

  describe(): { resource: string; namespace: string | null; labelSelector: string; fieldSelector: string }[] {
    return [...this.#open].map((w) => ({
      resource: w.key,
      namespace: w.params.namespace ?? null,
      labelSelector: w.params.labels.map((r) => `${r.key} ${r.op} ${r.values.join("|")}`.trim()).join(", "),
      fieldSelector: w.params.fields.map((r) => `${r.field}${r.op}${r.value}`).join(","),
    }));
  }

  onChange(fn: () => void): () => void {
    this.#changeListeners.add(fn);
    return () => this.#changeListeners.delete(fn);
  }

  #notify(): void {
    for (const fn of [...this.#changeListeners]) fn();
  }
}
