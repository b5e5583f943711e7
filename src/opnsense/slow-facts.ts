/**
 * What a pass would otherwise read from OPNsense every time although it rarely changes, kept
 * between passes by one owner (the client):
 *
 * - FRR's general switches (`quagga/general/get`) and the category list
 *   (`firewall/category/searchItem`): re-read after `forget()`, which the controller calls at
 *   start, on every periodic resync and after any failed request or write;
 * - what FRR and pf were last seen running (`generalrunningconfig`, `alias_util/list`), each
 *   together with a key of the saved state it was read against. The saved-versus-running check
 *   still runs every pass: while the saved state has the key it had then, the running state is
 *   the one read then (only an apply changes it, and every apply forgets it); any change to the
 *   saved state, an apply, or `forget()` makes the next pass read it again.
 *
 * Never kept: the neighbors, prefix rows, aliases and rules the plan diffs against and checks
 * ownership on (read every pass), and the BGP sessions (a report of now).
 */
import { createHash } from "node:crypto";
import type { Alias, Category, FrrGeneral, FrrRunning } from "../domain/types.ts";
import type { BgpModel } from "./bgp.ts";

/** The live pf table of an alias, or `unreadable` (alias_util refused: the privilege is optional). */
export type TableReading = readonly string[] | "unreadable";

export type SlowFacts = {
  frr(): FrrGeneral | null;
  categories(): readonly Category[] | null;
  setFrr(frr: FrrGeneral): void;
  setCategories(categories: readonly Category[]): void;
  /** FRR's running config as read for the saved state with this key; null when unknown or read for another state. */
  frrRunning(savedKey: string): FrrRunning | null;
  /** Whether FRR's running config was read at all since the last forget/apply (for a consistency check). */
  frrRunningKnown(): FrrRunning | null;
  rememberFrrRunning(savedKey: string, running: FrrRunning): void;
  /** The live table of `alias` as read while its saved content was the same; null when unknown. */
  aliasTable(alias: Alias): TableReading | null;
  rememberAliasTable(alias: Alias, table: TableReading): void;
  /** After an FRR reconfigure (or its attempt): what FRR runs must be read again. */
  frrApplied(): void;
  /** After an alias reload or filter apply (or its attempt): what pf runs must be read again. */
  firewallApplied(): void;
  /** The category list changed (the agent created one). */
  categoriesChanged(): void;
  /** Everything is read again by the next pass. */
  forget(): void;
};

/** A digest of the saved BGP state the running-config check compares against (FRR switches, BGP root, neighbors, groups, prefix rows). */
export function frrSavedKey(frr: FrrGeneral, model: BgpModel): string {
  const h = createHash("sha256");
  // One small JSON text per object: a 5,000-neighbor model never becomes one large string.
  h.update(JSON.stringify(frr));
  h.update(JSON.stringify(model.bgp));
  for (const list of [model.neighbors, model.peerGroups, model.prefixRows]) {
    h.update(`|${list.length}`);
    for (const item of list) h.update(JSON.stringify(item));
  }
  return h.digest("base64");
}

/** What pf loads for an alias: nothing when disabled, else its content. */
function aliasSavedKey(a: Alias): string {
  return JSON.stringify([a.uuid, a.enabled, a.type, a.content]);
}

export function createSlowFacts(): SlowFacts {
  let frr: FrrGeneral | null = null;
  let categories: readonly Category[] | null = null;
  let running: { readonly key: string; readonly value: FrrRunning } | null = null;
  const tables = new Map<string, { readonly key: string; readonly value: TableReading }>();
  return {
    frr: () => frr,
    categories: () => categories,
    setFrr(v) {
      frr = v;
    },
    setCategories(v) {
      categories = v;
    },
    frrRunning: (key) => (running !== null && running.key === key ? running.value : null),
    frrRunningKnown: () => running?.value ?? null,
    rememberFrrRunning(key, value) {
      running = { key, value };
    },
    aliasTable(alias) {
      const t = tables.get(alias.name);
      return t !== undefined && t.key === aliasSavedKey(alias) ? t.value : null;
    },
    rememberAliasTable(alias, value) {
      tables.set(alias.name, { key: aliasSavedKey(alias), value });
    },
    frrApplied() {
      running = null;
    },
    firewallApplied() {
      tables.clear();
    },
    categoriesChanged() {
      categories = null;
    },
    forget() {
      frr = null;
      categories = null;
      running = null;
      tables.clear();
    },
  };
}
