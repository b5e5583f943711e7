import type { ApiRequest, Endpoint, Reply } from "./api-types.ts";
import { ok, UNEXPECTED, userError } from "./api-types.ts";
import type { Collection } from "./crud.ts";
import { addItem, delItem, grid, gridParams, setItem, toggleItem } from "./crud.ts";
import type { FieldDef, Validations } from "./model.ts";
import { encodeItem, gridRow, templateItem, validateItem } from "./model.ts";
import type { Fields, SimState } from "./state.ts";
import { isDomain, isIpAddress, isIPv6, isSubnet } from "./net.ts";
import { aliasByName, allAliasNames, builtinAliases, contentEntries, refreshTables, reloadRules } from "./pf.ts";
import { listCategories } from "./filter.ts";

/** pfctl parse.y keywords (AliasNameField.php) */
const PF_KEYWORDS = new Set(
  (
    "all allow-opts altq anchor antispoof any bandwidth binat binat-anchor bitmask block block-policy buckets cbq code " +
    "codelq crop debug divert-reply divert-to drop drop-ovl dup-to fail-policy fairq fastroute file fingerprints flags " +
    "floating flush for fragment from global group hfsc hogs hostid icmp-type icmp6-type if-bound in include inet inet6 " +
    "interval keep label limit linkshare load log loginterface max max-mss max-src-conn max-src-conn-rate max-src-nodes " +
    "max-src-states min-ttl modulate nat nat-anchor no no-df no-route no-sync on optimization os out overload pass port " +
    "prio priority priq probability proto qlimit queue quick random random-id rdr rdr-anchor realtime reassemble reply-to " +
    "require-order return return-icmp return-icmp6 return-rst round-robin route route-to rtable rule ruleset-optimization " +
    "scrub set set-tos skip sloppy source-hash source-track state state-defaults state-policy static-port sticky-address " +
    "synproxy table tag tagged target tbrsize timeout to tos ttl upperlimit urpf-failed user"
  ).split(" "),
);

/** a sample of /etc/services and /etc/protocols names (getservbyname/getprotobyname are case-sensitive) */
const SERVICES_AND_PROTOCOLS = new Set(
  (
    "bgp http https www ssh ftp ftp-data telnet smtp domain ntp snmp snmptrap ldap ldaps imap imaps pop3 pop3s tftp " +
    "syslog kerberos bootps bootpc sip rip ripng isakmp ipsec-nat-t openvpn radius nfsd sunrpc microsoft-ds netbios-ns " +
    "netbios-dgm netbios-ssn rsync mysql postgresql submission auth finger gopher nntp irc echo discard daytime chargen " +
    "time whois login shell exec printer uucp klogin kshell ldp bfd-control carp " +
    "ip icmp igmp ggp ipencap tcp udp ipv6 ipv6-route ipv6-frag gre esp ah ipv6-icmp ipv6-nonxt ipv6-opts ospf pim " +
    "sctp vrrp pfsync l2tp eigrp etherip ipip ipcomp udplite isis divert"
  ).split(" "),
);

export const ALIAS_TYPES: Record<string, string> = {
  host: "Host(s)",
  network: "Network(s)",
  port: "Port(s)",
  url: "URL (IPs)",
  urltable: "URL Table (IPs)",
  urljson: "URL Table in JSON format (IPs)",
  geoip: "GeoIP",
  networkgroup: "Network group",
  mac: "MAC address",
  asn: "BGP ASN",
  dynipv6host: "Dynamic IPv6 Host",
  authgroup: "OpenVPN group",
  internal: "Internal (automatic)",
  external: "External (advanced)",
};

function aliasTypes(sim: SimState): Record<string, string> {
  const out = { ...ALIAS_TYPES };
  if (!sim.features.aliasAuth) delete out["urljson"];
  return out;
}

function validateName(v: string): string[] {
  const msgs: string[] = [];
  // the real message keeps its "%s" unformatted (every checked release)
  if (PF_KEYWORDS.has(v)) msgs.push('The name cannot be the internally reserved keyword "%s".');
  if (!/^([a-zA-Z]|([_a-zA-Z][a-zA-Z0-9][_a-zA-Z0-9]{0,29}))$/.test(v)) {
    msgs.push(
      "The name must start with a letter or single underscore, be less than 32 characters and only consist of alphanumeric characters or underscores.",
    );
  }
  if (SERVICES_AND_PROTOCOLS.has(v)) msgs.push("Reserved protocol or service names may not be used");
  return msgs;
}

