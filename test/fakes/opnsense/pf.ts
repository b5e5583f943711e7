// What pf runs: the ruleset after filter/apply and the alias tables after a refresh.

import type { Fields, SimState } from "./state.ts";
import { INTERFACES } from "./state.ts";

export interface BuiltinAlias {
  uuid: string;
  name: string;
  type: string;
  description: string;
}

/** built-in and interface aliases every OPNsense has; they take part in name uniqueness (§5.5) */
export function builtinAliases(): BuiltinAlias[] {
  const list: BuiltinAlias[] = [
    { uuid: "bogons", name: "bogons", type: "external", description: "bogon networks (internal)" },
    { uuid: "bogonsv6", name: "bogonsv6", type: "external", description: "bogon networks IPv6 (internal)" },
    { uuid: "virusprot", name: "virusprot", type: "external", description: "overload table for rate limiting (internal)" },
    { uuid: "sshlockout", name: "sshlockout", type: "external", description: "abuse lockout table (internal)" },
  ];
  for (const [ifname, info] of Object.entries(INTERFACES)) {
    list.push({ uuid: `__${ifname}_network`, name: `__${ifname}_network`, type: "internal", description: `${info.descr} net` });
  }
  // stable, valid-looking uuids so clients can treat them like any other row
  return list.map((a, idx) => ({ ...a, uuid: `00000000-0000-4000-8000-${String(idx + 1).padStart(12, "0")}` }));
}

export function allAliasNames(sim: SimState): string[] {
  return [...builtinAliases().map((a) => a.name), ...[...sim.config.aliases.values()].map((a) => a["name"] ?? "")];
}

export function aliasByName(sim: SimState, name: string): [string, Fields] | undefined {
  for (const entry of sim.config.aliases) if (entry[1]["name"] === name) return entry;
  return undefined;
}

export function contentEntries(content: string): string[] {
  return content.split("\n").map((x) => x.trim()).filter((x) => x !== "");
}

/** priority bucket of an MVC rule (§4.4) */
export function rulePriority(rule: Fields): number {
  const ifs = (rule["interface"] ?? "").split(",").filter((x) => x !== "");
  if (ifs.length !== 1 || rule["interfacenot"] === "1") return 200000;
  return (ifs[0] as string) in INTERFACES ? 400000 : 600000;
}

export function sortOrder(rule: Fields): string {
  return `${rulePriority(rule)}.0${String(Number(rule["sequence"] || 0)).padStart(6, "0")}`;
}

function addressUsable(sim: SimState, v: string): boolean {
  const known = new Set(allAliasNames(sim));
  return v
    .split(",")
    .filter((x) => x !== "")
    .every((x) => {
      if (x === "any" || x === "(self)" || x.includes(".") || x.includes(":")) return true;
      if (x in INTERFACES || (x.endsWith("ip") && x.slice(0, -2) in INTERFACES)) return true;
      return known.has(x);
    });
}

/** filter reload: enabled rules in pf order; a rule whose alias vanished is silently skipped (§4.4) */
export function reloadRules(sim: SimState): void {
  const rules = [...sim.config.rules.entries()]
    .filter(([, r]) => r["enabled"] === "1")
    .filter(([, r]) => rulePriority(r) < 600000)
    .filter(([, r]) => addressUsable(sim, r["source_net"] ?? "any") && addressUsable(sim, r["destination_net"] ?? "any"))
    .sort(([, a], [, b]) => rulePriority(a) - rulePriority(b) || Number(a["sequence"] || 0) - Number(b["sequence"] || 0));
  sim.pf.rules = rules.map(([uuid, r]) => ({ uuid, ...r }));
  sim.pf.ruleUuids = rules.map(([uuid]) => uuid);
  sim.pf.lastFilterApply = Date.now();
}

/** refresh_aliases: a disabled alias is defined but empty (§5.3) */
export function refreshTables(sim: SimState): void {
  const tables = new Map<string, string[]>();
  for (const b of builtinAliases()) tables.set(b.name, sim.pf.tables.get(b.name) ?? []);
  for (const a of sim.config.aliases.values()) {
    const name = a["name"] ?? "";
    if (a["type"] === "external") {
      // runtime-only tables keep what alias_util put there
      tables.set(name, sim.pf.tables.get(name) ?? []);
      continue;
    }
    tables.set(name, a["enabled"] === "1" ? contentEntries(a["content"] ?? "") : []);
  }
  sim.pf.tables = tables;
  sim.pf.lastAliasReconfigure = Date.now();
}
