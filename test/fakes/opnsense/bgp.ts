import type { ApiRequest, Endpoint, Reply } from "./api-types.ts";
import { ok } from "./api-types.ts";
import type { Collection } from "./crud.ts";
import {
  addItem,
  delItem,
  describeItem,
  inUse,
  encodeCollection,
  getItem,
  leafFailure,
  searchItems,
  setItem,
  toggleItem,
} from "./crud.ts";
import type { FieldDef } from "./model.ts";
import { applyPost, encodeItem, LeafError, validateItem } from "./model.ts";
import type { Fields, SimState } from "./state.ts";
import { isSubnet } from "./net.ts";
import { prefixlistRelation, prefixlists } from "./prefixlist.ts";

const ASN = { min: 1, max: 4294967295 };

function bool(name: string, dflt = "0", required = false): FieldDef {
  return { name, kind: "bool", default: dflt, required };
}

function int(name: string, min: number, max: number, required = false): FieldDef {
  return { name, kind: "int", min, max, required };
}

function peergroupOptions(sim: SimState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [uuid, pg] of sim.config.peergroups) out[uuid] = pg["name"] ?? "";
  return out;
}

const lowerTrim = (v: string): string => v.trim().toLowerCase();

/** prefix-list and route-map links, on neighbors and peer groups alike (§3.3, §3.4, §3.7) */
function policyLinks(): FieldDef[] {
  // route maps are not modelled: every reference to one dangles
  const routemap = (name: string): FieldDef => ({
    name,
    kind: "relation",
    options: () => ({}),
    message: "Related Route-Map item not found.",
  });
  return [
    prefixlistRelation("linkedPrefixlistIn"),
    prefixlistRelation("linkedPrefixlistOut"),
    routemap("linkedRoutemapIn"),
    routemap("linkedRoutemapOut"),
  ];
}

/** Neighbor fields per os-frr version (contract §3.3 "since" column). */
export function neighborDefs(sim: SimState): FieldDef[] {
  const at = (m: number): boolean => sim.frrAtLeast(m);
  const defs: FieldDef[] = [
    bool("enabled", "1", true),
    { name: "description", kind: "text" },
    { name: "address", kind: "network", required: true, transform: lowerTrim },
  ];
  if (at(44)) {
    defs.push({
      name: "remote_as_mode",
      kind: "option",
      blankDesc: "Use Remote AS Number",
      options: () => ({ internal: "Internal BGP (iBGP)", external: "External BGP (eBGP)" }),
    });
  }
  // remoteas was required until os-frr 1.40
  defs.push(int("remoteas", ASN.min, ASN.max, !at(40)));
  if (at(51)) defs.push(int("localas", ASN.min, ASN.max));
  if (at(27)) defs.push({ name: "password", kind: "text" });
  if (at(29)) defs.push(int("weight", 0, 65535));
  if (at(27)) defs.push({ name: "localip", kind: "network" });
  defs.push({ name: "updatesource", kind: "interface" });
  if (at(23)) defs.push({ name: "linklocalinterface", kind: "interface" });
  defs.push(bool("nexthopself"));
  if (at(25)) defs.push(bool("nexthopselfall"));
  defs.push(bool("multihop"));
  if (at(23)) defs.push(bool("multiprotocol"), bool("rrclient"));
  if (at(38)) defs.push(bool("soft_reconfiguration_inbound"));
  defs.push(bool("bfd"));
  if (at(53)) defs.push(bool("bfd_strict"));
  defs.push(int("keepalive", 1, 1000), int("holddown", 3, 3000), int("connecttimer", 1, 65000));
  defs.push(bool("defaultoriginate"));
  if (at(24)) defs.push(bool("asoverride"));
  if (at(50)) {
    defs.push({
      name: "removeprivateas",
      kind: "option",
      options: () => ({
        "remove-private-AS": "Remove private AS",
        "remove-private-AS all": "Remove all private AS",
        "remove-private-AS replace-AS": "Replace private AS",
        "remove-private-AS all replace-AS": "Replace all private AS",
      }),
    });
  }
  if (at(44)) {
    const opts: Record<string, string> = {};
    for (let i = 1; i <= 10; i++) opts[String(i)] = String(i);
    opts["origin"] = "origin";
    defs.push({ name: "allowas_in", kind: "option", options: () => opts });
  }
  if (at(29)) defs.push(bool("disable_connected_check"));
  if (at(32)) {
    defs.push({
      name: "attributeunchanged",
      kind: "option",
      options: () => ({ "as-path": "as-path", "next-hop": "next-hop", med: "med" }),
    });
  }
  if (at(50)) {
    defs.push({
      name: "capabilities",
      kind: "option",
      multi: true,
      options: () => ({
        "extended-nexthop": "Extended nexthop",
        dynamic: "Dynamic",
        fqdn: "FQDN",
        "link-local": "Link-local",
      }),
    });
  }
  defs.push(...policyLinks());
  if (at(40)) {
    defs.push({ name: "peergroup", kind: "relation", options: peergroupOptions, message: "Related peer group not found." });
  }
  return defs;
}

