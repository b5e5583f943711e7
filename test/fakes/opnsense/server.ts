// Transport: HTTP(S) server, routing (snake_case == camelCase, 404 before auth),
// Basic auth, ACLs, body parsing, method rules, faults, lockout and the request log.

import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApiRequest, Endpoint, Reply } from "./api-types.ts";
import { aclFor, NOT_FOUND, ok, UNEXPECTED } from "./api-types.ts";
import type { SimState } from "./state.ts";
import { faultMatches } from "./faults.ts";
import { parsePhpParams, phpJson } from "./php.ts";
import { bgpEndpoints } from "./bgp.ts";
import { serviceEndpoints } from "./frr-service.ts";
import { diagnosticsEndpoints } from "./diagnostics.ts";
import { filterEndpoints } from "./filter.ts";
import { aliasEndpoints } from "./alias.ts";
import { categoryEndpoints } from "./category.ts";
import type { SimControl } from "./control.ts";
import { handleControlHttp } from "./control.ts";

/** PHP resolves methods case-insensitively after camel-casing snake_case segments (§1.1) */
export function normalizeSegment(s: string): string {
  return s.replace(/_/g, "").toLowerCase();
}

function endpointKey(module: string, controller: string, action: string): string {
  return [module, controller, action].map(normalizeSegment).join("/");
}

export function buildRoutes(): Map<string, Endpoint> {
  const all = [
    ...bgpEndpoints(),
    ...serviceEndpoints(),
    ...diagnosticsEndpoints(),
    ...filterEndpoints(),
    ...aliasEndpoints(),
    ...categoryEndpoints(),
  ];
  return new Map(all.map((e) => [endpointKey(e.module, e.controller, e.action), e]));
}

export interface TransportOptions {
  apiKey: string;
  apiSecret: string;
  authFailDelayMs: number;
}

function wrongMethod(ep: Endpoint, req: ApiRequest): Reply | null {
  switch (ep.kind) {
    case "write":
      return req.isPost ? null : ok({ result: "failed" });
    case "reconfigure":
      return req.isPost ? null : ok({ status: "failed" });
    case "apply":
      return req.isPost ? null : ok({ status: "error" });
    case "service":
      return req.isPost ? null : ok({ response: [] });
    case "aliasutil":
      return req.isPost ? null : ok({ status: "failed" });
    case "modelget":
      return req.isGet ? null : ok([]);
    case "any":
      return null;
  }
}

