import { createServer, type Server } from "node:http";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { renderStatusText, type StatusSource } from "./status.ts";

export type HealthSource = {
  /** Liveness: false only when the loop is stuck (no pass attempted for several intervals). */
  live(): { ok: boolean; detail: string };
  /** Readiness: a pass succeeded and OPNsense is reachable with valid credentials. */
  ready(): { ok: boolean; detail: string };
};

export type HttpServer = { readonly port: number; close(): Promise<void> };

/** `/healthz`, `/readyz`, `/metrics`, `/status`. Nothing else is served. */
export async function startHttpServer(opts: {
  port: number;
  host?: string;
  health: HealthSource;
  /** BGP sessions per node for `/status`; without one `/status` is 404. */
  status?: StatusSource;
  registry: Registry;
  logger: Logger;
}): Promise<HttpServer> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://agent");
    const path = url.pathname;
    const send = (status: number, body: string, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed\n");
    if (path === "/healthz") {
      const h = opts.health.live();
      return send(h.ok ? 200 : 503, `${h.ok ? "ok" : "unhealthy"}: ${h.detail}\n`);
    }
    if (path === "/readyz") {
      const r = opts.health.ready();
      return send(r.ok ? 200 : 503, `${r.ok ? "ready" : "not ready"}: ${r.detail}\n`);
    }
    if (path === "/metrics") {
      opts.registry
        .metrics()
        .then((text) => send(200, text, opts.registry.contentType))
        .catch((err: unknown) => send(500, `metrics failed: ${String(err)}\n`));
      return;
    }
    if (path === "/status" && opts.status) {
      const view = opts.status.status();
      if (url.searchParams.get("format") === "text") return send(200, renderStatusText(view));
      return send(200, `${JSON.stringify(view, null, 2)}\n`, "application/json");
    }
    send(404, "not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "0.0.0.0", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : opts.port;
  opts.logger.info({ port }, "health and metrics server listening");
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
