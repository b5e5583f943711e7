import { createHash } from "node:crypto";
import type { ApiRequest, Endpoint, Reply } from "./api-types.ts";
import { ok } from "./api-types.ts";
import type { Collection } from "./crud.ts";
import { addItem, delItem, encodeCollection, getItem, grid, gridParams, leafFailure, setItem, toggleItem } from "./crud.ts";
import type { FieldDef, Validations } from "./model.ts";
import { addMessage, applyPost, gridRow, LeafError, validateItem } from "./model.ts";
import type { Fields, LegacyRule, SimState } from "./state.ts";
import { INTERFACES } from "./state.ts";
import { familyOf, isIpAddress, isSubnet, UUID_V4 } from "./net.ts";
import { allAliasNames, refreshTables, reloadRules, rulePriority, sortOrder } from "./pf.ts";

export const PROTOCOLS = [
  "ICMP", "IGMP", "GGP", "IPENCAP", "ST2", "TCP", "CBT", "EGP", "IGP", "BBN-RCC", "NVP", "PUP", "ARGUS", "EMCON",
  "XNET", "CHAOS", "UDP", "MUX", "DCN", "HMP", "PRM", "XNS-IDP", "TRUNK-1", "TRUNK-2", "LEAF-1", "LEAF-2", "RDP",
  "IRTP", "ISO-TP4", "NETBLT", "MFE-NSP", "MERIT-INP", "DCCP", "3PC", "IDPR", "XTP", "DDP", "IDPR-CMTP", "TP++",
  "IL", "IPV6", "SDRP", "IPV6-ROUTE", "IPV6-FRAG", "IDRP", "RSVP", "GRE", "DSR", "BNA", "ESP", "AH", "I-NLSP",
  "SWIPE", "NARP", "MOBILE", "TLSP", "SKIP", "IPV6-ICMP", "IPV6-NONXT", "IPV6-OPTS", "CFTP", "SAT-EXPAK", "KRYPTOLAN",
  "RVD", "IPPC", "SAT-MON", "VISA", "IPCV", "CPNX", "CPHB", "WSN", "PVP", "BR-SAT-MON", "SUN-ND", "WB-MON",
  "WB-EXPAK", "ISO-IP", "VMTP", "SECURE-VMTP", "VINES", "TTP", "NSFNET-IGP", "DGP", "TCF", "EIGRP", "OSPF",
  "SPRITE-RPC", "LARP", "MTP", "AX.25", "IPIP", "MICP", "SCC-SP", "ETHERIP", "ENCAP", "GMTP", "IFMP", "PNNI",
  "PIM", "ARIS", "SCPS", "QNX", "A/N", "IPCOMP", "SNP", "COMPAQ-PEER", "IPX-IN-IP", "CARP", "PGM", "L2TP", "DDX",
  "IATP", "STP", "SRP", "UTI", "SMP", "SM", "PTP", "ISIS", "FIRE", "CRTP", "CRUDP", "SSCOPMCE", "IPLT", "SPS",
  "PIPE", "SCTP", "FC", "RSVP-E2E-IGNORE", "UDPLITE", "MPLS-IN-IP", "MANET", "HIP", "SHIM6", "WESP", "ROHC", "PFSYNC",
  "DIVERT",
];

export const WELL_KNOWN_PORTS = [
  "afs3-fileserver", "aol", "auth", "avt-profile-1", "cvsup", "domain", "domain-s", "ftp", "hbci", "http", "https",
  "igmpv3lite", "imap", "imaps", "ipsec-msft", "ipsec-nat-t", "isakmp", "l2f", "ldap", "ldaps", "microsoft-ds",
  "ms-streaming", "ms-wbt-server", "msnp", "nat-stun-port", "netbios-dgm", "netbios-ns", "netbios-ssn", "nntp", "ntp",
  "openvpn", "pop3", "pop3s", "pptp", "radius", "radius-acct", "rfb", "sip", "sip-tls", "smtp", "snmp", "snmptrap",
  "ssh", "submission", "submissions", "telnet", "teredo", "tftp", "urd", "wins",
];

const PORT_MSG =
  "Please specify a valid port number (1-65535). A service name is also possible (" + WELL_KNOWN_PORTS.join(", ") + ").";

