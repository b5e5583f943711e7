// Pure rendering of the saved FRR model into an integrated frr.conf, modelled
// on os-frr's bgpd.conf template and a config captured from a lab FRR (fixtures/lab-frr-reload-1.conf).
// The output is meant to be loadable by a real FRR (a BGP lab test feeds it to one).

import { INTERFACES } from "./state.ts";

type Fields = Record<string, string>;

export interface FrrConfigInput {
  bgp: Fields;
  general?: Fields;
  neighbors: Record<string, Fields>;
  peergroups?: Record<string, Fields>;
  prefixlists?: Record<string, Fields>;
}

export interface FrrRenderOptions {
  /** os-frr minor version (1.xx); descriptions are rendered from 1.52 on. Default 54. */
  osFrrMinor?: number;
  hostname?: string;
  /** OPNsense interface name -> device (lan -> vtnet1, …) */
  interfaceDevices?: Record<string, string>;
}

export const DEFAULT_INTERFACE_DEVICES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(INTERFACES).map(([k, v]) => [k, v.device]),
);

function yes(v: string | undefined): boolean {
  return v === "1";
}

function device(name: string, map: Record<string, string>): string {
  return map[name] ?? name;
}

/** remote-as argument: mode wins over the number (§3.3) */
function remoteAs(n: Fields): string {
  const mode = n["remote_as_mode"] ?? "";
  if (mode !== "") return mode;
  return n["remoteas"] ?? "";
}

/** the router-level lines of one neighbor, in template order */
export function neighborLines(n: Fields, opts: FrrRenderOptions = {}, peergroupName?: string): string[] {
  const minor = opts.osFrrMinor ?? 54;
  const map = opts.interfaceDevices ?? DEFAULT_INTERFACE_DEVICES;
  const a = n["address"] ?? "";
  const lines: string[] = [];
  const ras = remoteAs(n);
  if (peergroupName) lines.push(`neighbor ${a} peer-group ${peergroupName}`);
  if (ras !== "") lines.push(`neighbor ${a} remote-as ${ras}`);
  if ((n["localas"] ?? "") !== "") lines.push(`neighbor ${a} local-as ${n["localas"]}`);
  if (minor >= 52 && (n["description"] ?? "") !== "") {
    lines.push(`neighbor ${a} description ${(n["description"] ?? "").replace(/[\r\n]+/g, " ")}`);
  }
  if ((n["password"] ?? "") !== "") lines.push(`neighbor ${a} password ${n["password"]}`);
  if (yes(n["bfd"])) lines.push(yes(n["bfd_strict"]) ? `neighbor ${a} bfd strict` : `neighbor ${a} bfd`);
  const v6 = a.includes(":");
  if (!v6 && (n["updatesource"] ?? "") !== "") lines.push(`neighbor ${a} update-source ${device(n["updatesource"] ?? "", map)}`);
  if (v6 && (n["linklocalinterface"] ?? "") !== "") lines.push(`neighbor ${a} interface ${device(n["linklocalinterface"] ?? "", map)}`);
  if (yes(n["multihop"])) lines.push(`neighbor ${a} ebgp-multihop 255`);
  if (yes(n["disable_connected_check"])) lines.push(`neighbor ${a} disable-connected-check`);
  if ((n["keepalive"] ?? "") !== "" && (n["holddown"] ?? "") !== "") {
    lines.push(`neighbor ${a} timers ${n["keepalive"]} ${n["holddown"]}`);
  }
  if ((n["connecttimer"] ?? "") !== "") lines.push(`neighbor ${a} timers connect ${n["connecttimer"]}`);
  for (const cap of (n["capabilities"] ?? "").split(",").filter((c) => c !== "")) {
    lines.push(`neighbor ${a} capability ${cap}`);
  }
  return lines;
}

/** the FRR prefix-list names a link field renders: rows that exist and are enabled (§3.7) */
function linkedNames(link: string | undefined, rows: Record<string, Fields>): string[] {
  const out: string[] = [];
  for (const uuid of (link ?? "").split(",")) {
    const row = rows[uuid];
    if (row && row["enabled"] === "1") out.push(row["name"] ?? "");
  }
  return out;
}

/** `<who> prefix-list <name> in|out` for each linked row that exists and is enabled (§3.7) */
function prefixlistLinkLines(who: string, item: Fields, rows: Record<string, Fields>): string[] {
  return [
    ...linkedNames(item["linkedPrefixlistIn"], rows).map((name) => `neighbor ${who} prefix-list ${name} in`),
    ...linkedNames(item["linkedPrefixlistOut"], rows).map((name) => `neighbor ${who} prefix-list ${name} out`),
  ];
}

/** rendered after `router bgp … exit` like [plugins] bgpd.conf: enabled rows by name, then seqnumber */
function prefixlistDefinitions(rows: Record<string, Fields>): string[] {
  const enabled = Object.values(rows).filter((r) => yes(r["enabled"]));
  enabled.sort(
    (a, b) =>
      (a["name"] ?? "").localeCompare(b["name"] ?? "", undefined, { numeric: true }) ||
      Number(a["seqnumber"] ?? 0) - Number(b["seqnumber"] ?? 0),
  );
  const out: string[] = [];
  for (const r of enabled) {
    const keyword = r["version"] === "IPv6" ? "ipv6" : r["version"] === "IPv4" ? "ip" : null;
    if (keyword) out.push(`${keyword} prefix-list ${r["name"]} seq ${r["seqnumber"]} ${r["action"]} ${r["network"]}`);
  }
  return out;
}

