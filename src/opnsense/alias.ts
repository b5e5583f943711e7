/**
 * Firewall aliases (`/api/firewall/alias`) and the live pf tables behind them
 * (`/api/firewall/alias_util`).
 */
import type { Alias, AliasSpec } from "../domain/types.ts";
import { OpnsenseError, guardShape } from "./errors.ts";
import type { Http } from "./http.ts";
import { aliasContentOut, boolOut, child, isObj, readAliasContent, readBool, readItems, readMulti, readObj, readSingle, readString } from "./codec.ts";
import type { Obj } from "./codec.ts";
import { createItem, deleteItem, runAction, setItem } from "./crud.ts";
import type { ItemEndpoints } from "./crud.ts";

export const EP = {
  get: "firewall/alias/get",
  reconfigure: "firewall/alias/reconfigure",
  utilList: "firewall/alias_util/list",
  utilAliases: "firewall/alias_util/aliases",
  getAliasUUID: "firewall/alias/getAliasUUID",
} as const;

/** An alias name nobody uses: `getAliasUUID` answers `[]` (a few bytes), so it makes a cheap privilege probe and reachability check. */
export const PROBE_ALIAS_NAME = "opnsense_bgp_agent_probe";

const ALIAS: ItemEndpoints = { set: "firewall/alias/setItem", del: "firewall/alias/delItem", key: "alias" };

function parseAlias(uuid: string, a: Obj): Alias {
  const p = `alias.aliases.alias.${uuid}`;
  return {
    uuid,
    name: readString(a.name, `${p}.name`),
    type: readSingle(a.type, `${p}.type`),
    enabled: readBool(a.enabled, `${p}.enabled`),
    content: readAliasContent(a.content, `${p}.content`),
    description: readString(a.description, `${p}.description`),
    categories: readMulti(a.categories, `${p}.categories`),
  };
}

/** Model-level `GET firewall/alias/get`: content holds only each alias's own entries (§10). */
export function parseAliasModel(reply: unknown): Alias[] {
  return guardShape("GET", EP.get, () => {
    const alias = child(readObj(reply, "reply"), "alias", "reply");
    if (!("aliases" in alias)) return [];
    const aliases = readObj(alias.aliases, "alias.aliases");
    if (!("alias" in aliases)) return [];
    return readItems(aliases.alias, "alias.aliases.alias").map(([uuid, a]) => parseAlias(uuid, a));
  });
}

export async function readAliases(http: Http): Promise<Alias[]> {
  return parseAliasModel(await http.request({ method: "GET", endpoint: EP.get }));
}

export function aliasBody(spec: AliasSpec, categoryUuid: string): Record<string, string> {
  return {
    enabled: boolOut(spec.enabled),
    name: spec.name,
    type: spec.type,
    content: aliasContentOut(spec.content),
    description: spec.description,
    categories: categoryUuid,
  };
}

export async function createAlias(http: Http, spec: AliasSpec, categoryUuid: string): Promise<string> {
  return createItem(http, ALIAS, aliasBody(spec, categoryUuid));
}

export async function updateAlias(http: Http, uuid: string, spec: AliasSpec, categoryUuid: string): Promise<void> {
  await setItem(http, ALIAS, uuid, aliasBody(spec, categoryUuid));
}

export async function deleteAlias(http: Http, uuid: string): Promise<void> {
  await deleteItem(http, ALIAS, uuid);
}

/** `alias/reconfigure` reloads pf and refreshes the tables (the filter apply of 26.7+ does not, §4.7). */
export async function reloadAliases(http: Http, timeoutMs: number): Promise<void> {
  await runAction(http, { endpoint: EP.reconfigure, what: "alias reload", timeoutMs });
}

/** Live pf table of one alias: grid rows `{ip: …}` (§5.6), normalized like alias content. */
export function parseAliasTable(reply: unknown, name: string): string[] {
  return guardShape("GET", EP.utilList, () => {
    const grid = readObj(reply, "reply");
    const rows = grid.rows;
    if (rows === undefined) return [];
    if (!Array.isArray(rows)) throw new OpnsenseError({ kind: "unexpected", method: "GET", endpoint: EP.utilList, detail: `unexpected reply shape for table ${name}: rows is not a list` });
    const out = new Set<string>();
    for (const row of rows) {
      if (isObj(row) && typeof row.ip === "string" && row.ip.trim() !== "") out.add(row.ip.trim().toLowerCase());
    }
    return [...out].sort();
  });
}

export async function readAliasTable(http: Http, name: string): Promise<string[]> {
  // Read-only and optional: one attempt, the next pass tries again.
  return parseAliasTable(await http.request({ method: "GET", endpoint: EP.utilList, args: [name], retries: 0 }), name);
}