function networkAliasOptions(sim: SimState): Set<string> {
  const opts = new Set<string>(["any", "(self)"]);
  for (const k of Object.keys(INTERFACES)) {
    opts.add(k);
    opts.add(`${k}ip`);
  }
  for (const a of sim.config.aliases.values()) if (!(a["type"] ?? "").includes("port")) opts.add(a["name"] ?? "");
  for (const n of allAliasNames(sim)) if (n.startsWith("__") || ["bogons", "bogonsv6", "virusprot", "sshlockout"].includes(n)) opts.add(n);
  return opts;
}

/** NetworkAliasField: one literal, or option items (comma list only since 25.1) (§4.3) */
function validateNetworkAlias(v: string, _item: Fields, sim: SimState): string | undefined {
  const opts = networkAliasOptions(sim);
  if (isIpAddress(v) || isSubnet(v)) return undefined;
  const values = sim.features.statetype ? v.split(",") : [v];
  if (values.every((x) => opts.has(x))) return undefined;
  return `${v} is not a valid source IP address or alias.`;
}

function validatePort(v: string, _item: Fields, sim: SimState): string | undefined {
  const portAliases = new Set([...sim.config.aliases.values()].filter((a) => a["type"] === "port").map((a) => a["name"] ?? ""));
  const isPort = (x: string): boolean => /^[1-9]\d{0,4}$/.test(x) && Number(x) <= 65535;
  if (v === "any" || WELL_KNOWN_PORTS.includes(v) || portAliases.has(v) || isPort(v)) return undefined;
  const r = v.split("-");
  if (r.length === 2 && isPort(r[0] as string) && isPort(r[1] as string) && Number(r[0]) < Number(r[1])) return undefined;
  return PORT_MSG;
}

function protocolOptions(): Record<string, string> {
  const out: Record<string, string> = { any: "any", "TCP/UDP": "TCP/UDP" };
  for (const p of PROTOCOLS) out[p] = p;
  return out;
}

function categoryOptions(sim: SimState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [uuid, c] of sim.config.categories) out[uuid] = c["name"] ?? "";
  return out;
}

/** FilterSequenceField: max(minimum 1, every sequence) + 100 */
function nextSequence(sim: SimState): string {
  let max = 1;
  for (const r of sim.config.rules.values()) max = Math.max(max, Number(r["sequence"] || 0));
  return String(max + 100);
}

const bool = (name: string, dflt: string, required = true): FieldDef => ({ name, kind: "bool", default: dflt, required });
const int = (name: string, min?: number, max?: number): FieldDef => ({ name, kind: "int", ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) });
const text = (name: string): FieldDef => ({ name, kind: "text" });

