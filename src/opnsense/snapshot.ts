/**
 * The reads of one reconcile pass, as few as possible (see slow-facts.ts for what is kept
 * between passes). Every pass: quagga/bgp/get, firewall/alias/get, firewall/filter/get and
 * quagga/diagnostics/bgpsummary (session status, for reports only), in parallel. When not kept:
 * quagga/general/get and firewall/category/searchItem (same batch), FRR's running config
 * (same batch when nothing is kept, else after bgp/get shows the saved state changed) and
 * alias_util/list/<name> for each requested alias that exists and whose saved content changed.
 * Model-level `get`s are used because they carry exact stored values on every version (grids
 * carry labels before 25.7, §2.3).
 */
import type { Alias, AliasTablesRunning, BgpSessionsRead, Capabilities, FrrRunning, RouterSnapshot } from "../domain/types.ts";
import { OpnsenseError } from "./errors.ts";
import type { Http } from "./http.ts";
import { readBgpModel, readGeneral } from "./bgp.ts";
import { rendersDescription } from "./capabilities.ts";
import { readCategories } from "./category.ts";
import { readAliases, readAliasTable } from "./alias.ts";
import { readRules } from "./filter.ts";
import { readRunning } from "./frr-service.ts";
import { readBgpSessions } from "./bgp-sessions.ts";
import { frrSavedKey, type SlowFacts, type TableReading } from "./slow-facts.ts";

export type SnapshotOptions = { readonly aliasNames: readonly string[] };

async function readTable(http: Http, name: string): Promise<TableReading | null> {
  try {
    return await readAliasTable(http, name);
  } catch (e) {
    // alias_util is optional (its privilege may be withheld): the pass goes on without it.
    if (!(e instanceof OpnsenseError)) throw e;
    return e.kind === "permission" ? "unreadable" : null;
  }
}

/** Live tables of the requested aliases; null when any is unreadable (then the alias check is skipped). */
async function readTables(http: Http, facts: SlowFacts, aliases: readonly Alias[]): Promise<AliasTablesRunning | null> {
  const readings = await Promise.all(
    aliases.map(async (a) => {
      const kept = facts.aliasTable(a);
      if (kept !== null) return [a, kept] as const;
      const read = await readTable(http, a.name);
      // A failed read is not kept: the next pass asks again.
      if (read !== null) facts.rememberAliasTable(a, read);
      return [a, read] as const;
    }),
  );
  const out = new Map<string, readonly string[]>();
  for (const [a, t] of readings) {
    if (t === null || t === "unreadable") return null;
    out.set(a.name, t);
  }
  return out;
}

/**
 * A session summary without a single peer while the kept running config has neighbors: FRR was
 * stopped or reconfigured behind the agent's back, so everything kept about it is stale.
 */
function keptRunningIsStale(kept: FrrRunning | null, sessions: BgpSessionsRead): boolean {
  return kept !== null && kept.neighbors.size > 0 && sessions.ok && sessions.peers.size === 0;
}

export async function readSnapshot(http: Http, caps: Capabilities, opts: SnapshotOptions, facts: SlowFacts): Promise<RouterSnapshot> {
  const keptFrr = facts.frr();
  const keptCategories = facts.categories();
  // Nothing kept about FRR's running config: read it in the same batch (no extra round trip).
  const runningUnknown = facts.frrRunningKnown() === null;
  const [frrRead, bgpModel, categories, aliases, rules, bgpSessions, runningRead] = await Promise.all([
    keptFrr ?? readGeneral(http),
    readBgpModel(http),
    keptCategories ?? readCategories(http),
    readAliases(http),
    readRules(http, caps),
    readBgpSessions(http),
    runningUnknown ? readRunning(http) : null,
  ]);
  // FRR's running config for the saved state just read: the one kept for that state, else read now.
  let frr = frrRead;
  let frrRunning: FrrRunning | null = runningRead;
  const stale = !runningUnknown && keptRunningIsStale(facts.frrRunningKnown(), bgpSessions);
  if (stale) {
    facts.forget();
    [frr, frrRunning] = await Promise.all([readGeneral(http), readRunning(http)]);
  }
  facts.setFrr(frr);
  facts.setCategories(categories);
  const key = frrSavedKey(frr, bgpModel);
  if (!runningUnknown && !stale) frrRunning = facts.frrRunning(key) ?? (await readRunning(http));
  // Unknown (bgpd down, or the read failed) is not kept: the next pass asks again.
  if (frrRunning !== null) facts.rememberFrrRunning(key, frrRunning);

  const wanted = new Set(opts.aliasNames);
  const aliasTablesRunning = await readTables(
    http,
    facts,
    aliases.filter((a) => wanted.has(a.name)),
  );
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
