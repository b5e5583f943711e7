/**
 * The one place that talks HTTP to OPNsense: auth, TLS, timeouts, retries of transient
 * failures, and mapping every failure to an OpnsenseError. Nothing above this module sees
 * axios, and no axios error (whose config carries the Authorization header) ever escapes.
 */
import https from "node:https";
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import tls from "node:tls";
import axios from "axios";
import type { AxiosInstance, AxiosResponse } from "axios";
import pRetry from "p-retry";
import type { Logger } from "pino";
import { OpnsenseError, type OpnsenseErrorInit } from "./errors.ts";
import { describePrivilege, privilegeFor } from "./privileges.ts";
import { createRedactor } from "./redact.ts";
import { createHttpAgent, createHttpsAgent } from "./pool.ts";
import { JsonStreamParser, JsonSyntaxError, type KeepPath } from "./json-stream.ts";

export type RequestEvent = {
  readonly method: string;
  readonly endpoint: string;
  readonly status: number | "error";
  readonly durationMs: number;
};

export type HttpOptions = {
  readonly url: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  /** Further secrets a reply may echo (the BGP password sent in neighbor writes). */
  readonly redactValues?: readonly string[];
  readonly caPem?: string | null;
  readonly tlsServerName?: string | null;
  readonly tlsInsecure?: boolean;
  readonly timeoutMs: number;
  readonly retries?: number;
  readonly retryMinTimeoutMs?: number;
  readonly logger?: Logger;
  readonly onRequest?: (e: RequestEvent) => void;
};

export type RequestSpec = {
  readonly method: "GET" | "POST";
  /** Path below /api without ids, e.g. "quagga/bgp/setNeighbor": also the metrics label. */
  readonly endpoint: string;
  /** Positional path parameters (uuids, names, revisions), URL-encoded here. */
  readonly args?: readonly string[];
  /** POST body; must already carry the wrapper key. POSTs without one send `{}`. */
  readonly body?: Readonly<Record<string, unknown>>;
  readonly timeoutMs?: number;
  /** Overrides the retry budget (0 = single attempt). */
  readonly retries?: number;
  /**
   * Decode the reply as it arrives, building only the members `keep` accepts (json-stream.ts):
   * for the large model replies, whose text and full tree are never held.
   */
  readonly keep?: KeepPath;
};

export type Http = {
  readonly baseUrl: string;
  request(spec: RequestSpec): Promise<unknown>;
  /** A reply value for an error message: credentials redacted first, then cut to one short line. */
  excerpt(value: unknown, max?: number): string;
};

const TLS_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "CERT_SIGNATURE_FAILURE",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "INVALID_CA",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "HOSTNAME_MISMATCH",
  "EPROTO",
]);

const TRANSIENT_NET_CODES = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "ESOCKETTIMEDOUT", "ERR_SOCKET_CLOSED"]);

function isTlsCode(code: string): boolean {
  return TLS_CODES.has(code) || code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_");
}