/** rule fields per core version (§4.3) */
export function ruleDefs(sim: SimState): FieldDef[] {
  const f = sim.features;
  const defs: FieldDef[] = [
    bool("enabled", "1"),
    {
      name: "sequence",
      kind: "int",
      required: true,
      min: 1,
      max: f.sortOrder ? 999999 : 99999,
      default: (s) => (s.features.sortOrder ? nextSequence(s) : "1"),
    },
  ];
  if (f.sortOrder) {
    defs.push({ name: "sort_order", kind: "text", volatile: (r) => sortOrder(r) });
    defs.push({ name: "prio_group", kind: "text", volatile: (r) => String(rulePriority(r)) });
  }
  defs.push(
    { name: "action", kind: "option", required: true, default: "pass", options: () => ({ pass: "Pass", block: "Block", reject: "Reject" }) },
    bool("quick", "1"),
    { name: "interface", kind: "interface", multi: true },
  );
  if (f.statetype) defs.push(bool("interfacenot", "0"));
  defs.push({
    name: "direction",
    kind: "option",
    required: true,
    default: "in",
    options: (s): Record<string, string> => (s.features.directionAny ? { in: "In", out: "Out", any: "Any" } : { in: "In", out: "Out" }),
  });
  defs.push({
    name: "ipprotocol",
    kind: "option",
    required: true,
    default: "inet",
    options: (s): Record<string, string> => (s.features.statetype ? { inet: "IPv4", inet6: "IPv6", inet46: "IPv4+IPv6" } : { inet: "IPv4", inet6: "IPv6" }),
  });
  defs.push({
    name: "protocol",
    kind: "option",
    required: true,
    default: "any",
    options: protocolOptions,
    // ChangeCase UPPER only from 26.1; older releases reject lower case (§4.3)
    transform: (v, s) => (s.features.directionAny ? v.toUpperCase().replace(/^ANY$/, "any") : v),
  });
  if (f.statetype) {
    defs.push({
      name: "statetype",
      kind: "option",
      required: true,
      default: "keep",
      options: () => ({ keep: "Keep state", sloppy: "Sloppy state", modulate: "Modulate state", synproxy: "Synproxy state", none: "None" }),
    });
    defs.push({ name: "state-policy", kind: "option", blankDesc: "Default", options: () => ({ "if-bound": "Bind states to interface", floating: "Floating states" }) });
  }
  defs.push(
    { name: "source_net", kind: "custom", required: true, default: "any", validate: validateNetworkAlias },
    bool("source_not", "0"),
    { name: "source_port", kind: "custom", validate: validatePort, transform: (v) => (WELL_KNOWN_PORTS.includes(v.trim().toLowerCase()) ? v.trim().toLowerCase() : v) },
    { name: "destination_net", kind: "custom", required: true, default: "any", validate: validateNetworkAlias },
    bool("destination_not", "0"),
    { name: "destination_port", kind: "custom", validate: validatePort, transform: (v) => (WELL_KNOWN_PORTS.includes(v.trim().toLowerCase()) ? v.trim().toLowerCase() : v) },
  );
  if (f.icmptype) {
    defs.push({ name: "icmptype", kind: "option", multi: true, options: () => ({ echoreq: "Echo Request", echorep: "Echo Reply", unreach: "Destination Unreachable", timex: "Time Exceeded" }) });
  }
  if (f.icmp6type) {
    defs.push({ name: "icmp6type", kind: "option", multi: true, options: () => ({ echoreq: "Echo Request", echorep: "Echo Reply", neighbrsol: "Neighbor Solicitation", neighbradv: "Neighbor Advertisement" }) });
  }
  defs.push(text("gateway"));
  if (f.statetype) defs.push(text("replyto"), bool("disablereplyto", "0", false));
  defs.push(bool("log", "0"));
  if (f.statetype) {
    defs.push(bool("allowopts", "0"), bool("nosync", "0"), bool("nopfsync", "0"));
    defs.push(
      int("statetimeout", 1), int("max", 1), int("max-src-nodes", 1), int("max-src-states", 1), int("max-src-conn", 1),
      int("max-src-conn-rate", 1), int("max-src-conn-rates", 1), int("adaptivestart", 0), int("adaptiveend", 0),
      text("overload"), text("prio"), text("set-prio"), text("set-prio-low"), text("tos"), text("tag"), text("tagged"),
      text("tcpflags1"), text("tcpflags2"), text("sched"), text("shaper1"), text("shaper2"),
    );
  }
  if (f.icmp6type) defs.push(int("udp-first", 1), int("udp-multiple", 1), int("udp-single", 1));
  if (f.divertTo) defs.push(text("divert-to"));
  if (f.tcpflagsAny) defs.push(bool("tcpflags_any", "0", false));
  defs.push({ name: "categories", kind: "relation", multi: true, options: categoryOptions, message: "Related category not found." });
  defs.push({ name: "description", kind: "description" });
  return defs;
}