function isRange(v: string): boolean {
  const r = v.split("-");
  return r.length === 2 && isIpAddress(r[0] as string) && isIpAddress(r[1] as string);
}

/** AliasContentField per-type entry validation (§5.3) */
function validateContent(v: string, item: Fields, sim: SimState): string[] {
  const names = new Set(allAliasNames(sim));
  const msgs: string[] = [];
  const type = item["type"] ?? "";
  for (const e of contentEntries(v)) {
    let good = true;
    let msg = "";
    if (type === "host") {
      good = isIpAddress(e) || isRange(e) || (e.startsWith("!") && isIpAddress(e.slice(1))) || names.has(e) || isDomain(e);
      msg = `Entry "${e}" is not a valid hostname, IP address or range.`;
    } else if (type === "network") {
      const x = e.startsWith("!") ? e.slice(1) : e;
      good = isIpAddress(x) || isSubnet(x) || isRange(x) || names.has(e);
      msg = `Entry "${e}" is not a network.`;
    } else if (type === "port") {
      const isPort = (p: string): boolean => /^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535;
      const r = e.split(/[:-]/);
      good = isPort(e) || (r.length === 2 && isPort(r[0] as string) && isPort(r[1] as string)) || names.has(e);
      msg = `Entry "${e}" is not a valid port number.`;
    }
    if (!good) msgs.push(msg);
  }
  return msgs;
}

function categoryOptions(sim: SimState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [uuid, c] of sim.config.categories) out[uuid] = c["name"] ?? "";
  return out;
}

/** pf's counters per alias table (25.7+); the simulator's pf counts nothing, so a loaded table shows "0" */
const PF_COUNTERS = ["eval_nomatch", "eval_match", "in_block_p", "in_block_b", "in_pass_p", "in_pass_b", "out_block_p", "out_block_b", "out_pass_p", "out_pass_b"] as const;

/** "" until pf has loaded the alias's table (an alias reload), as the real box shows it */
function loaded(a: Fields, s: SimState, value: (table: readonly string[]) => string): string {
  const table = s.pf.tables.get(a["name"] ?? "");
  return table === undefined ? "" : value(table);
}

function lastUpdated(s: SimState): string {
  const at = s.pf.lastAliasReconfigure;
  return at === null ? "" : new Date(at).toISOString().slice(0, 19);
}

/** The alias fields; `forGrid`: the search rows, which carry the runtime fields on every release. */
export function aliasDefs(sim: SimState, forGrid = false): FieldDef[] {
  const defs: FieldDef[] = [
    { name: "enabled", kind: "bool", required: true, default: "1" },
    { name: "name", kind: "custom", required: true, validate: (v) => validateName(v) },
    { name: "type", kind: "option", required: true, default: "alert", options: aliasTypes },
    { name: "proto", kind: "option", multi: true, options: () => ({ IPv4: "IPv4", IPv6: "IPv6" }) },
    { name: "interface", kind: "interface" },
    { name: "counters", kind: "bool", default: "0" },
    { name: "updatefreq", kind: "text" },
    { name: "content", kind: "custom", validate: validateContent },
  ];
  if (sim.features.aliasAuth) {
    defs.push(
      { name: "path_expression", kind: "text" },
      { name: "username", kind: "text" },
      { name: "password", kind: "text" },
      {
        name: "authtype",
        kind: "option",
        options: (s): Record<string, string> => (s.features.aliasHeaderAuth ? { Basic: "Basic", Bearer: "Bearer", Header: "Header" } : { Basic: "Basic", Bearer: "Bearer" }),
      },
    );
  }
  if (sim.features.aliasExpire) defs.push({ name: "expire", kind: "int", min: 60, max: 999999999 });
  defs.push({ name: "categories", kind: "relation", multi: true, options: categoryOptions, message: "Related category not found." });
  if (forGrid || sim.features.aliasRuntimeInModel) {
    defs.push({ name: "current_items", kind: "text", volatile: (a, s) => loaded(a, s, (t) => String(t.length)) });
    defs.push({ name: "last_updated", kind: "text", volatile: (a, s) => loaded(a, s, () => lastUpdated(s)) });
  }
  if (sim.features.aliasPfCounters) for (const name of PF_COUNTERS) defs.push({ name, kind: "text", volatile: (a, s) => loaded(a, s, () => "0") });
  defs.push({ name: "description", kind: "description" });
  return defs;
}