export function peergroupDefs(sim: SimState): FieldDef[] {
  const at = (m: number): boolean => sim.frrAtLeast(m);
  const defs: FieldDef[] = [
    bool("enabled", "1", true),
    { name: "name", kind: "text", required: true },
  ];
  if (at(44)) {
    defs.push({
      name: "remote_as_mode",
      kind: "option",
      blankDesc: "Use Remote AS Number",
      options: () => ({ internal: "Internal BGP (iBGP)", external: "External BGP (eBGP)" }),
    });
  }
  defs.push(int("remoteas", ASN.min, ASN.max));
  if (at(46)) {
    defs.push({
      name: "family",
      kind: "option",
      multi: true,
      required: true,
      default: "ipv4",
      options: () => ({ ipv4: "IPv4", ipv6: "IPv6" }),
    });
  }
  if (at(45)) {
    defs.push({
      name: "listenranges",
      kind: "network",
      multi: true,
      transform: lowerTrim,
      validate: (v) =>
        v.split(",").every((x) => isSubnet(x)) ? undefined : "Please specify a valid network segment.",
    });
  }
  defs.push({ name: "updatesource", kind: "interface" }, bool("nexthopself"), bool("defaultoriginate"));
  defs.push(...policyLinks());
  return defs;
}

export function bgpDefs(sim: SimState): FieldDef[] {
  const at = (m: number): boolean => sim.frrAtLeast(m);
  const defs: FieldDef[] = [
    bool("enabled", "0", true),
    { name: "asnumber", kind: "int", required: true, min: ASN.min, max: ASN.max, default: "65551" },
  ];
  if (at(40)) defs.push(int("distance", 1, 255));
  defs.push({
    name: "routerid",
    kind: "text",
    mask: /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/,
    message: "Please enter a valid router ID (IPv4 address).",
  });
  defs.push(bool("graceful", "0", true));
  if (at(31)) defs.push(bool("networkimportcheck", "1", true));
  if (at(48)) defs.push(bool("enforce_first_as", "1", true));
  if (at(34)) defs.push(bool("logneighborchanges", "0", true));
  defs.push({ name: "networks", kind: "text" });
  if (at(48)) {
    defs.push({
      name: "bestpath",
      kind: "option",
      multi: true,
      options: () => ({
        "as-path confed": "as-path confed",
        "as-path multipath-relax": "as-path multipath-relax",
        "compare-routerid": "compare-routerid",
        "peer-type multipath-relax": "peer-type multipath-relax",
        aigp: "aigp",
        "med missing-as-worst": "med missing-as-worst",
      }),
    });
  }
  if (at(52)) defs.push(int("maximumpaths", 1, 128), int("maximumpathsibgp", 1, 128));
  defs.push({
    name: "redistribute",
    kind: "option",
    multi: true,
    options: () => ({ ospf: "OSPF", connected: "Connected routes", kernel: "Kernel routes", rip: "RIP", static: "Static routes" }),
  });
  return defs;
}

export function generalDefs(sim: SimState): FieldDef[] {
  const defs: FieldDef[] = [
    bool("enabled", "0", true),
    { name: "profile", kind: "option", required: true, default: "traditional", options: () => ({ traditional: "Traditional", datacenter: "Datacenter" }) },
    bool("enablecarp"),
    bool("enablesnmp"),
    bool("enablesyslog"),
    {
      name: "sysloglevel",
      kind: "option",
      required: true,
      default: "notifications",
      options: () => ({
        critical: "Critical",
        emergencies: "Emergencies",
        errors: "Errors",
        alerts: "Alerts",
        warnings: "Warnings",
        notifications: "Notifications",
        informational: "Informational",
        debugging: "Debugging",
      }),
    },
    bool("fwrules", "1", true),
  ];
  if (sim.frrAtLeast(54)) {
    defs.push({
      name: "daemons",
      kind: "option",
      multi: true,
      options: () => ({ bfd: "BFD", bgp: "BGP", ospf: "OSPF", ospf6: "OSPFv3", rip: "RIP", static: "Static" }),
      // only BGP is modelled, so only its flag is mirrored
      volatile: (_item, s) => (s.config.bgp["enabled"] === "1" ? "bgp" : ""),
    });
    defs.push(bool("manual_config"));
  }
  return defs;
}

export const neighbors: Collection = {
  key: "neighbor",
  defs: neighborDefs,
  items: (sim) => sim.config.neighbors,
  safeDelete: (sim) => sim.frrAtLeast(53),
  toggleAlwaysFlips: true,
};