/** Filter::performValidation() cross-field checks (§4.3) */
function crossValidate(_uuid: string, r: Fields, sim: SimState): Validations {
  const out: Validations = {};
  const proto = r["protocol"] ?? "any";
  const portProtos = ["TCP", "UDP", "TCP/UDP"];
  if ((r["source_port"] ?? "") !== "" && !portProtos.includes(proto)) {
    addMessage(out, "rule.source_port", "Source ports are only valid for tcp or udp type rules.");
  }
  if ((r["destination_port"] ?? "") !== "" && !portProtos.includes(proto)) {
    addMessage(out, "rule.destination_port", "Destination ports are only valid for tcp or udp type rules.");
  }
  for (const [field, label] of [["destination_net", "Destination"], ["source_net", "Source"]] as const) {
    const v = r[field] ?? "";
    if ((isIpAddress(v) || isSubnet(v)) && familyOf(v) !== r["ipprotocol"]) {
      addMessage(out, `rule.${field}`, `${label} address type should match selected TCP/IP protocol version.`);
    }
    if (v.includes(",") && v.split(",").includes("any")) addMessage(out, `rule.${field}`, "Any can not be combined with other aliases");
  }
  if ((r["source_net"] ?? "").includes(",") && r["source_not"] === "1") {
    addMessage(out, "rule.source_not", "Inverting sources is only allowed for single targets to avoid mis-interpretations");
  }
  if ((r["destination_net"] ?? "").includes(",") && r["destination_not"] === "1") {
    addMessage(out, "rule.destination_net", "Inverting destinations is only allowed for single targets to avoid mis-interpretations");
  }
  if (r["interfacenot"] === "1" && ((r["interface"] ?? "") === "" || (r["interface"] ?? "").includes(","))) {
    addMessage(out, "rule.interfacenot", "Inverting interfaces is only allowed for single targets to avoid mis-interpretations");
  }
  if (sim.features.statetype && !["TCP", "TCP/UDP"].includes(proto)) {
    for (const f of ["statetimeout", "max-src-conn", "tcpflags1", "tcpflags2", "tcpflags_any", "max-src-conn-rate", "max-src-conn-rates", "overload"]) {
      const v = r[f] ?? "";
      if (v !== "" && !(f === "tcpflags_any" && v === "0")) addMessage(out, `rule.${f}`, "Invalid option for other than TCP protocol choices.");
    }
  }
  if (r["statetype"] === "none") {
    for (const f of ["statetimeout", "max", "max-src-states", "max-src-nodes", "adaptivestart", "adaptiveend", "max-src-conn"]) {
      if ((r[f] ?? "") !== "") addMessage(out, `rule.${f}`, "Invalid option when statetype is none.");
    }
  }
  if ((r["icmptype"] ?? "") !== "" && proto !== "ICMP") addMessage(out, "rule.icmptype", "Option only applies to ICMP packets");
  if ((r["icmp6type"] ?? "") !== "" && proto !== "IPV6-ICMP") addMessage(out, "rule.icmp6type", "Option only applies to IPV6-ICMP packets");
  return out;
}

export const rules: Collection = {
  key: "rule",
  defs: ruleDefs,
  items: (sim) => sim.config.rules,
  crossValidate,
};

function legacyRow(l: LegacyRule, sim: SimState): Record<string, unknown> {
  const ifs = l.interface.split(",").filter((x) => x !== "");
  const prio = ifs.length === 1 ? 400000 : 200000;
  const seq = 1;
  const catUuids = [...sim.config.categories].filter(([, c]) => l.category.includes(c["name"] ?? "")).map(([u]) => u);
  return {
    uuid: l.uuid,
    enabled: l.enabled,
    legacy: true,
    is_automatic: l.is_automatic,
    sort_order: `${prio}.1${String(seq).padStart(6, "0")}`,
    prio_group: String(prio),
    interface: l.interface,
    action: l.action,
    description: l.description,
    categories: catUuids.join(","),
    category: l.category.join(","),
  };
}

function asList(v: unknown): string[] | null {
  if (v === undefined || v === null || v === "") return null;
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === "object") return Object.values(v as Record<string, unknown>).map(String);
  return [String(v)];
}

function searchRule(req: ApiRequest, sim: SimState): Reply {
  const f = sim.features;
  const categories = asList(req.post["category"] ?? req.query["category"]);
  const matchCat = (cats: string): boolean =>
    categories === null || cats.split(",").some((c) => c !== "" && categories.includes(c));
  const defs = ruleDefs(sim);
  if (f.searchRule === "basic" || f.searchRule === "action") {
    // before 25.1.5: searchBase over a few fields, labels, sorted by sequence (§4.2)
    const only = f.searchRule === "action" ? ["enabled", "sequence", "action", "description"] : ["enabled", "sequence", "description"];
    const rows: Array<Record<string, unknown>> = [];
    for (const [uuid, r] of sim.config.rules) {
      if (!matchCat(r["categories"] ?? "")) continue;
      rows.push(gridRow(defs, uuid, r, sim, false, only));
    }
    return ok(grid(rows, gridParams(req, false), "sequence"));
  }
  // 25.1.5 rewrite (core c2e168686f): interface filter, show_all merges legacy/automatic rows
  const ifaceParam = req.post["interface"] ?? req.query["interface"];
  const hasIfParam = ifaceParam !== undefined;
  const ifFilter = typeof ifaceParam === "string" ? ifaceParam.split(",").filter((x) => x !== "") : [];
  const showAll = ![undefined, null, "", "0", 0].includes(req.post["show_all"] as string) || ![undefined, null, "", "0"].includes(req.query["show_all"] as string);
  const matchIf = (iface: string): boolean => {
    const ifs = iface.split(",").filter((x) => x !== "");
    if (f.searchRule === "all") {
      // 26.1.1 (core 3e438a8e1f): no interface parameter lists every rule
      if (!hasIfParam || ifs.length === 0) return true;
      if (ifFilter.length === 0) return ifs.length !== 1;
      return ifs.some((i) => ifFilter.includes(i));
    }
    // 25.1.5–26.1.0: an empty filter shows only floating rules (no or several interfaces)
    if (ifFilter.length === 0) return ifs.length !== 1;
    if (f.searchRuleFloatingWithInterface) return ifs.length === 0 || ifs.some((i) => ifFilter.includes(i));
    return ifs.length === 1 && ifFilter.includes(ifs[0] as string);
  };
  const rows: Array<Record<string, unknown>> = [];
  for (const [uuid, r] of sim.config.rules) {
    if (!matchCat(r["categories"] ?? "") || !matchIf(r["interface"] ?? "")) continue;
    rows.push(gridRow(defs, uuid, r, sim, f.rawGrid));
  }
  // legacy and automatic rules come from configd: with show_all, always from 26.1
  if (showAll || f.searchRule === "all") {
    for (const l of sim.config.legacyRules) {
      const row = legacyRow(l, sim);
      if (!matchCat(String(row["categories"])) || !matchIf(l.interface)) continue;
      rows.push(row);
    }
  }
  // paging and the phrase are read from POST only (searchRecordsetBase, §1.4); 25.1.x filters the
  // MVC rules through searchBase first, which reads the phrase from the query too
  const params = gridParams(req, true, 9999);
  if (f.searchRulePhraseFromQuery && params.searchPhrase === "") params.searchPhrase = gridParams(req, false).searchPhrase;
  return ok(grid(rows, params, "sort_order"));
}

