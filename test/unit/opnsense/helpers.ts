import nock from "nock";
import { afterAll, afterEach, beforeAll } from "vitest";
import { createOpnsenseClient } from "../../../src/opnsense/index.ts";
import type { OpnsenseClient, OpnsenseClientOptions } from "../../../src/opnsense/index.ts";
import type { Capabilities } from "../../../src/domain/types.ts";

export const BASE = "https://opnsense.test";
// Same form as real OPNsense keys: base64 of 60 random bytes, 80 characters each.
export const API_KEY = "kQ3vT1pX9bN2mR7sW4yZ6aC8dF0gH2jK5lM7nP9qR1sT3uV5wX7yZ9aB1cD3eF5gH7jK9lM1nP3qR5s";
export const API_SECRET = "S3cr3tQ9wE8rT7yU6iO5pA4sD3fG2hJ1kL0zX9cV8bN7mQ6wE5rT4yU3iO2pA1sD0fG9hJ8kL7zX6cV5";
export const AUTH_HEADER = `Basic ${Buffer.from(`${API_KEY}:${API_SECRET}`).toString("base64")}`;

export function useNock(): void {
  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect("127.0.0.1");
  });
  afterEach(() => {
    nock.cleanAll();
  });
  afterAll(() => {
    nock.enableNetConnect();
  });
}

/** An OPNsense API scope that insists on the Basic auth header. */
export function api(options: nock.Options = {}): nock.Scope {
  return nock(BASE, { reqheaders: { authorization: AUTH_HEADER }, ...options });
}

/** A client for one session whose capabilities are known (`caps()` unless given), as after a preflight. */
export function client(extra: Partial<OpnsenseClientOptions> = {}): OpnsenseClient {
  return createOpnsenseClient({ url: BASE, apiKey: API_KEY, apiSecret: API_SECRET, timeoutMs: 2_000, retryMinTimeoutMs: 1, capabilities: caps(), ...extra });
}

export function caps(over: Partial<Capabilities> = {}): Capabilities {
  return {
    ruleStatetype: true,
    ruleDirectionAny: true,
    savepoint: true,
    serverRollback: false,
    neighborFields: [],
    frrRendersDescription: false,
    peerGroups: true,
    ...over,
  };
}

export async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the promise to reject");
}

/** nock 15 hangs on replyWithError({code}) objects; a real Error instance works. */
export function netError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

/** nock 15.0.6 hands reply callbacks a fetch Request (one argument; arity 2 means callback style). */
export type SeenRequest = { path: string; body: unknown; contentType: string | null };

export async function inspect(req: unknown): Promise<SeenRequest> {
  if (!(req instanceof Request)) throw new Error("expected nock to pass a fetch Request");
  const text = await req.text();
  return { path: new URL(req.url).pathname, body: text === "" ? undefined : (JSON.parse(text) as unknown), contentType: req.headers.get("content-type") };
}
