/**
 * MVC firewall filter rules (`/api/firewall/filter`): model-level read into canonical Rules,
 * rule writes, and the apply/savepoint actions.
 */
import type { Capabilities, Rule, RuleSpec } from "../domain/types.ts";
import { OpnsenseError, guardShape } from "./errors.ts";
import type { Http } from "./http.ts";
import { boolOut, child, commaOut, isObj, listOut, protocolIn, protocolOut, readBool, readCommaList, readItems, readMulti, readObj, readSingle, readString } from "./codec.ts";
import type { Obj } from "./codec.ts";
import { createItem, deleteItem, runAction, setItem, statusOf } from "./crud.ts";
import type { ItemEndpoints } from "./crud.ts";

export const EP = {
  get: "firewall/filter/get",
  getRule: "firewall/filter/getRule",
  apply: "firewall/filter/apply",
  savepoint: "firewall/filter/savepoint",
  cancelRollback: "firewall/filter/cancelRollback",
} as const;

const RULE: ItemEndpoints = { set: "firewall/filter/setRule", del: "firewall/filter/delRule", key: "rule" };

function parseRule(uuid: string, r: Obj, caps: Capabilities): Rule {
  const p = `filter.rules.rule.${uuid}`;
  const hasStatetype = caps.ruleStatetype && "statetype" in r;
  return {
    uuid,
    enabled: readBool(r.enabled, `${p}.enabled`),
    action: readSingle(r.action, `${p}.action`),
    quick: readBool(r.quick, `${p}.quick`),
    interfaces: readMulti(r.interface, `${p}.interface`),
    direction: readSingle(r.direction, `${p}.direction`),
    ipprotocol: readSingle(r.ipprotocol, `${p}.ipprotocol`),
    protocol: protocolIn(readSingle(r.protocol, `${p}.protocol`)),
    sourceNet: readCommaList(r.source_net, `${p}.source_net`),
    sourcePort: readCommaList(r.source_port, `${p}.source_port`),
    destinationNet: readCommaList(r.destination_net, `${p}.destination_net`),
    destinationPort: readCommaList(r.destination_port, `${p}.destination_port`),
    statetype: hasStatetype ? readSingle(r.statetype, `${p}.statetype`) : null,
    description: readString(r.description, `${p}.description`),
    categories: readMulti(r.categories, `${p}.categories`),
  };
}

/** Model-level `GET firewall/filter/get`: exact stored values of every MVC rule (§2.4). */
export function parseFilterModel(reply: unknown, caps: Capabilities): Rule[] {
  return guardShape("GET", EP.get, () => {
    const filter = child(readObj(reply, "reply"), "filter", "reply");
    if (!("rules" in filter)) return [];
    const rules = readObj(filter.rules, "filter.rules");
    if (!("rule" in rules)) return [];
    return readItems(rules.rule, "filter.rules.rule").map(([uuid, r]) => parseRule(uuid, r, caps));
  });
}

export async function readRules(http: Http, caps: Capabilities): Promise<Rule[]> {
  return parseFilterModel(await http.request({ method: "GET", endpoint: EP.get }), caps);
}

export function ruleBody(spec: RuleSpec, categoryUuid: string, caps: Capabilities): Record<string, string> {
  if (spec.direction === "any" && !caps.ruleDirectionAny) {
    const msg = `direction "any" needs OPNsense 26.1 or later (this router's rule template does not offer it); write an "in" and an "out" rule instead`;
    throw new OpnsenseError({ kind: "validation", method: "POST", endpoint: RULE.set, validations: { "rule.direction": [msg] }, detail: `validation failed: rule.direction: ${msg}` });
  }
  const body: Record<string, string> = {
    enabled: boolOut(spec.enabled),
    action: spec.action,
    quick: boolOut(spec.quick),
    interface: listOut(spec.interfaces),
    direction: spec.direction,
    ipprotocol: spec.ipprotocol,
    protocol: protocolOut(spec.protocol),
    source_net: commaOut(spec.sourceNet),
    source_port: commaOut(spec.sourcePort),
    destination_net: commaOut(spec.destinationNet),
    destination_port: commaOut(spec.destinationPort),
    description: spec.description,
    categories: categoryUuid,
  };
  // 24.x has no statetype field; null also means "leave OPNsense's default".
  if (spec.statetype !== null && caps.ruleStatetype) body.statetype = spec.statetype;
  return body;
}

export async function createRule(http: Http, spec: RuleSpec, categoryUuid: string, caps: Capabilities): Promise<string> {
  return createItem(http, RULE, ruleBody(spec, categoryUuid, caps));
}

export async function updateRule(http: Http, uuid: string, spec: RuleSpec, categoryUuid: string, caps: Capabilities): Promise<void> {
  await setItem(http, RULE, uuid, ruleBody(spec, categoryUuid, caps));
}

export async function deleteRule(http: Http, uuid: string): Promise<void> {
  await deleteItem(http, RULE, uuid);
}


/** `filter/apply[/revision]`: "OK\n\n" on success; "" means configd timed out (§1.7). */
export async function applyFilter(http: Http, timeoutMs: number, revision?: string): Promise<void> {
  await runAction(http, { endpoint: EP.apply, what: "filter reload", timeoutMs, args: revision ? [revision] : [] });
}

/** Returns the revision to pass to apply/cancelRollback, or null where savepoints no longer exist (26.7+). */
export async function savepoint(http: Http): Promise<string | null> {
  let reply: unknown;
  try {
    reply = await http.request({ method: "POST", endpoint: EP.savepoint });
  } catch (e) {
    if (e instanceof OpnsenseError && e.kind === "not-found") return null;
    throw e;
  }
  if (!isObj(reply) || (typeof reply.revision !== "string" && typeof reply.revision !== "number")) {
    throw new OpnsenseError({ kind: "unexpected", method: "POST", endpoint: EP.savepoint, detail: `unexpected reply shape: expected {"revision": …}, got ${http.excerpt(reply)}` });
  }
  return String(reply.revision);
}

/**
 * Disarms the rollback timer. "Execute error" means no timer was pending for that revision
 * (never armed, already fired, or a revision/backup mismatch on 24.1–25.1, §4.6): that is
 * reported as an error because a fired timer has restored the old rules. A 404 means the
 * router has no savepoints at all (26.7+), so there is nothing to cancel.
 */
export async function cancelRollback(http: Http, revision: string): Promise<void> {
  let reply: unknown;
  try {
    reply = await http.request({ method: "POST", endpoint: EP.cancelRollback, args: [revision] });
  } catch (e) {
    if (e instanceof OpnsenseError && e.kind === "not-found") return;
    throw e;
  }
  const status = statusOf(http, "POST", EP.cancelRollback, reply).trim();
  if (status !== "" && status.toLowerCase() !== "ok") {
    throw new OpnsenseError({
      kind: "unexpected",
      method: "POST",
      endpoint: EP.cancelRollback,
      detail: `no rollback timer was pending for revision ${revision} ("${http.excerpt(status)}"): it was not armed, already fired, or the revision did not match a backup`,
    });
  }
}
