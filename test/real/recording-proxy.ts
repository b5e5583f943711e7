/**
 * A recording HTTP proxy in front of an OPNsense API (the simulator or a real box): it forwards
 * every request unchanged and records method, path and status, so a scenario can count what the
 * agent asked without looking inside the target. The same count then judges both targets.
 *
 * Classification follows the contract: a config write is a POST to a `set*`/`add*`/`del*`/
 * `toggle*` action or to `savepoint` (each saves config.xml and so writes a backup, §2.1, §4.6,
 * §7 item 19); an apply is a POST that makes configd act (`reconfigure`, `apply`,
 * `cancelRollback`, `revert`; §3.1, §4.6, §4.7); everything else reads. A GET never writes: the
 * mutating actions do nothing unless the request is a POST (`ApiMutableModelControllerBase`).
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";

export type CallKind = "read" | "write" | "apply";
export type RecordedCall = { readonly method: string; readonly path: string; readonly status: number; readonly kind: CallKind };
export type CallCounts = { readonly reads: number; readonly writes: number; readonly applies: number };

export type RecordingProxy = {
  readonly url: string;
  /** Calls in the order their answers arrived. */
  calls(): readonly RecordedCall[];
  counts(): CallCounts;
  clear(): void;
  close(): Promise<void>;
};

const APPLY_ACTIONS = new Set(["reconfigure", "apply", "cancelrollback", "revert"]);
const WRITE_PREFIX = /^(set|add|del|toggle)/;

/** The action segment of `/api/<module>/<controller>/<action>[/…]`, lower-cased without `_` (the router maps both spellings to one method, §1.1). */
export function actionOf(path: string): string | null {
  const segs = path.split("?")[0]?.split("/") ?? [];
  if (segs[1] !== "api" || segs.length < 5) return null;
  return (segs[4] ?? "").replaceAll("_", "").toLowerCase();
}

export function classify(method: string, path: string): CallKind {
  const action = actionOf(path);
  if (method.toUpperCase() !== "POST" || action === null) return "read";
  if (APPLY_ACTIONS.has(action)) return "apply";
  if (action === "savepoint" || WRITE_PREFIX.test(action)) return "write";
  return "read";
}

export function countCalls(calls: readonly RecordedCall[]): CallCounts {
  return {
    reads: calls.filter((c) => c.kind === "read").length,
    writes: calls.filter((c) => c.kind === "write").length,
    applies: calls.filter((c) => c.kind === "apply").length,
  };
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const base = new URL(target);
  const client = base.protocol === "https:" ? https : http;
  const agent = new client.Agent({ keepAlive: true });
  const recorded: RecordedCall[] = [];

  const server = http.createServer((req, res) => {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const path = url.split("?")[0] ?? url;
    const record = (status: number): void => {
      recorded.push({ method, path, status, kind: classify(method, path) });
    };
    const headers = { ...req.headers, host: base.host };
    const upstream = client.request(
      { protocol: base.protocol, hostname: base.hostname, port: base.port, method, path: url, headers, agent, ...(base.protocol === "https:" ? { rejectUnauthorized: false } : {}) },
      (up) => {
        record(up.statusCode ?? 0);
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", (e) => {
      record(502);
      if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ errorMessage: `recording proxy: ${e.message}` }));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    calls: () => recorded.slice(),
    counts: () => countCalls(recorded),
    clear: () => {
      recorded.length = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
