/**
 * The generic MVC item writes (contract §2.1), shared by every area.
 *
 * Creates go through `set<Item>/<fresh v4 uuid>` (upsert since 23.1) instead of `add<Item>`:
 * if a create times out and is retried, the retry hits the same uuid and updates the item
 * it may already have created, so a retry can never leave a duplicate behind.
 */
import { randomUUID } from "node:crypto";
import { OpnsenseError, unexpectedShape } from "./errors.ts";
import type { Http } from "./http.ts";
import { isObj } from "./codec.ts";

export type ItemEndpoints = {
  /** e.g. "quagga/bgp/setNeighbor" */
  readonly set: string;
  /** e.g. "quagga/bgp/delNeighbor" */
  readonly del: string;
  /** wrapper key, e.g. "neighbor" */
  readonly key: string;
};

function expectResult(http: Http, endpoint: string, reply: unknown, accepted: readonly string[]): string {
  if (!isObj(reply) || typeof reply.result !== "string") {
    throw unexpectedShape("POST", endpoint, new Error(`expected {"result": …}, got ${http.excerpt(reply)}`));
  }
  const result = reply.result.trim().toLowerCase();
  if (!accepted.includes(result)) {
    throw new OpnsenseError({ kind: "unexpected", method: "POST", endpoint, detail: `unexpected result "${http.excerpt(reply.result)}"` });
  }
  return result;
}

export async function setItem(http: Http, ep: ItemEndpoints, uuid: string, fields: Readonly<Record<string, string>>): Promise<void> {
  const reply = await http.request({ method: "POST", endpoint: ep.set, args: [uuid], body: { [ep.key]: fields } });
  expectResult(http, ep.set, reply, ["saved"]);
}

export async function createItem(http: Http, ep: ItemEndpoints, fields: Readonly<Record<string, string>>): Promise<string> {
  // OPNsense accepts only lower-case v4 uuids for the upsert; randomUUID() yields exactly that.
  const uuid = randomUUID();
  await setItem(http, ep, uuid, fields);
  return uuid;
}

/** Deleting something already gone is success: the goal state is reached. */
export async function deleteItem(http: Http, ep: ItemEndpoints, uuid: string): Promise<void> {
  const reply = await http.request({ method: "POST", endpoint: ep.del, args: [uuid] });
  expectResult(http, ep.del, reply, ["deleted", "not found"]);
}

/**
 * A service action (`reconfigure`, `apply`) that answers `{"status": "ok"}` (any case, padded
 * with newlines). An empty status means configd gave up after 120 s while the work may still be
 * running (§1.7): transient, so the caller tries again later.
 */
export async function runAction(http: Http, a: { endpoint: string; what: string; timeoutMs: number; args?: readonly string[] }): Promise<void> {
  const reply = await http.request({ method: "POST", endpoint: a.endpoint, timeoutMs: a.timeoutMs, ...(a.args ? { args: a.args } : {}) });
  const status = statusOf(http, "POST", a.endpoint, reply).trim();
  if (status === "") throw new OpnsenseError({ kind: "transient", method: "POST", endpoint: a.endpoint, detail: `empty status: configd did not finish the ${a.what} in time` });
  if (status.toLowerCase() !== "ok") throw new OpnsenseError({ kind: "unexpected", method: "POST", endpoint: a.endpoint, detail: `${a.what} reported "${http.excerpt(status)}"` });
}

/** The `status` text of a `{"status": "…"}` reply (service actions, filter apply, service status). */
export function statusOf(http: Http, method: string, endpoint: string, reply: unknown): string {
  if (!isObj(reply) || typeof reply.status !== "string") {
    throw new OpnsenseError({ kind: "unexpected", method, endpoint, detail: `unexpected reply shape: expected {"status": "…"}, got ${http.excerpt(reply)}` });
  }
  return reply.status;
}
