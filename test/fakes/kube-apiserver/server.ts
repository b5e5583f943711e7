import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { CONTROL_PREFIX, handleControl } from "./control-http.ts";
import { createControl, seedNamespaces } from "./control.ts";
import type { KubeControl } from "./control.ts";
import { FaultInjector, RequestLog } from "./faults.ts";
import { sendJson } from "./http-util.ts";
import { kubeconfigYaml, writeServiceAccountFiles } from "./kubeconfig.ts";
import type { InClusterFiles } from "./kubeconfig.ts";
import { classify, handleApi } from "./routes.ts";
import { ApiError, statusBody } from "./status.ts";
import { Store } from "./store.ts";
import { CILIUM_GROUP, SERVE_ALL, type Served } from "./resources.ts";
import { generateTls } from "./tls.ts";
import type { ExpiredWatchMode, RequestRecord } from "./types.ts";
import { WatchHub } from "./watch.ts";

export interface KubeFakeOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Serve HTTPS with a freshly generated private CA (see `caPem`). */
  tls?: boolean;
  /** When set, every API request needs `Authorization: Bearer <token>` (else 401 Status). */
  token?: string;
  /** How a watch from a compacted resourceVersion is refused; default "http" (HTTP 410). */
  expiredWatchMode?: ExpiredWatchMode;
  /** BOOKMARK period for watches with allowWatchBookmarks=true; default 1000 ms, 0 = only on sendBookmarks(). */
  bookmarkIntervalMs?: number;
  /** First resourceVersion handed out is this + 1; default 1000. */
  startResourceVersion?: number;
  /** Serve Cilium's cilium.io CRDs (default true); false = a cluster without Cilium (404 and absent from discovery). */
  ciliumCrds?: boolean;
}

export interface KubeFake {
  /** e.g. http://127.0.0.1:34567 */
  url: string;
  host: string;
  port: number;
  /** PEM of the CA that signed the server certificate (TLS only). */
  caPem?: string;
  token?: string;
  control: KubeControl;
  /** A kubeconfig YAML pointing at this server. */
  kubeconfig(opts?: { namespace?: string; context?: string }): string;
  /**
   * Writes service-account files under `<dir>/var/run/secrets/kubernetes.io/serviceaccount`
   * for `kc.loadFromCluster(dir)`; needs `tls: true` (client-node only uses http on ports 80/8080/8001).
   */
  writeInClusterFiles(dir: string, opts?: { namespace?: string; token?: string }): InClusterFiles;
  close(): Promise<void>;
}

// Like the apiserver's system:public-info-viewer: reachable without credentials.
const PUBLIC_PATHS = new Set(["/version", "/healthz", "/livez", "/readyz"]);

export async function startKubeFake(opts: KubeFakeOptions = {}): Promise<KubeFake> {
  const host = opts.host ?? "127.0.0.1";
  const store = new Store(opts.startResourceVersion ?? 1000);
  seedNamespaces(store);
  const defaultExpiredMode = opts.expiredWatchMode ?? "http";
  const settings = { expiredMode: defaultExpiredMode };
  const hub = new WatchHub(store, { bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 1000, expiredMode: () => settings.expiredMode });
  const faults = new FaultInjector();
  const log = new RequestLog();
  const control = createControl({ store, hub, faults, log, settings, defaultExpiredMode });
  const served: Served = opts.ciliumCrds === false ? (d) => d.group !== CILIUM_GROUP : SERVE_ALL;
  const tls = opts.tls ? await generateTls(host === "0.0.0.0" || host === "::" ? [] : [host]) : undefined;
  let serverAddress = "";

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    void handle(req, res);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://kube-fake");
    if (url.pathname === CONTROL_PREFIX || url.pathname.startsWith(`${CONTROL_PREFIX}/`)) {
      await handleControl(req, res, url, control, hub);
      return;
    }
    const method = req.method ?? "GET";
    const record: RequestRecord = {
      time: new Date().toISOString(),
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      verb: classify(method, url.pathname, url.searchParams, served),
      status: 0,
    };
    if (req.headers["user-agent"]) record.userAgent = req.headers["user-agent"];
    if (req.headers["content-type"]) record.contentType = req.headers["content-type"];
    log.add(record, res);
    try {
      if (opts.token !== undefined && !PUBLIC_PATHS.has(url.pathname) && req.headers.authorization !== `Bearer ${opts.token}`) {
        throw new ApiError(401, "Unauthorized", "Unauthorized");
      }
      if (url.pathname === "/healthz" || url.pathname === "/livez" || url.pathname === "/readyz") {
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.end("ok");
      } else {
        await handleApi(req, res, url, { store, hub, faults, serverAddress: () => serverAddress, served });
      }
    } catch (e) {
      if (!res.headersSent) {
        if (e instanceof ApiError) sendJson(res, e.code, e.toStatus());
        else sendJson(res, 500, statusBody(500, `kube-fake internal error: ${(e as Error).stack ?? String(e)}`));
      } else {
        res.destroy();
      }
    }
    record.status = res.statusCode;
  }

  const server: Server = tls ? createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, handler) : createHttpServer(handler);
  // Watches are long-lived; never let Node's default timeouts cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  serverAddress = `${urlHost}:${port}`;
  const url = `${tls ? "https" : "http"}://${serverAddress}`;

  let closed: Promise<void> | undefined;
  const fake: KubeFake = {
    url,
    host,
    port,
    control,
    kubeconfig: (k = {}) => kubeconfigYaml({ server: url, caPem: tls?.caPem, token: opts.token, namespace: k.namespace, name: k.context }),
    writeInClusterFiles(dir, o = {}) {
      if (!tls) throw new Error("kube-fake: in-cluster config needs startKubeFake({ tls: true }) (client-node picks https for any port but 80/8080/8001)");
      return writeServiceAccountFiles(dir, { host, port, caPem: tls.caPem, token: o.token ?? opts.token ?? "kube-fake-token", namespace: o.namespace });
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        hub.dropAll();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
  if (tls) fake.caPem = tls.caPem;
  if (opts.token !== undefined) fake.token = opts.token;
  return fake;
}