/** OPNsense ≥ 26.7.1 HTML-escapes error texts (contract §1.5); undo that for readable messages. */
function decodeEntities(s: string): string {
  return s.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"').replaceAll("&#039;", "'").replaceAll("&amp;", "&");
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** Validation messages come as a string or a list of strings per field (contract §2.1). */
export function normalizeValidations(v: unknown): Record<string, string[]> | undefined {
  if (!isRecord(v)) return undefined;
  const out: Record<string, string[]> = {};
  for (const [field, msg] of Object.entries(v)) {
    if (typeof msg === "string") out[field] = [msg];
    else if (Array.isArray(msg)) out[field] = msg.map((m) => String(m));
    else if (isRecord(msg)) out[field] = Object.values(msg).map((m) => String(m));
    else out[field] = [String(msg)];
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function formatValidations(v: Record<string, string[]>): string {
  return Object.entries(v)
    .map(([field, msgs]) => `${field}: ${msgs.join(" ")}`)
    .join("; ");
}

/** Server-supplied error texts kept in a message; validation texts are short, pages are not. */
const SERVER_TEXT_MAX = 500;
/** The start of a streamed reply kept for the message when it turns out not to be JSON. */
const STREAM_HEAD_MAX = 64 * 1024;

function errorCode(e: unknown): string {
  const code = typeof e === "object" && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : "";
}

async function readText(stream: Readable): Promise<string> {
  const decoder = new StringDecoder("utf8");
  let text = "";
  for await (const chunk of stream) text += decoder.write(chunk as Buffer);
  return text + decoder.end();
}

export function createHttp(opts: HttpOptions): Http {
  const baseUrl = opts.url.replace(/\/+$/, "");
  const isHttps = baseUrl.toLowerCase().startsWith("https:");
  const authorization = `Basic ${Buffer.from(`${opts.apiKey}:${opts.apiSecret}`, "utf8").toString("base64")}`;
  // A proxy or a broken server may echo request headers back: every error this module builds
  // goes through fail(), which scrubs it, and server text is scrubbed before it is cut.
  const redactor = createRedactor({
    credentials: [authorization.slice("Basic ".length), opts.apiKey, opts.apiSecret],
    values: opts.redactValues ?? [],
  });
  const { redact, excerpt } = redactor;
  const fail = (init: OpnsenseErrorInit): OpnsenseError =>
    new OpnsenseError({
      ...init,
      detail: redact(init.detail),
      ...(init.validations ? { validations: Object.fromEntries(Object.entries(init.validations).map(([f, ms]) => [f, ms.map(redact)])) } : {}),
    });
  const retries = opts.retries ?? 3;
  const minTimeout = opts.retryMinTimeoutMs ?? 500;

  const serverName = opts.tlsServerName ?? undefined;
  const agentOptions: https.AgentOptions = { rejectUnauthorized: opts.tlsInsecure !== true };
  if (opts.caPem) agentOptions.ca = opts.caPem;
  if (serverName) {
    // OPNsense's self-signed certificate names only the DNS host (no IP SAN, contract §1.6):
    // when we connect by IP, verify (and send SNI for) the configured name instead.
    agentOptions.servername = serverName;
    agentOptions.checkServerIdentity = (_host, cert) => tls.checkServerIdentity(serverName, cert);
  }
  const instance: AxiosInstance = axios.create({
    // Our own pools, not Node's global agent: see pool.ts for why.
    ...(isHttps ? { httpsAgent: createHttpsAgent(agentOptions) } : { httpAgent: createHttpAgent() }),
    // Node's http module, never fetch: the bundle leaves axios's fetch adapter out (scripts/build.ts).
    adapter: "http",
    // An env proxy would bypass the TLS trust configured above.
    proxy: false,
    maxRedirects: 0,
    responseType: "text",
    transformResponse: [(d: unknown) => d],
    transformRequest: [(d: unknown) => d],
    validateStatus: () => true,
    transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: false },
  });

  function networkError(method: string, endpoint: string, e: unknown, timeoutMs: number): OpnsenseError {
    const code = axios.isAxiosError(e) ? (e.code ?? "") : errorCode(e);
    const cause = axios.isAxiosError(e) ? (e.cause as { code?: unknown } | undefined) : undefined;
    const rawCode = code !== "" && code !== "ERR_NETWORK" && code !== "ERR_BAD_RESPONSE" ? code : String(cause?.code ?? code);
    // Only the code and the library's message: never the config (it holds the Authorization header).
    const msg = redact(axios.isAxiosError(e) ? e.message : e instanceof Error ? e.message : String(e));
    if (isTlsCode(rawCode)) {
      return fail({
        kind: "tls",
        method,
        endpoint,
        code: rawCode,
        detail:
          `TLS verification of ${baseUrl} failed (${rawCode}: ${msg}). ` +
          "Trust the router's certificate with OPNSENSE_CA_FILE (a PEM of the GUI certificate or its CA) and, " +
          "when connecting by IP address, set OPNSENSE_TLS_SERVER_NAME to the name in the certificate",
      });
    }
    if (rawCode === "ETIMEDOUT" || rawCode === "ECONNABORTED") {
      return fail({ kind: "transient", method, endpoint, code: rawCode, detail: `no reply from ${baseUrl} within ${timeoutMs} ms (timeout)` });
    }
    if (TRANSIENT_NET_CODES.has(rawCode)) {
      return fail({ kind: "transient", method, endpoint, code: rawCode, detail: `connection to ${baseUrl} failed (${rawCode}: ${msg})` });
    }
    return fail({
      kind: "unreachable",
      method,
      endpoint,
      ...(rawCode !== "" ? { code: rawCode } : {}),
      detail: `cannot reach ${baseUrl} (${rawCode !== "" ? `${rawCode}: ` : ""}${msg})`,
    });
  }

  function statusError(method: string, endpoint: string, res: AxiosResponse<unknown>): OpnsenseError {
    const status = res.status;
    const text = typeof res.data === "string" ? res.data : "";
    const parsed = parseJson(text);
    const body = parsed.ok && isRecord(parsed.value) ? parsed.value : {};
    // Parsed texts are redacted after decoding: JSON escapes ("\/" in base64) would hide a secret from the raw text's patterns.
    const serverString = (v: unknown, decode: boolean): string | undefined =>
      typeof v === "string" ? excerpt(decode ? decodeEntities(v) : v, SERVER_TEXT_MAX) : undefined;
    const errorMessage = serverString(body.errorMessage, true);
    const errorTitle = serverString(body.errorTitle, true);
    const serverText = errorMessage ?? serverString(body.message, false) ?? excerpt(text);
    const base = { method, endpoint, status } as const;
    if (status === 401) {
      return fail({ ...base, kind: "auth", detail: "authentication failed (401): OPNsense rejected the API key/secret (wrong, disabled or expired user)" });
    }
    if (status === 403) {
      const p = privilegeFor(endpoint);
      return fail({
        ...base,
        kind: "permission",
        ...(p ? { privilege: `${p.gui} (${p.acl})` } : {}),
        detail: p ? `forbidden (403): the API user lacks the privilege ${describePrivilege(p)}` : "forbidden (403): the API user lacks the privilege for this endpoint",
      });
    }
    if (status === 404) {
      return fail({ ...base, kind: "not-found", detail: `not found (404)${serverText ? `: ${serverText}` : ""}` });
    }
    if (status === 502 || status === 503 || status === 504) {
      return fail({ ...base, kind: "transient", detail: `server unavailable (${status})` });
    }
    if (status === 500) {
      const msg = errorMessage ?? "";
      if (/^Unexpected error/i.test(msg) || (!parsed.ok && text.trim() === "")) {
        return fail({ ...base, kind: "transient", detail: `server error (500): ${msg || "empty reply"}` });
      }
      if (/\bin use\b/i.test(msg) || /\bin use\b/i.test(errorTitle ?? "")) {
        return fail({ ...base, kind: "in-use", detail: `refused, still in use: ${msg}` });
      }
      if (/denied for write access/i.test(msg)) {
        return fail({
          ...base,
          kind: "permission",
          privilege: "System: Deny config write (user-config-readonly) must NOT be granted",
          detail: `write denied (500): ${msg}`,
        });
      }
      return fail({ ...base, kind: "unexpected", detail: `server error (500)${errorTitle ? ` [${errorTitle}]` : ""}: ${serverText || "no message"}` });
    }
    return fail({ ...base, kind: "unexpected", detail: `HTTP ${status}${serverText ? `: ${serverText}` : ""}` });
  }

  function successBody(method: string, endpoint: string, res: AxiosResponse<unknown>): unknown {
    const text = typeof res.data === "string" ? res.data : "";
    const parsed = parseJson(text);
    if (!parsed.ok) {
      throw fail({ kind: "unexpected", method, endpoint, status: res.status, detail: `garbage reply (not JSON): ${excerpt(text) || "empty body"}` });
    }
    return accepted(method, endpoint, res.status, parsed.value);
  }

  /** A 2xx reply read as a stream (RequestSpec.keep): decoded chunk by chunk, then checked like any other. */
  async function streamedBody(method: string, endpoint: string, res: AxiosResponse<unknown>, keep: KeepPath, timeoutMs: number, started: number): Promise<unknown> {
    const stream = res.data as Readable;
    // The request timeout covers the reply's headers; this covers its body.
    const timer = setTimeout(() => stream.destroy(Object.assign(new Error("reply body timed out"), { code: "ETIMEDOUT" })), Math.max(0, started + timeoutMs - performance.now()));
    try {
      if (res.status < 200 || res.status >= 300) throw statusError(method, endpoint, { ...res, data: await readText(stream) });
      const parser = new JsonStreamParser(keep);
      const decoder = new StringDecoder("utf8");
      let head = "";
      try {
        for await (const chunk of stream) {
          const text = decoder.write(chunk as Buffer);
          if (head.length < STREAM_HEAD_MAX) head += text.slice(0, STREAM_HEAD_MAX - head.length);
          parser.write(text);
        }
        parser.write(decoder.end());
        return accepted(method, endpoint, res.status, parser.end());
      } catch (e) {
        if (!(e instanceof JsonSyntaxError)) throw e;
        throw fail({ kind: "unexpected", method, endpoint, status: res.status, detail: `garbage reply (not JSON): ${excerpt(head) || "empty body"}` });
      }
    } catch (e) {
      stream.destroy();
      if (e instanceof OpnsenseError) throw e;
      throw networkError(method, endpoint, e, timeoutMs);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The decoded reply, unless it is OPNsense's {"result":"failed"} (contract §2.1). */
  function accepted(method: string, endpoint: string, status: number, value: unknown): unknown {
    if (isRecord(value) && value.result === "failed") {
      const validations = normalizeValidations(value.validations);
      if (validations) {
        throw fail({ kind: "validation", method, endpoint, status, validations, detail: `validation failed: ${excerpt(formatValidations(validations), SERVER_TEXT_MAX * 4)}` });
      }
      throw fail({
        kind: "unexpected",
        method,
        endpoint,
        status,
        detail:
          'OPNsense answered {"result":"failed"} without validations: the body was not accepted ' +
          "(it must be a JSON object wrapped in the item key, e.g. {\"neighbor\":{…}}, sent as POST)",
      });
    }
    return value;
  }

  async function attempt(spec: RequestSpec): Promise<unknown> {
    const { method, endpoint } = spec;
    const timeoutMs = spec.timeoutMs ?? opts.timeoutMs;
    const path = [endpoint, ...(spec.args ?? []).map((a) => encodeURIComponent(a))].join("/");
    const headers: Record<string, string> = { Authorization: authorization, Accept: "application/json", "User-Agent": "opnsense-bgp-agent" };
    let data: string | undefined;
    if (method === "POST") {
      // §1.3: a JSON content type with an empty body is a 400, so POSTs always carry an object.
      data = JSON.stringify(spec.body ?? {});
      headers["Content-Type"] = "application/json";
    }
    const started = performance.now();
    let res: AxiosResponse<unknown>;
    try {
      res = await instance.request<unknown>({ method, url: `${baseUrl}/api/${path}`, headers, data, timeout: timeoutMs, ...(spec.keep ? { responseType: "stream" } : {}) });
    } catch (e) {
      const durationMs = Math.round(performance.now() - started);
      const err = networkError(method, endpoint, e, timeoutMs);
      opts.onRequest?.({ method, endpoint, status: "error", durationMs });
      opts.logger?.debug({ method, endpoint, status: "error", ms: durationMs, error: err.detail }, "opnsense request");
      throw err;
    }
    const durationMs = Math.round(performance.now() - started);
    opts.onRequest?.({ method, endpoint, status: res.status, durationMs });
    opts.logger?.debug({ method, endpoint, status: res.status, ms: durationMs }, "opnsense request");
    if (spec.keep) return streamedBody(method, endpoint, res, spec.keep, timeoutMs, started);
    if (res.status < 200 || res.status >= 300) throw statusError(method, endpoint, res);
    return successBody(method, endpoint, res);
  }

  async function request(spec: RequestSpec): Promise<unknown> {
    return pRetry(() => attempt(spec), {
      retries: spec.retries ?? retries,
      minTimeout,
      maxTimeout: Math.max(minTimeout, 10_000),
      factor: 2,
      randomize: true,
      shouldRetry: ({ error }) => error instanceof OpnsenseError && (error.kind === "transient" || error.kind === "unreachable"),
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        if (retriesLeft > 0 && error instanceof OpnsenseError && (error.kind === "transient" || error.kind === "unreachable")) {
          opts.logger?.debug({ method: spec.method, endpoint: spec.endpoint, attempt: attemptNumber, error: error.detail }, "opnsense request failed, retrying");
        }
      },
    });
  }

  return { baseUrl, request, excerpt };
}
