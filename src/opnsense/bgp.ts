/**
 * FRR/BGP model (os-frr `/api/quagga/{general,bgp}`): reading the general switches, the BGP
 * root, neighbors and peer groups into canonical types, and writing neighbors.
 */
import type { BgpGeneral, Capabilities, FrrGeneral, Neighbor, NeighborSpec, PeerGroup, PrefixRow, PrefixRowSpec } from "../domain/types.ts";
import { OpnsenseError, guardShape } from "./errors.ts";
import type { Http } from "./http.ts";
import { boolOut, child, intOut, isUpsertableUuid, readBool, readInt, readItems, readMulti, readObj, readSingle, readString } from "./codec.ts";
import type { Obj } from "./codec.ts";
import { createItem, deleteItem, setItem } from "./crud.ts";
import { canonicalAddress } from "../domain/net.ts";
import type { ItemEndpoints } from "./crud.ts";

export const EP = {
  generalGet: "quagga/general/get",
  bgpGet: "quagga/bgp/get",
  getNeighbor: "quagga/bgp/getNeighbor",
  getPeergroup: "quagga/bgp/getPeergroup",
} as const;

const NEIGHBOR: ItemEndpoints = { set: "quagga/bgp/setNeighbor", del: "quagga/bgp/delNeighbor", key: "neighbor" };
/** Prefix-list rows (contract §3.7); same generic CRUD as neighbors. */
const PREFIX_ROW: ItemEndpoints = { set: "quagga/bgp/setPrefixlist", del: "quagga/bgp/delPrefixlist", key: "prefixlist" };

export type NeighborWriteContext = {
  readonly peerGroups: readonly PeerGroup[];
  readonly capabilities: Capabilities;
};

export type BgpModel = {
  readonly bgp: BgpGeneral;
  readonly neighbors: readonly Neighbor[];
  readonly peerGroups: readonly PeerGroup[];
  readonly prefixRows: readonly PrefixRow[];
  /** The raw field names of the `bgp` root (capability evidence, e.g. `maximumpaths`). */
  readonly rootFields: readonly string[];
};

export function parseGeneral(reply: unknown): FrrGeneral {
  return guardShape("GET", EP.generalGet, () => {
    const g = child(readObj(reply, "reply"), "general", "reply");
    return { enabled: readBool(g.enabled, "general.enabled"), manualConfig: readBool(g.manual_config, "general.manual_config") };
  });
}

export async function readGeneral(http: Http): Promise<FrrGeneral> {
  return parseGeneral(await http.request({ method: "GET", endpoint: EP.generalGet }));
}

function parsePeerGroups(bgp: Obj): PeerGroup[] {
  if (!("peergroups" in bgp)) return []; // os-frr < 1.40
  const container = readObj(bgp.peergroups, "bgp.peergroups");
  if (!("peergroup" in container)) return [];
  return readItems(container.peergroup, "bgp.peergroups.peergroup").map(([uuid, pg]) => ({
    uuid,
    name: readString(pg.name, `bgp.peergroups.peergroup.${uuid}.name`),
  }));
}

function parseNeighbor(uuid: string, n: Obj, peerGroupNames: ReadonlyMap<string, string>): Neighbor {
  const p = `bgp.neighbors.neighbor.${uuid}`;
  const pgUuid = readSingle(n.peergroup, `${p}.peergroup`);
  return {
    uuid,
    enabled: readBool(n.enabled, `${p}.enabled`),
    address: canonicalAddress(readString(n.address, `${p}.address`)),
    remoteAs: readInt(n.remoteas, `${p}.remoteas`),
    updateSource: readSingle(n.updatesource, `${p}.updatesource`),
    linkLocalInterface: readSingle(n.linklocalinterface, `${p}.linklocalinterface`),
    description: readString(n.description, `${p}.description`),
    keepalive: readInt(n.keepalive, `${p}.keepalive`),
    holddown: readInt(n.holddown, `${p}.holddown`),
    connectTimer: readInt(n.connecttimer, `${p}.connecttimer`),
    bfd: readBool(n.bfd, `${p}.bfd`),
    multihop: readBool(n.multihop, `${p}.multihop`),
    password: readString(n.password, `${p}.password`),
    // A dangling reference keeps its uuid so it never compares equal to a real group name.
    peerGroup: pgUuid === "" ? "" : (peerGroupNames.get(pgUuid) ?? pgUuid),
    prefixListIn: readMulti(n.linkedPrefixlistIn, `${p}.linkedPrefixlistIn`).join(","),
  };
}