/** filter reload; on ≤26.1 it also refreshes alias tables, 26.7 passes skip_alias (§4.7) */
export function filterApply(sim: SimState): void {
  sim.counters.filterApplies++;
  reloadRules(sim);
  if (!sim.features.applySkipsAliases) refreshTables(sim);
}

function snapshotRules(sim: SimState): Map<string, Fields> {
  return new Map([...sim.config.rules].map(([k, v]) => [k, { ...v }]));
}

function savepoint(sim: SimState): Reply {
  const t = sim.nextRevision();
  // 25.7–26.1 round the revision to 2 decimals while the backup keeps full precision,
  // so it never matches a backup and rollback never fires (§4.6)
  const backupKey = t.toFixed(4);
  const revision = sim.features.savepoint === "rounded" ? t.toFixed(2) : backupKey;
  sim.savepoints.set(backupKey, snapshotRules(sim));
  sim.counters.backups++;
  return ok({ status: "ok", retention: "100", revision });
}

function restoreRevision(sim: SimState, revision: string): boolean {
  const snap = sim.savepoints.get(revision);
  if (!snap) return false;
  sim.config.rules = new Map([...snap].map(([k, v]) => [k, { ...v }]));
  sim.counters.backups++;
  sim.counters.rollbacks++;
  reloadRules(sim);
  return true;
}

function apply(req: ApiRequest, sim: SimState): Reply {
  const rev = req.params[0];
  // 26.7 ignores the surplus segment: no timer (§1.1, §4.6); one timer at a time (flock -n)
  if (rev !== undefined && rev !== "" && sim.features.savepoint !== "removed" && !sim.pendingRollback) {
    const timer = setTimeout(() => {
      sim.pendingRollback = null;
      restoreRevision(sim, rev);
    }, sim.rollbackDelayMs);
    timer.unref();
    sim.pendingRollback = { revision: rev, timer };
  }
  filterApply(sim);
  return ok({ status: "OK\n\n" });
}

function cancelRollback(req: ApiRequest, sim: SimState): Reply {
  const rev = req.params[0] ?? "";
  if (sim.pendingRollback && sim.pendingRollback.revision === rev) {
    clearTimeout(sim.pendingRollback.timer);
    sim.pendingRollback = null;
    return ok({ status: "\n\n" });
  }
  return ok({ status: "Execute error\n\n" });
}

function revert(req: ApiRequest, sim: SimState): Reply {
  const rev = req.params[0] ?? "";
  if (!restoreRevision(sim, rev)) return ok({ status: "unknown (or removed) savepoint" });
  return ok({ status: "ok" });
}