/** rules and aliases that reference an alias name (Alias::whereUsed, §5.4) */
export function whereUsed(sim: SimState, name: string): string[] {
  const out: string[] = [];
  for (const [uuid, r] of sim.config.rules) {
    const fields = ["source_net", "source_port", "destination_net", "destination_port"];
    if (fields.some((f) => (r[f] ?? "").split(",").includes(name))) out.push(`Rule ${r["description"] || uuid}`);
  }
  for (const a of sim.config.aliases.values()) {
    if (a["name"] !== name && contentEntries(a["content"] ?? "").includes(name)) out.push(`Alias ${a["name"]}`);
  }
  return out;
}

function renameReferences(sim: SimState, from: string, to: string): void {
  const swap = (v: string, sep: string): string => v.split(sep).map((x) => (x === from ? to : x)).join(sep);
  for (const r of sim.config.rules.values()) {
    for (const f of ["source_net", "source_port", "destination_net", "destination_port"]) {
      if (r[f] !== undefined) r[f] = swap(r[f] ?? "", ",");
    }
  }
  for (const a of sim.config.aliases.values()) a["content"] = swap(a["content"] ?? "", "\n");
}

export const aliases: Collection = {
  key: "alias",
  defs: aliasDefs,
  items: (sim) => sim.config.aliases,
  // uniqueness is case-sensitive and includes built-in aliases (§5.3, §5.5)
  crossValidate: (uuid, item, sim): Validations => {
    const v = item["name"] ?? "";
    const dup =
      v !== "" &&
      (builtinAliases().some((b) => b.name === v) || [...sim.config.aliases].some(([u, a]) => a["name"] === v && u !== uuid));
    return dup ? { "alias.name": "An alias with this name already exists." } : {};
  },
  afterSave: (_uuid, before, after, sim) => {
    const from = before?.["name"];
    const to = after["name"] ?? "";
    if (from !== undefined && from !== to) renameReferences(sim, from, to);
  },
  beforeDelete: (_uuid, item, sim) => {
    const name = item["name"] ?? "";
    const users = whereUsed(sim, name);
    if (users.length === 0) return null;
    // the alias name joined the message in 26.1.9 (§5.4)
    const head = sim.features.aliasInUseNamesAlias ? `Cannot delete alias ${name}.` : "Cannot delete alias.";
    return userError(`${head} Currently in use by ${users.join(", ")}`, "Alias in use");
  },
};

/** content map: own entries selected, every other alias name unselected (§5.2) */
function contentMap(sim: SimState, item: Fields | undefined, includeOthers: boolean): Record<string, unknown> {
  const own = item ? (item["content"] ?? "").split("\n").map((x) => x.trim()) : [""];
  const ownEntries = own.filter((x) => x !== "").length === 0 ? [""] : own.filter((x) => x !== "");
  const out: Record<string, unknown> = {};
  for (const e of ownEntries) out[e] = { value: e, selected: 1 };
  if (includeOthers) {
    const descr = new Map<string, string>();
    for (const b of builtinAliases()) descr.set(b.name, b.description);
    for (const a of sim.config.aliases.values()) descr.set(a["name"] ?? "", a["description"] ?? "");
    for (const [name, d] of descr) {
      if (name in out) continue;
      out[name] = { value: name, selected: 0, description: d };
    }
  }
  return out;
}

function encodeAlias(sim: SimState, item: Fields, includeOthers: boolean): Record<string, unknown> {
  const enc = encodeItem(aliasDefs(sim), item, sim);
  enc["content"] = contentMap(sim, item, includeOthers);
  return enc;
}

function getAliasItem(req: ApiRequest, sim: SimState): Reply {
  const uuid = req.params[0];
  if (uuid === undefined || uuid === "") {
    const t = templateItem(aliasDefs(sim), sim);
    return ok({ alias: encodeAlias(sim, t, true) });
  }
  const item = sim.config.aliases.get(uuid);
  if (!item) {
    // before 26.1.11: array_keys(null) → 500; then a blank alias (§5.2, §11)
    if (!sim.features.blankAliasGetItem) return UNEXPECTED;
    return ok({ alias: { content: contentMap(sim, undefined, true) } });
  }
  return ok({ alias: encodeAlias(sim, item, true) });
}