function parsePrefixRows(bgp: Obj): PrefixRow[] {
  if (!("prefixlists" in bgp)) return [];
  const container = readObj(bgp.prefixlists, "bgp.prefixlists");
  if (!("prefixlist" in container)) return [];
  return readItems(container.prefixlist, "bgp.prefixlists.prefixlist").map(([uuid, r]) => {
    const p = `bgp.prefixlists.prefixlist.${uuid}`;
    return {
      uuid,
      enabled: readBool(r.enabled, `${p}.enabled`),
      description: readString(r.description, `${p}.description`),
      name: readString(r.name, `${p}.name`),
      version: readSingle(r.version, `${p}.version`),
      seqnumber: readInt(r.seqnumber, `${p}.seqnumber`),
      action: readSingle(r.action, `${p}.action`),
      network: readString(r.network, `${p}.network`).trim(),
    };
  });
}

export function parseBgpModel(reply: unknown): BgpModel {
  return guardShape("GET", EP.bgpGet, () => {
    const bgp = child(readObj(reply, "reply"), "bgp", "reply");
    const peerGroups = parsePeerGroups(bgp);
    const names = new Map(peerGroups.map((g) => [g.uuid, g.name]));
    const neighborsContainer = "neighbors" in bgp ? readObj(bgp.neighbors, "bgp.neighbors") : {};
    const neighbors = "neighbor" in neighborsContainer ? readItems(neighborsContainer.neighbor, "bgp.neighbors.neighbor").map(([uuid, n]) => parseNeighbor(uuid, n, names)) : [];
    return {
      bgp: {
        enabled: readBool(bgp.enabled, "bgp.enabled"),
        asNumber: readInt(bgp.asnumber, "bgp.asnumber"),
        routerId: readString(bgp.routerid, "bgp.routerid").trim() || null,
        graceful: "graceful" in bgp ? readBool(bgp.graceful, "bgp.graceful") : null,
      },
      neighbors,
      peerGroups,
      prefixRows: parsePrefixRows(bgp),
      rootFields: Object.keys(bgp).filter((k) => !k.startsWith("%")),
    };
  });
}

/** The raw fields of each item the parsers above read; keepBgpReply drops the rest while the reply arrives. */
const ITEM_FIELDS: Readonly<Record<string, readonly [item: string, fields: ReadonlySet<string>]>> = {
  neighbors: ["neighbor", new Set(["enabled", "address", "remoteas", "updatesource", "linklocalinterface", "description", "keepalive", "holddown", "connecttimer", "bfd", "multihop", "password", "peergroup", "linkedPrefixlistIn"])],
  peergroups: ["peergroup", new Set(["name"])],
  prefixlists: ["prefixlist", new Set(["enabled", "description", "name", "version", "seqnumber", "action", "network"])],
};

/**
 * What of `quagga/bgp/get` is built (json-stream.ts): the reply's root (errors), every field of
 * the `bgp` root (its names are capability evidence; the other sections keep only their name),
 * and of each neighbor, peer group and prefix-list row only the fields parsed above. About 2.2 KB
 * of JSON per neighbor, most of it option maps the agent never reads, become a dozen fields.
 */
export function keepBgpReply(path: readonly string[]): boolean {
  if (path[0] !== "bgp" || path.length <= 2) return true;
  const section = ITEM_FIELDS[path[1] ?? ""];
  if (section === undefined) return false;
  if (path.length === 3) return path[2] === section[0];
  return path.length === 4 || section[1].has(path[4] ?? "");
}

export async function readBgpModel(http: Http): Promise<BgpModel> {
  return parseBgpModel(await http.request({ method: "GET", endpoint: EP.bgpGet, keep: keepBgpReply }));
}

