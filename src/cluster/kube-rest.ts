/**
 * The few Kubernetes API requests the agent makes, over node:http(s), with client-node's
 * KubeConfig for the server, credentials and TLS (it re-reads a projected token on every request).
 *
 * Why not client-node's generated API classes (CoreV1Api, CoordinationV1Api, CustomObjectsApi) and
 * its ListWatch: they load its whole generated API and model serializer (~1 MB of bundle, ~6 MB of
 * RSS in an idle agent) for a handful of requests whose replies the agent validates itself.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { STATUS_CODES, request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { createInterface } from "node:readline";
import { z } from "zod";

/** ObjectMeta: the fields the agent reads; everything else is kept as it came (a PUT sends it back). */
const objectMeta = z.looseObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  labels: z.record(z.string(), z.string()).nullish(),
  annotations: z.record(z.string(), z.string()).nullish(),
});
export const kubeObject = z.looseObject({ apiVersion: z.string().optional(), kind: z.string().optional(), metadata: objectMeta.optional() });
export type KubeObject = z.infer<typeof kubeObject>;

export const kubeList = z.looseObject({ metadata: z.looseObject({ resourceVersion: z.string().optional() }).optional(), items: z.array(kubeObject).nullish() });
export type KubeList = { readonly items: KubeObject[]; readonly metadata?: { readonly resourceVersion?: string | undefined } | undefined };

/** One line of a watch stream (WatchEvent). */
const watchEvent = z.object({ type: z.string(), object: kubeObject });

/** The Status object the API server answers an error with. */
const statusReply = z.looseObject({ message: z.string().optional() });

/** A non-2xx reply; `statusCode` (and `code`, as client-node's errors had) is the HTTP status. */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  readonly statusCode: number;
  readonly code: number;
  constructor(message: string, statusCode: number) {
    super(message);
    this.statusCode = statusCode;
    this.code = statusCode;
  }
}

/** A reply that is not the JSON the request expects. */
export class KubeReplyError extends Error {
  override readonly name = "KubeReplyError";
}

export type Query = Readonly<Record<string, string | undefined>>;

/** A running watch; abort() ends it without calling its `done`. */
export type WatchHandle = { abort(): void };

export type KubeRest = {
  get<S extends z.ZodType>(path: string, schema: S, query?: Query): Promise<z.infer<S>>;
  list(path: string, query?: Query): Promise<KubeList>;
  put<S extends z.ZodType>(path: string, body: unknown, schema: S): Promise<z.infer<S>>;
  post<S extends z.ZodType>(path: string, body: unknown, schema: S): Promise<z.infer<S>>;
  /**
   * A watch stream from `resourceVersion`: `onEvent` per event, `done` once when it ends (null: the
   * server closed it; a TimeoutError after `inactivityMs` without a byte; else the failure).
   */
  watch(path: string, query: Query, onEvent: (type: string, object: KubeObject) => void, done: (err: Error | null) => void): Promise<WatchHandle>;
};

/** undici's default header/body timeouts, which the generated API client requests had. */
const REQUEST_TIMEOUT_MS = 300_000;
/** client-node's Watch gave up on a silent stream after 30 s; its ListWatch then reconnects at once. */
const WATCH_INACTIVITY_MS = 30_000;
const USER_AGENT = "opnsense-bgp-agent";

export function createKubeRest(kc: KubeConfig, opts: { watchInactivityMs?: number } = {}): KubeRest {
  const inactivityMs = opts.watchInactivityMs ?? WATCH_INACTIVITY_MS;

  async function open(method: string, path: string, query: Query, body?: string): Promise<{ res: IncomingMessage; abort: () => void }> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig has no current cluster");
    const url = new URL(cluster.server + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    const options: RequestOptions = {
      method,
      headers: { Accept: "application/json", "User-Agent": USER_AGENT, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
    };
    await kc.applyToHTTPSOptions(options);
    const send = url.protocol === "http:" ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, options, (res) => resolve({ res, abort: () => req.destroy() }));
      req.on("error", reject);
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(timeoutError()));
      req.end(body);
    });
  }

  async function readBody(res: IncomingMessage): Promise<string> {
    res.setEncoding("utf8");
    let text = "";
    for await (const chunk of res) text += chunk as string;
    return text;
  }

  function failure(method: string, path: string, status: number, text: string): KubeApiError {
    let message = STATUS_CODES[status] ?? "error";
    try {
      const parsed = statusReply.safeParse(JSON.parse(text));
      if (parsed.success && parsed.data.message) message = parsed.data.message;
    } catch {
      // Not a Status object (a proxy's page): the status line says enough.
    }
    return new KubeApiError(`${method} ${path}: ${message.split("\n")[0] ?? ""}`, status);
  }

  async function call<S extends z.ZodType>(method: string, path: string, schema: S, query: Query = {}, body?: unknown): Promise<z.infer<S>> {
    const { res } = await open(method, path, query, body === undefined ? undefined : JSON.stringify(body));
    const text = await readBody(res);
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) throw failure(method, path, status, text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new KubeReplyError(`${method} ${path}: the reply is not JSON`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new KubeReplyError(`${method} ${path}: unexpected reply: ${parsed.error.issues[0]?.message ?? "invalid"} at ${parsed.error.issues[0]?.path.join(".") ?? ""}`);
    return parsed.data;
  }

  return {
    get: (path, schema, query) => call("GET", path, schema, query),
    async list(path, query) {
      const l = await call("GET", path, kubeList, query);
      return { items: l.items ?? [], metadata: l.metadata };
    },
    put: (path, body, schema) => call("PUT", path, schema, {}, body),
    post: (path, body, schema) => call("POST", path, schema, {}, body),
    async watch(path, query, onEvent, done) {
      let finished = false;
      let timer: NodeJS.Timeout | undefined;
      let abort: () => void = () => {};
      const finish = (err: Error | null) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        abort();
        done(err);
      };
      const resetTimer = () => {
        clearTimeout(timer);
        timer = setTimeout(() => finish(timeoutError()), inactivityMs);
        timer.unref();
      };
      resetTimer();
      const handle: WatchHandle = {
        abort() {
          finished = true;
          clearTimeout(timer);
          abort();
        },
      };
      try {
        const opened = await open("GET", path, { ...query, watch: "true" });
        abort = opened.abort;
        const { res } = opened;
        if (finished) {
          abort();
          return handle;
        }
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          finish(failure("GET", path, status, await readBody(res)));
          return handle;
        }
        resetTimer();
        res.on("data", resetTimer);
        res.on("error", (err) => finish(err));
        res.on("close", () => finish(null));
        const lines = createInterface({ input: res, crlfDelay: Infinity });
        // readline re-emits the stream's errors (our own abort included); unheard, they would crash the process.
        lines.on("error", (err) => finish(err));
        lines.on("line", (line) => {
          if (finished) return;
          let json: unknown;
          try {
            json = JSON.parse(line);
          } catch {
            return; // a torn line: the next relist catches up, as client-node's Watch did
          }
          const ev = watchEvent.safeParse(json);
          if (ev.success) onEvent(ev.data.type, ev.data.object);
        });
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)));
      }
      return handle;
    },
  };
}

function timeoutError(): Error {
  const err = new Error("the Kubernetes API request timed out");
  err.name = "TimeoutError";
  return err;
}