/** api.php's UserException answer on 26.7: texts HTML-escaped (ENT_NOQUOTES) plus "errorLevel" (§1.5) */
function userExceptionOf(reply: Reply, sim: SimState): Reply {
  const j = reply.json;
  if (!sim.features.userErrorLevel || reply.status !== 500 || j === null || typeof j !== "object" || !("errorTitle" in j)) return reply;
  const escape = (v: unknown): unknown => (typeof v === "string" ? v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;") : v);
  const e = j as Record<string, unknown>;
  return { ...reply, json: { errorMessage: escape(e["errorMessage"]), errorTitle: escape(e["errorTitle"]), errorLevel: "error" } };
}

function sessionId(): string {
  return randomBytes(13).toString("hex");
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function logBody(raw: string): unknown {
  if (raw === "") return null;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

type Outcome = Reply | { park: true } | { destroy: true };

export class Transport {
  private routes = buildRoutes();
  private parked = new Set<ServerResponse>();
  private sim: SimState;
  private control: SimControl;
  opts: TransportOptions;

  constructor(sim: SimState, control: SimControl, opts: TransportOptions) {
    this.sim = sim;
    this.control = control;
    this.opts = opts;
  }

  /** drop requests parked by lockout/timeout faults (restoreAccess, reset, close) */
  releaseParked(): void {
    for (const res of this.parked) res.socket?.destroy();
    this.parked.clear();
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.handleAsync(req, res).catch(() => {
      if (!res.headersSent) this.send(res, UNEXPECTED);
    });
  };

  private send(res: ServerResponse, reply: Reply): void {
    if (reply.raw !== undefined) {
      res.writeHead(reply.status, { "Content-Type": reply.contentType ?? "text/html; charset=UTF-8", ...reply.headers });
      res.end(reply.raw);
      return;
    }
    res.writeHead(reply.status, { "Content-Type": "application/json; charset=UTF-8" });
    res.end(phpJson(reply.json));
  }

  private async handleAsync(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://sim.invalid");
    const method = (req.method ?? "GET").toUpperCase();
    const raw = await readBody(req);
    if (url.pathname === "/__sim" || url.pathname.startsWith("/__sim/")) {
      let body: unknown = {};
      try {
        body = raw === "" ? {} : (JSON.parse(raw) as unknown);
      } catch {
        this.send(res, { status: 400, json: { error: "control bodies are JSON" } });
        return;
      }
      this.send(res, handleControlHttp(this.control, method, url.pathname, body));
      return;
    }
    const started = Date.now();
    this.sim.counters.requests++;
    const entry = {
      method,
      path: url.pathname,
      query: url.search.replace(/^\?/, ""),
      body: logBody(raw),
      status: 0,
      time: new Date(started).toISOString(),
      durationMs: 0,
    };
    this.sim.log.push(entry);
    const outcome = await this.dispatch(req, method, url, raw);
    entry.durationMs = Date.now() - started;
    if ("park" in outcome) {
      this.parked.add(res);
      res.on("close", () => this.parked.delete(res));
      return;
    }
    if ("destroy" in outcome) {
      req.socket.destroy();
      return;
    }
    entry.status = outcome.status;
    this.send(res, outcome);
  }

  private async dispatch(req: IncomingMessage, method: string, url: URL, raw: string): Promise<Outcome> {
    const sim = this.sim;
    const path = url.pathname;
    if (sim.lockout?.phase === "locked") return sim.lockout.mode === "hang" ? { park: true } : { destroy: true };

    const fault = sim.faults.find((f) => f.remaining > 0 && faultMatches(f, method, path));
    if (fault) {
      fault.remaining--;
      sim.faults = sim.faults.filter((f) => f.remaining > 0);
      switch (fault.kind) {
        case "status":
          return { status: fault.status, json: fault.body ?? { errorMessage: "Injected failure" } };
        case "timeout":
          return { park: true };
        case "reset":
          return { destroy: true };
        case "unauthorized":
          return { status: 401, json: { status: 401, message: "Authentication Failed" } };
        case "forbidden":
          return { status: 403, json: { status: 403, message: "Forbidden" } };
        case "garbage":
          return { status: 200, raw: fault.body ?? "<html><body>Bad Gateway</body></html>", contentType: "text/html" };
        case "validation":
          return { status: 200, json: { result: "failed", validations: fault.validations } };
        case "delay":
          await delay(fault.ms);
          break;
      }
    }

    const segs = path.split("/").filter((s) => s !== "").map((s) => decodeURIComponent(s));
    if (segs[0] !== "api" || segs.length < 4) return NOT_FOUND;
    const [, module = "", controller = "", action = "", ...params] = segs;
    const ep = this.routes.get(endpointKey(module, controller, action));
    if (!ep) return NOT_FOUND;
    if (ep.module === "quagga" && !sim.frrInstalled) return NOT_FOUND;
    if (ep.available && !ep.available(sim)) return NOT_FOUND;
    if (params.length < (ep.requiredParams ?? 0)) return NOT_FOUND;

    // authentication (§1.2): no header = GUI session path, which redirects to the login page
    const auth = req.headers.authorization;
    if (auth === undefined) {
      return {
        status: 302,
        raw: "",
        contentType: "text/html; charset=UTF-8",
        headers: { location: `/?url=${req.url ?? path}`, "set-cookie": `PHPSESSID=${sessionId()}; path=/; secure; HttpOnly` },
      };
    }
    const token = auth.split(" ")[1];
    const parts = token === undefined ? [] : Buffer.from(token, "base64").toString("utf8").split(":");
    const authFailed: Reply = { status: 401, json: { status: 401, message: "Authentication Failed" } };
    // a malformed header never reaches the authenticator, so only a real key:secret check is padded
    if (parts.length < 2) return authFailed;
    if (parts[0] !== this.opts.apiKey || parts[1] !== this.opts.apiSecret) {
      if (this.opts.authFailDelayMs > 0) await delay(this.opts.authFailDelayMs);
      return authFailed;
    }
    const acl = aclFor(path);
    if (acl === null || !sim.privileges.has(acl)) return { status: 403, json: { status: 403, message: "Forbidden" } };

    // body parsing (§1.3)
    const ct = String(req.headers["content-type"] ?? "").toLowerCase().replace(/\s/g, "");
    let post: Record<string, unknown> = {};
    if (ct === "application/json" || ct === "application/json;charset=utf-8") {
      if (raw === "") return { status: 400, json: { status: 400, message: "Invalid JSON syntax" } };
      try {
        const v = JSON.parse(raw) as unknown;
        if (Array.isArray(v)) post = Object.fromEntries(v.map((x, i) => [String(i), x as unknown]));
        else if (v !== null && typeof v === "object") post = v as Record<string, unknown>;
      } catch {
        post = {};
      }
    } else if (ct.startsWith("application/x-www-form-urlencoded")) {
      post = parsePhpParams(raw);
    }
    const apiReq: ApiRequest = {
      method,
      path,
      params,
      query: parsePhpParams(url.search),
      post: method === "POST" ? post : {},
      isPost: method === "POST",
      isGet: method === "GET",
    };
    const wrong = wrongMethod(ep, apiReq);
    if (wrong) return wrong;
    if (ep.mutates && sim.configReadonly) {
      return {
        status: 500,
        json: { errorMessage: "User apiuser denied for write access (user-config-readonly set)", errorTitle: "Error" },
      };
    }
    let reply: Reply;
    try {
      reply = userExceptionOf(await ep.handler(apiReq, sim), sim);
    } catch {
      return UNEXPECTED;
    }
    const applyLike =
      (ep.controller === "filter" && ep.action === "apply") || (ep.controller === "alias" && ep.action === "reconfigure");
    if (applyLike && reply.status === 200 && sim.lockout?.phase === "armed") sim.lockout.phase = "locked";
    return reply;
  }
}