/** A BGP ASN OPNsense accepts (1 … 4294967295, contract §3.2). */
export function isValidAsn(n: number | null): n is number {
  return n !== null && Number.isInteger(n) && n >= 1 && n <= 4294967295;
}

/**
 * The full neighbor item as OPNsense wants it posted. Fields the installed os-frr does not
 * know are left out (it would ignore them anyway, §3.3), so the body documents what took effect.
 */
export function neighborBody(spec: NeighborSpec, ctx: NeighborWriteContext): Record<string, string> {
  let peergroup = "";
  if (spec.peerGroup !== "") {
    const found = ctx.peerGroups.find((g) => g.name === spec.peerGroup);
    if (!ctx.capabilities.peerGroups || !found) {
      throw new OpnsenseError({
        kind: "validation",
        method: "POST",
        endpoint: NEIGHBOR.set,
        validations: { "neighbor.peergroup": [`peer group "${spec.peerGroup}" does not exist on the router`] },
        detail: `validation failed: neighbor.peergroup: peer group "${spec.peerGroup}" does not exist on the router`,
      });
    }
    peergroup = found.uuid;
  }
  const all: Record<string, string> = {
    enabled: boolOut(spec.enabled),
    address: spec.address.trim().toLowerCase(),
    remoteas: intOut(spec.remoteAs),
    updatesource: spec.updateSource,
    linklocalinterface: spec.linkLocalInterface,
    description: spec.description,
    keepalive: intOut(spec.keepalive),
    holddown: intOut(spec.holddown),
    connecttimer: intOut(spec.connectTimer),
    bfd: boolOut(spec.bfd),
    multihop: boolOut(spec.multihop),
    password: spec.password,
    peergroup,
    linkedPrefixlistIn: spec.prefixListIn,
  };
  // `remote_as_mode` (os-frr ≥ 1.44) wins over `remoteas` when set; clear it so the ASN we send is the one FRR uses.
  if (spec.remoteAs !== null) all.remote_as_mode = "";
  const known = ctx.capabilities.neighborFields;
  if (known.length === 0) return all;
  const body: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) if (known.includes(k)) body[k] = v;
  return body;
}

export async function createNeighbor(http: Http, spec: NeighborSpec, ctx: NeighborWriteContext): Promise<string> {
  return createItem(http, NEIGHBOR, neighborBody(spec, ctx));
}

export async function updateNeighbor(http: Http, uuid: string, spec: NeighborSpec, ctx: NeighborWriteContext): Promise<void> {
  await setItem(http, NEIGHBOR, uuid, neighborBody(spec, ctx));
}

export async function deleteNeighbor(http: Http, uuid: string): Promise<void> {
  await deleteItem(http, NEIGHBOR, uuid);
}

function prefixRowBody(spec: PrefixRowSpec): Record<string, string> {
  return {
    enabled: boolOut(spec.enabled),
    description: spec.description,
    name: spec.name,
    version: spec.version,
    seqnumber: intOut(spec.seqnumber),
    action: spec.action,
    network: spec.network,
  };
}

/**
 * Rows are written at a uuid the caller chose (set<Item>/<uuid> is an upsert, §2.1): the agent's
 * anchor row has a uuid derived from the owner id, so a neighbor can link it before it exists
 * in the snapshot and a retried create never duplicates it.
 */
export async function putPrefixRow(http: Http, uuid: string, spec: PrefixRowSpec): Promise<void> {
  // OPNsense creates an unknown uuid only when it is a lower-case v4 uuid; anything else fails
  // (§2.1), and the neighbors would link a row that is never there: refuse before any request.
  if (!isUpsertableUuid(uuid)) throw new Error(`prefix-list row uuid ${uuid} is not an upsertable v4 uuid`);
  await setItem(http, PREFIX_ROW, uuid, prefixRowBody(spec));
}

export async function createPrefixRow(http: Http, spec: PrefixRowSpec): Promise<string> {
  return createItem(http, PREFIX_ROW, prefixRowBody(spec));
}

export async function deletePrefixRow(http: Http, uuid: string): Promise<void> {
  await deleteItem(http, PREFIX_ROW, uuid);
}
