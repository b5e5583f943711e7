/**
 * The reads of one reconcile pass, all at once and as few as possible:
 * quagga/general/get, quagga/bgp/get, firewall/category/searchItem, firewall/alias/get,
 * firewall/filter/get, quagga/diagnostics/generalrunningconfig, quagga/diagnostics/bgpsummary
 * (session status, for reports only), then alias_util/list/<name>
 * for each requested alias that exists. Model-level `get`s are used because they carry
 * exact stored values on every version (grids carry labels before 25.7, §2.3).
 */
import type { AliasTablesRunning, Capabilities, RouterSnapshot } from "../domain/types.ts";
import { OpnsenseError } from "./errors.ts";
import type { Http } from "./http.ts";
import { readBgpModel, readGeneral } from "./bgp.ts";
import { rendersDescription } from "./capabilities.ts";
import { readCategories } from "./category.ts";
import { readAliases, readAliasTable } from "./alias.ts";
import { readRules } from "./filter.ts";
import { readRunning } from "./frr-service.ts";
import { readBgpSessions } from "./bgp-sessions.ts";

export type SnapshotOptions = { readonly aliasNames: readonly string[] };

async function readTables(http: Http, names: readonly string[]): Promise<AliasTablesRunning | null> {
  try {
    const entries = await Promise.all(names.map(async (name) => [name, await readAliasTable(http, name)] as const));
    return new Map(entries);
  } catch (e) {
    // alias_util is optional (its privilege may be withheld): the pass goes on without it.
    if (e instanceof OpnsenseError) return null;
    throw e;
  }
}

export async function readSnapshot(http: Http, caps: Capabilities, opts: SnapshotOptions): Promise<RouterSnapshot> {
  const [frr, bgpModel, categories, aliases, rules, frrRunning, bgpSessions] = await Promise.all([
    readGeneral(http),
    readBgpModel(http),
    readCategories(http),
    readAliases(http),
    readRules(http, caps),
    readRunning(http),
    readBgpSessions(http),
  ]);
  const existing = new Set(aliases.map((a) => a.name));
  const aliasTablesRunning = await readTables(http, [...new Set(opts.aliasNames)].filter((n) => existing.has(n)));
  return {
    // The BGP root read here is the best evidence for description rendering (see capabilities.ts).
    capabilities: caps.frrRendersDescription || !rendersDescription(bgpModel.rootFields, caps.neighborFields) ? caps : { ...caps, frrRendersDescription: true },
    frr,
    bgp: bgpModel.bgp,
    neighbors: bgpModel.neighbors,
    peerGroups: bgpModel.peerGroups,
    prefixRows: bgpModel.prefixRows,
    categories,
    aliases,
    rules,
    frrRunning,
    aliasTablesRunning,
    bgpSessions,
  };
}
