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

export function client(extra: Partial<OpnsenseClientOptions> = {}): OpnsenseClient {
  return createOpnsenseClient({ url: BASE, apiKey: API_KEY, apiSecret: API_SECRET, timeoutMs: 2_000, retryMinTimeoutMs: 1, ...extra });
}

export function caps(over: Partial<Capabilities> = {}): Capabilities {
  return {
    versionRange: "26.1.x",
    ruleStatetype: true,
    ruleDirectionAny: true,
    gridRawValues: true,
    savepoint: true,
    applyRefreshesAliases: true,
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

/** Path of a request as nock 15 hands it to a reply callback (a string or a Request). */
export function pathOf(req: unknown): string {
  if (typeof req === "string") return new URL(req, BASE).pathname;
  if (typeof req === "object" && req !== null && "url" in req && typeof req.url === "string") return new URL(req.url).pathname;
  throw new Error("unknown nock request shape");
}

/** JSON body of a request as nock 15 hands it to a reply callback. */
export function bodyOf(body: unknown): unknown {
  return typeof body === "string" ? (JSON.parse(body) as unknown) : body;
}