function searchAlias(req: ApiRequest, sim: SimState): Reply {
  const typeParam = req.post["type"] ?? req.query["type"];
  const catParam = req.post["category"] ?? req.query["category"];
  // a plain string hits a TypeError in the controller (§5.1)
  if ((typeParam !== undefined && !Array.isArray(typeParam)) || (catParam !== undefined && !Array.isArray(catParam))) {
    return UNEXPECTED;
  }
  const types = typeParam ? (typeParam as unknown[]).map(String) : null;
  const cats = catParam ? (catParam as unknown[]).map(String) : null;
  const raw = sim.features.rawGrid;
  const defs = aliasDefs(sim, true);
  const only = raw ? undefined : ["enabled", "name", "description", "type", "content", "current_items", "last_updated"];
  const rows: Array<Record<string, unknown>> = [];
  const consider = (uuid: string, a: Fields): void => {
    if (types && types.length && !types.includes(a["type"] ?? "")) return;
    const own = (a["categories"] ?? "").split(",").filter((x) => x !== "");
    if (cats && cats.length && !own.some((c) => cats.includes(c))) return;
    const row = gridRow(defs, uuid, a, sim, raw, only);
    if (!raw) row["content"] = contentEntries(a["content"] ?? "").join(",");
    row["categories_uuid"] = own;
    rows.push(row);
  };
  for (const b of builtinAliases()) {
    consider(b.uuid, { enabled: "1", name: b.name, type: b.type, content: "", description: b.description, categories: "" });
  }
  for (const [uuid, a] of sim.config.aliases) consider(uuid, a);
  return ok(grid(rows, gridParams(req, false), "name"));
}

function getAliasUUID(req: ApiRequest, sim: SimState): Reply {
  const name = req.params[0] ?? "";
  const found = aliasByName(sim, name);
  if (found) return ok({ uuid: found[0] });
  const b = builtinAliases().find((x) => x.name === name);
  return b ? ok({ uuid: b.uuid }) : ok([]);
}

/** reconfigure = reload (skip_alias) + template + refresh_aliases (§4.7) */
export function aliasReconfigure(sim: SimState): Reply {
  sim.counters.aliasReconfigures++;
  reloadRules(sim);
  refreshTables(sim);
  return ok({ status: "ok" });
}

function modelGet(sim: SimState): Reply {
  const items: Record<string, unknown> = {};
  for (const [uuid, a] of sim.config.aliases) items[uuid] = encodeAlias(sim, a, false);
  return ok({ alias: { geoip: { url: "" }, aliases: { alias: items } } });
}

// ---- alias_util (runtime pf tables, §5.6) ----

function postAddress(req: ApiRequest): string {
  const v = req.post["address"];
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : "";
}

function utilAdd(req: ApiRequest, sim: SimState): Reply {
  const name = req.params[0] ?? "";
  const address = postAddress(req);
  if (!/^[0-9a-f:./_]+$/.test(address)) return ok({ status: "not_an_address" });
  const found = aliasByName(sim, name);
  const builtin = builtinAliases().find((b) => b.name === name);
  if (!found && !builtin) return ok({ status: "failed", status_msg: `nonexistent alias ${name}` });
  if (found) {
    const [uuid, a] = found;
    if (a["type"] === "host" || a["type"] === "network") {
      let entry = address;
      if (a["type"] === "network" && !address.includes("/")) entry = `${address}/${isIPv6(address) ? 128 : 32}`;
      const entries = contentEntries(a["content"] ?? "");
      // array_search() returns 0 for the first entry, so `!array_search` re-appends it (§5.6)
      const idx = entries.indexOf(entry);
      if (idx <= 0) {
        const next = { ...a, content: [...entries, entry].join("\n") };
        const v = validateItem(aliasDefs(sim).filter((d) => d.name === "content"), next, "alias", sim);
        if (Object.keys(v).length) return UNEXPECTED;
        sim.config.aliases.set(uuid, next);
        sim.noteWrite();
      }
    }
  }
  const table = sim.pf.tables.get(name) ?? [];
  if (!table.includes(address)) table.push(address);
  sim.pf.tables.set(name, table);
  return ok({ status: "done" });
}