export function listCategories(sim: SimState, countIn: Iterable<Fields>): Reply {
  const used = new Map<string, number>();
  for (const item of countIn) {
    for (const c of (item["categories"] ?? "").split(",")) if (c !== "") used.set(c, (used.get(c) ?? 0) + 1);
  }
  const rows = [...sim.config.categories].map(([uuid, c]) => ({
    uuid,
    name: c["name"] ?? "",
    color: c["color"] ?? "",
    used: used.get(uuid) ?? 0,
  }));
  rows.sort((a, b) => a.name.localeCompare(b.name));
  return ok({ rows });
}

function modelGet(sim: SimState): Reply {
  return ok({
    filter: {
      rules: { rule: encodeCollection(rules, sim) },
      snatrules: { rule: [] },
      npt: { rule: [] },
      onetoone: { rule: [] },
    },
  });
}

/** model-level set: upserts the posted rules.rule map, validates the whole model */
function modelSet(req: ApiRequest, sim: SimState): Reply {
  const body = req.post["filter"];
  if (body === undefined) return ok({ result: "failed" });
  const rulesIn = (body as { rules?: { rule?: unknown } } | null)?.rules?.rule;
  const next = snapshotRules(sim);
  if (rulesIn !== null && typeof rulesIn === "object" && !Array.isArray(rulesIn)) {
    for (const [uuid, data] of Object.entries(rulesIn as Record<string, unknown>)) {
      if (data === null || typeof data !== "object") continue;
      if (!next.has(uuid) && !UUID_V4.test(uuid)) continue;
      const item = next.get(uuid) ?? validateBase(sim);
      try {
        applyPost(ruleDefs(sim), item, data as Record<string, unknown>, sim);
      } catch (e) {
        if (e instanceof LeafError) return leafFailure(e, sim);
        throw e;
      }
      next.set(uuid, item);
    }
  }
  const validations: Validations = {};
  const saved = sim.config.rules;
  sim.config.rules = next;
  for (const [uuid, r] of next) {
    const v = { ...validateItem(ruleDefs(sim), r, "rule", sim), ...crossValidate(uuid, r, sim) };
    for (const [k, m] of Object.entries(v)) addMessage(validations, k.replace(/^rule\./, `filter.rules.rule.${uuid}.`), m);
  }
  if (Object.keys(validations).length) {
    sim.config.rules = saved;
    return ok({ result: "failed", validations });
  }
  sim.noteWrite();
  return ok({ result: "saved" });
}

function validateBase(sim: SimState): Fields {
  const out: Fields = {};
  for (const d of ruleDefs(sim)) if (!d.volatile) out[d.name] = typeof d.default === "function" ? d.default(sim) : (d.default ?? "");
  return out;
}

export function filterEndpoints(): Endpoint[] {
  const base = { module: "firewall", controller: "filter" } as const;
  const upTo261 = (sim: SimState): boolean => sim.features.savepoint !== "removed";
  return [
    { ...base, action: "searchRule", kind: "any", handler: (r, s) => searchRule(r, s) },
    { ...base, action: "getRule", kind: "any", handler: (r, s) => getItem(rules, r, s) },
    { ...base, action: "addRule", kind: "write", mutates: true, handler: (r, s) => addItem(rules, r, s) },
    { ...base, action: "setRule", kind: "write", mutates: true, requiredParams: 1, handler: (r, s) => setItem(rules, r, s) },
    { ...base, action: "delRule", kind: "write", mutates: true, requiredParams: 1, handler: (r, s) => delItem(rules, r, s) },
    { ...base, action: "toggleRule", kind: "write", mutates: true, requiredParams: 1, handler: (r, s) => toggleItem(rules, r, s) },
    { ...base, action: "apply", kind: "apply", handler: (r, s) => apply(r, s) },
    { ...base, action: "savepoint", kind: "apply", available: upTo261, handler: (_r, s) => savepoint(s) },
    { ...base, action: "revert", kind: "apply", requiredParams: 1, available: upTo261, handler: (r, s) => revert(r, s) },
    { ...base, action: "cancelRollback", kind: "apply", requiredParams: 1, available: upTo261, handler: (r, s) => cancelRollback(r, s) },
    { ...base, action: "listCategories", kind: "any", handler: (_r, s) => listCategories(s, s.config.rules.values()) },
    { ...base, action: "get", kind: "modelget", handler: (_r, s) => modelGet(s) },
    { ...base, action: "set", kind: "write", mutates: true, handler: (r, s) => modelSet(r, s) },
  ];
}

export function legacyHash(seed: string): string {
  return createHash("sha1").update(seed).digest("hex");
}