function afLines(n: Fields, prefixlists: Record<string, Fields>): string[] {
  const a = n["address"] ?? "";
  const out = [`neighbor ${a} activate`];
  if (yes(n["nexthopselfall"])) out.push(`neighbor ${a} next-hop-self all`);
  else if (yes(n["nexthopself"])) out.push(`neighbor ${a} next-hop-self`);
  if (yes(n["rrclient"])) out.push(`neighbor ${a} route-reflector-client`);
  if (yes(n["defaultoriginate"])) out.push(`neighbor ${a} default-originate`);
  if (yes(n["asoverride"])) out.push(`neighbor ${a} as-override`);
  if (yes(n["soft_reconfiguration_inbound"])) out.push(`neighbor ${a} soft-reconfiguration inbound`);
  const allow = n["allowas_in"] ?? "";
  if (allow !== "") out.push(`neighbor ${a} allowas-in ${allow}`);
  if ((n["removeprivateas"] ?? "") !== "") out.push(`neighbor ${a} ${n["removeprivateas"]}`);
  if ((n["attributeunchanged"] ?? "") !== "") out.push(`neighbor ${a} attribute-unchanged ${n["attributeunchanged"]}`);
  if ((n["weight"] ?? "") !== "") out.push(`neighbor ${a} weight ${n["weight"]}`);
  out.push(...prefixlistLinkLines(a, n, prefixlists));
  return out;
}

export function renderFrrConf(state: FrrConfigInput, opts: FrrRenderOptions = {}): string {
  const general = state.general ?? {};
  const bgp = state.bgp;
  const prefixlists = state.prefixlists ?? {};
  const lines: string[] = [];
  lines.push(`frr defaults ${general["profile"] || "traditional"}`);
  lines.push(`hostname ${opts.hostname ?? "opnsense"}`);
  if (yes(general["enablesyslog"])) lines.push(`log syslog ${general["sysloglevel"] || "notifications"}`);
  lines.push("service integrated-vtysh-config");
  lines.push("!");
  if (yes(bgp["enabled"]) && (bgp["asnumber"] ?? "") !== "") {
    const groups = new Map<string, Fields>();
    for (const [uuid, pg] of Object.entries(state.peergroups ?? {})) if (yes(pg["enabled"])) groups.set(uuid, pg);
    lines.push(`router bgp ${bgp["asnumber"]}`);
    if ((bgp["routerid"] ?? "") !== "") lines.push(` bgp router-id ${bgp["routerid"]}`);
    lines.push(" no bgp default ipv4-unicast");
    lines.push(" no bgp ebgp-requires-policy");
    if (bgp["networkimportcheck"] === "0") lines.push(" no bgp network import-check");
    if (bgp["enforce_first_as"] === "0") lines.push(" no bgp enforce-first-as");
    if (yes(bgp["graceful"])) lines.push(" bgp graceful-restart");
    if (yes(bgp["logneighborchanges"])) lines.push(" bgp log-neighbor-changes");
    for (const bp of (bgp["bestpath"] ?? "").split(",").filter((x) => x !== "")) lines.push(` bgp bestpath ${bp}`);
    for (const pg of groups.values()) {
      const name = pg["name"] ?? "";
      lines.push(` neighbor ${name} peer-group`);
      const ras = remoteAs(pg);
      if (ras !== "") lines.push(` neighbor ${name} remote-as ${ras}`);
      if ((pg["updatesource"] ?? "") !== "") {
        lines.push(` neighbor ${name} update-source ${device(pg["updatesource"] ?? "", opts.interfaceDevices ?? DEFAULT_INTERFACE_DEVICES)}`);
      }
      // the template puts a peer group's links at router level, before its listen ranges
      for (const l of prefixlistLinkLines(name, pg, prefixlists)) lines.push(` ${l}`);
      for (const r of (pg["listenranges"] ?? "").split(",").filter((x) => x !== "")) {
        lines.push(` bgp listen range ${r} peer-group ${name}`);
      }
    }
    const af: Record<"ipv4" | "ipv6", string[]> = { ipv4: [], ipv6: [] };
    const seen = new Set<string>();
    for (const n of Object.values(state.neighbors)) {
      if (!yes(n["enabled"])) continue;
      const a = n["address"] ?? "";
      // FRR merges repeated neighbor statements; render each address once
      if (seen.has(a)) continue;
      seen.add(a);
      const pgName = n["peergroup"] ? groups.get(n["peergroup"])?.["name"] : undefined;
      for (const l of neighborLines(n, opts, pgName)) lines.push(` ${l}`);
      const families: Array<"ipv4" | "ipv6"> = yes(n["multiprotocol"]) ? ["ipv4", "ipv6"] : [a.includes(":") ? "ipv6" : "ipv4"];
      for (const f of families) af[f].push(...afLines(n, prefixlists));
    }
    const networks = (bgp["networks"] ?? "").split(",").filter((x) => x !== "");
    for (const f of ["ipv4", "ipv6"] as const) {
      const nets = networks.filter((x) => (f === "ipv6") === x.includes(":"));
      const groupLines: string[] = [];
      for (const pg of groups.values()) {
        const fams = (pg["family"] ?? "ipv4").split(",");
        if (fams.includes(f)) groupLines.push(`neighbor ${pg["name"]} activate`);
      }
      if (af[f].length === 0 && nets.length === 0 && groupLines.length === 0) continue;
      lines.push(" !");
      lines.push(` address-family ${f} unicast`);
      for (const n of nets) lines.push(`  network ${n}`);
      for (const l of groupLines) lines.push(`  ${l}`);
      for (const l of af[f]) lines.push(`  ${l}`);
      lines.push(" exit-address-family");
    }
    lines.push("exit");
    lines.push("!");
    const definitions = prefixlistDefinitions(prefixlists);
    if (definitions.length) lines.push(...definitions, "!");
  }
  return lines.join("\n") + "\n";
}
