/**
 * A list-then-watch cache of one resource, with client-node's ListWatch semantics (which the agent
 * used before kube-rest.ts): relist when the watch reports 410 Gone, reconnect at once after a
 * client-side timeout, reconnect with a growing delay after the server closed the stream, and on
 * any other failure emit `error` and stop (restarting is the caller's job: watch.ts).
 */
import type { KubeList, KubeObject, WatchHandle } from "./kube-rest.ts";

export type InformerVerb = "add" | "update" | "delete" | "error";

export type ListWatchSource = {
  list(): Promise<KubeList>;
  watch(resourceVersion: string, onEvent: (type: string, object: KubeObject) => void, done: (err: Error | null) => void): Promise<WatchHandle>;
};

const BASE_RECONNECT_DELAY_MS = 1000;
const MAX_RECONNECT_DELAY_MS = 30_000;

function key(o: KubeObject): string {
  return `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
}

function sameVersion(a: KubeObject, b: KubeObject): boolean {
  const v = a.metadata?.resourceVersion;
  return v !== undefined && v === b.metadata?.resourceVersion;
}

function statusOf(err: Error): number | undefined {
  const code = (err as { statusCode?: unknown; code?: unknown }).statusCode ?? (err as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

export class ListWatch {
  readonly #source: ListWatchSource;
  readonly #delay: (ms: number) => Promise<void>;
  #objects = new Map<string, KubeObject>();
  readonly #callbacks: Record<InformerVerb, ((arg: KubeObject | Error) => void)[]> = { add: [], update: [], delete: [], error: [] };
  #resourceVersion = "";
  #request: WatchHandle | undefined;
  #stopped = false;
  #reconnectDelayMs = 0;
  #hasConnected = false;

  constructor(source: ListWatchSource, options: { delayFn?: (ms: number) => Promise<void> } = {}) {
    this.#source = source;
    this.#delay = options.delayFn ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  on(verb: "add" | "update" | "delete", cb: (obj: KubeObject) => void): void;
  on(verb: "error", cb: (err: Error) => void): void;
  on(verb: InformerVerb, cb: ((obj: KubeObject) => void) | ((err: Error) => void)): void {
    this.#callbacks[verb].push(cb as (arg: KubeObject | Error) => void);
  }

  list(): KubeObject[] {
    return [...this.#objects.values()];
  }

  /** Resolves once the first LIST has been attempted and the watch opened (or failed). */
  async start(): Promise<void> {
    this.#stopped = false;
    this.#reconnectDelayMs = 0;
    this.#hasConnected = false;
    await this.#done(null);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort();
  }

  #emit(verb: InformerVerb, arg: KubeObject | Error): void {
    for (const cb of this.#callbacks[verb].slice()) cb(arg);
  }

  #abort(): void {
    this.#request?.abort();
    this.#request = undefined;
  }

  #addOrUpdate(obj: KubeObject): void {
    const k = key(obj);
    const found = this.#objects.get(k);
    if (found === undefined) {
      this.#objects.set(k, obj);
      this.#emit("add", obj);
    } else if (!sameVersion(found, obj)) {
      this.#objects.set(k, obj);
      this.#emit("update", obj);
    }
  }

  async #done(err: Error | null): Promise<void> {
    this.#abort();
    if (err && statusOf(err) === 410) this.#resourceVersion = "";
    else if (err && err.name === "TimeoutError") this.#reconnectDelayMs = 0;
    else if (err) {
      if (!this.#stopped) this.#emit("error", err);
      return;
    }
    if (this.#stopped) return;
    if (!this.#resourceVersion) {
      let list: KubeList;
      try {
        list = await this.#source.list();
      } catch (e) {
        if (!this.#stopped) this.#emit("error", e instanceof Error ? e : new Error(String(e)));
        return;
      }
      const fresh = new Set(list.items.map(key));
      for (const [k, old] of this.#objects) {
        if (fresh.has(k)) continue;
        this.#objects.delete(k);
        this.#emit("delete", old);
      }
      for (const obj of list.items) this.#addOrUpdate(obj);
      this.#resourceVersion = list.metadata?.resourceVersion ?? "";
    }
    if (this.#reconnectDelayMs > 0 && this.#hasConnected) await this.#delay(this.#reconnectDelayMs);
    if (this.#hasConnected) {
      this.#reconnectDelayMs = Math.min(this.#reconnectDelayMs > 0 ? this.#reconnectDelayMs * 2 : BASE_RECONNECT_DELAY_MS, MAX_RECONNECT_DELAY_MS);
    }
    this.#hasConnected = true;
    if (this.#stopped) return;
    this.#request = await this.#source.watch(this.#resourceVersion, (type, obj) => this.#event(type, obj), (e) => void this.#done(e));
  }

  #event(type: string, obj: KubeObject): void {
    switch (type) {
      case "ERROR":
        // The server ends the stream after an ERROR; 410 means our version is too old: relist.
        if ((obj as { code?: unknown }).code === 410) this.#resourceVersion = "";
        return;
      case "ADDED":
      case "MODIFIED":
        this.#addOrUpdate(obj);
        break;
      case "DELETED": {
        const k = key(obj);
        if (this.#objects.delete(k)) this.#emit("delete", obj);
        break;
      }
      case "BOOKMARK":
        break;
    }
    this.#reconnectDelayMs = 0;
    this.#resourceVersion = obj.metadata?.resourceVersion ?? "";
  }
}