function utilDelete(req: ApiRequest, sim: SimState): Reply {
  const name = req.params[0] ?? "";
  const address = postAddress(req);
  if (!/^[0-9a-f:./_]+$/.test(address)) return ok({ status: "not_an_address" });
  const found = aliasByName(sim, name);
  const builtin = builtinAliases().find((b) => b.name === name);
  if (!found && !builtin) return ok({ status: "failed", status_msg: `nonexistent alias ${name}` });
  const variants = new Set([address, `${address}/32`, `${address}/128`]);
  if (found) {
    const [uuid, a] = found;
    if (a["type"] === "host" || a["type"] === "network") {
      const entries = contentEntries(a["content"] ?? "");
      const kept = entries.filter((e) => !variants.has(e));
      if (kept.length !== entries.length) {
        sim.config.aliases.set(uuid, { ...a, content: kept.join("\n") });
        sim.noteWrite();
      }
    }
  }
  sim.pf.tables.set(name, (sim.pf.tables.get(name) ?? []).filter((e) => !variants.has(e)));
  return ok({ status: "done" });
}

function utilFlush(req: ApiRequest, sim: SimState): Reply {
  const name = req.params[0] ?? "";
  if (!aliasByName(sim, name) && !builtinAliases().some((b) => b.name === name)) {
    return ok({ status: "failed", status_msg: `nonexistent alias ${name}` });
  }
  sim.pf.tables.set(name, []);
  return ok({ status: "done" });
}

function utilList(req: ApiRequest, sim: SimState): Reply {
  const rows = (sim.pf.tables.get(req.params[0] ?? "") ?? []).map((ip) => ({ ip }));
  return ok(grid(rows, gridParams(req, false)));
}

function utilFind(req: ApiRequest, sim: SimState): Reply {
  const ip = typeof req.post["ip"] === "string" ? req.post["ip"] : "";
  const matches = [...sim.pf.tables].filter(([, entries]) => entries.includes(ip)).map(([n]) => n);
  return ok({ matches });
}

export function aliasEndpoints(): Endpoint[] {
  const base = { module: "firewall", controller: "alias" } as const;
  const util = { module: "firewall", controller: "alias_util" } as const;
  const c = aliases;
  return [
    { ...base, action: "searchItem", kind: "any", handler: (r, s) => searchAlias(r, s) },
    { ...base, action: "getItem", kind: "any", handler: (r, s) => getAliasItem(r, s) },
    { ...base, action: "addItem", kind: "write", mutates: true, handler: (r, s) => addItem(c, r, s) },
    { ...base, action: "setItem", kind: "write", mutates: true, requiredParams: 1, handler: (r, s) => setItem(c, r, s) },
    { ...base, action: "delItem", kind: "write", mutates: true, requiredParams: 1, handler: (r, s) => delItem(c, r, s) },
    { ...base, action: "toggleItem", kind: "write", mutates: true, requiredParams: 1, handler: (r, s) => toggleItem(c, r, s) },
    { ...base, action: "getAliasUUID", kind: "any", requiredParams: 1, handler: (r, s) => getAliasUUID(r, s) },
    { ...base, action: "reconfigure", kind: "reconfigure", handler: (_r, s) => aliasReconfigure(s) },
    { ...base, action: "listCategories", kind: "any", handler: (_r, s) => listCategories(s, s.config.aliases.values()) },
    { ...base, action: "get", kind: "modelget", handler: (_r, s) => modelGet(s) },
    { ...util, action: "aliases", kind: "any", handler: (_r, s) => ok([...s.pf.tables.keys()]) },
    { ...util, action: "list", kind: "any", requiredParams: 1, handler: (r, s) => utilList(r, s) },
    { ...util, action: "add", kind: "aliasutil", mutates: true, requiredParams: 1, handler: (r, s) => utilAdd(r, s) },
    { ...util, action: "delete", kind: "aliasutil", mutates: true, requiredParams: 1, handler: (r, s) => utilDelete(r, s) },
    { ...util, action: "flush", kind: "aliasutil", requiredParams: 1, handler: (r, s) => utilFlush(r, s) },
    { ...util, action: "findReferences", kind: "aliasutil", handler: (r, s) => utilFind(r, s) },
  ];
}