export const peergroups: Collection = {
  key: "peergroup",
  defs: peergroupDefs,
  items: (sim) => sim.config.peergroups,
  safeDelete: (sim) => sim.frrAtLeast(53),
  toggleAlwaysFlips: true,
  beforeDelete: (uuid, item, sim) => {
    if (!sim.frrAtLeast(53)) return null;
    const users = [...sim.config.neighbors.entries()].filter(([, n]) => n["peergroup"] === uuid);
    const usages = users.map(([u, n]) => ({ module: "bgp", description: describeItem(n), reference: `bgp.neighbors.neighbor.${u}` }));
    return inUse(sim, "peergroups.peergroup", uuid, item, usages);
  },
};

function modelGet(sim: SimState): Reply {
  const bgp: Record<string, unknown> = encodeItem(bgpDefs(sim), sim.config.bgp, sim);
  bgp["neighbors"] = { neighbor: encodeCollection(neighbors, sim) };
  if (sim.frrAtLeast(40)) bgp["peergroups"] = { peergroup: encodeCollection(peergroups, sim) };
  bgp["aspaths"] = { aspath: [] };
  bgp["prefixlists"] = { prefixlist: encodeCollection(prefixlists, sim) };
  bgp["communitylists"] = { communitylist: [] };
  bgp["routemaps"] = { routemap: [] };
  return ok({ bgp });
}

function modelSet(key: "bgp" | "general", req: ApiRequest, sim: SimState): Reply {
  const body = req.post[key];
  if (body === undefined) return ok({ result: "failed" });
  const data = body !== null && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const defs = key === "bgp" ? bgpDefs(sim) : generalDefs(sim);
  const target: Fields = { ...(key === "bgp" ? sim.config.bgp : sim.config.general) };
  // container children (neighbors, peergroups, …) are not leaves of this level
  const scalars: Record<string, unknown> = {};
  for (const d of defs) if (d.name in data) scalars[d.name] = data[d.name];
  try {
    applyPost(defs, target, scalars, sim);
  } catch (e) {
    if (e instanceof LeafError) return leafFailure(e, sim);
    throw e;
  }
  const v = validateItem(defs, target, key, sim);
  let daemons: string | undefined;
  if (key === "general" && sim.frrAtLeast(54) && "daemons" in data) {
    try {
      daemons = String(data["daemons"] === null ? "" : (data["daemons"] as string | number));
      if (data["daemons"] !== null && typeof data["daemons"] === "object") throw new LeafError("daemons");
    } catch (e) {
      if (e instanceof LeafError) return leafFailure(e, sim);
      throw e;
    }
  }
  if (Object.keys(v).length) return ok({ result: "failed", validations: v });
  if (key === "bgp") sim.config.bgp = target;
  else {
    sim.config.general = target;
    // the volatile daemons list is written back to the per-protocol enabled flags (§3.5)
    if (daemons !== undefined) sim.config.bgp["enabled"] = daemons.split(",").includes("bgp") ? "1" : "0";
  }
  sim.noteWrite();
  return ok({ result: "saved" });
}

function collectionEndpoints(controller: string, name: string, c: Collection, available?: (s: SimState) => boolean): Endpoint[] {
  const base = { module: "quagga", controller, ...(available ? { available } : {}) };
  return [
    {
      ...base,
      action: `search${name}`,
      kind: "any",
      handler: (req, sim) => searchItems(c, req, sim, { raw: sim.features.rawGrid }),
    },
    { ...base, action: `get${name}`, kind: "any", handler: (req, sim) => getItem(c, req, sim) },
    { ...base, action: `add${name}`, kind: "write", mutates: true, handler: (req, sim) => addItem(c, req, sim) },
    { ...base, action: `set${name}`, kind: "write", mutates: true, requiredParams: 1, handler: (req, sim) => setItem(c, req, sim) },
    { ...base, action: `del${name}`, kind: "write", mutates: true, requiredParams: 1, handler: (req, sim) => delItem(c, req, sim) },
    { ...base, action: `toggle${name}`, kind: "write", mutates: true, requiredParams: 1, handler: (req, sim) => toggleItem(c, req, sim) },
  ];
}

export function bgpEndpoints(): Endpoint[] {
  return [
    { module: "quagga", controller: "bgp", action: "get", kind: "modelget", handler: (_r, sim) => modelGet(sim) },
    { module: "quagga", controller: "bgp", action: "set", kind: "write", mutates: true, handler: (r, sim) => modelSet("bgp", r, sim) },
    ...collectionEndpoints("bgp", "Neighbor", neighbors),
    ...collectionEndpoints("bgp", "Peergroup", peergroups, (sim) => sim.frrAtLeast(40)),
    ...collectionEndpoints("bgp", "Prefixlist", prefixlists),
    {
      module: "quagga",
      controller: "general",
      action: "get",
      kind: "modelget",
      handler: (_r, sim) => ok({ general: encodeItem(generalDefs(sim), sim.config.general, sim) }),
    },
    { module: "quagga", controller: "general", action: "set", kind: "write", mutates: true, handler: (r, sim) => modelSet("general", r, sim) },
  ];
}
