import type { Capabilities } from "../domain/types.ts";
import type { NodeView } from "../cluster/types.ts";
import type { BgpAddressFamily, Config } from "../config/types.ts";
import type { DesiredNeighbor, Problem } from "./types.ts";
import { parseIp, type IpFamily } from "../domain/net.ts";
import { formatMarker, neighborKeys, neighborKey } from "../domain/ownership.ts";
import { ANNOTATION_ADDRESS, ANNOTATION_ASN, ANNOTATION_SKIP, parseAddressAnnotation, parseAsnAnnotation, parseSkipAnnotation } from "./annotations.ts";
import { asnRefusal, peeringAddressCheck, type PeeringCheck } from "./peering-policy.ts";

export type NeighborsResult = {
  readonly neighbors: readonly DesiredNeighbor[];
  readonly problems: readonly Problem[];
  /** Keys of enrolled nodes whose input is broken or refused: they keep what they have (last good state). */
  readonly invalidKeys: ReadonlySet<string>;
  /** Keys of enrolled nodes that asked not to be peered (`skip`). */
  readonly skippedKeys: ReadonlySet<string>;
};

/** The node's first InternalIP of each family (kubelet lists the primary one first). */
function internalIps(node: NodeView): Partial<Record<IpFamily, string>> {
  const out: Partial<Record<IpFamily, string>> = {};
  for (const a of node.addresses) {
    if (a.type !== "InternalIP") continue;
    const ip = parseIp(a.address);
    if (ip !== null && out[ip.family] === undefined) out[ip.family] = ip.address;
  }
  return out;
}

/**
 * The addresses a node peers at, by family, and where they come from. `ipv4`/`ipv6` pick one
 * address, the preferred family first (README: IPv6); `dual` one per family. An annotation
 * replaces the InternalIPs: in a single-family mode entirely (it is the node's peering address),
 * in `dual` per family (an annotation with only an IPv4 address keeps the IPv6 InternalIP).
 */
function chosenAddresses(internal: Partial<Record<IpFamily, string>>, annotated: Partial<Record<IpFamily, string>> | null, mode: BgpAddressFamily): { family: IpFamily; address: string; annotated: boolean }[] {
  const pick = (family: IpFamily): { family: IpFamily; address: string; annotated: boolean } | null => {
    if (annotated !== null) {
      const a = annotated[family];
      if (a !== undefined) return { family, address: a, annotated: true };
      if (mode !== "dual") return null;
    }
    const i = internal[family];
    return i === undefined ? null : { family, address: i, annotated: false };
  };
  const v4 = pick("inet");
  const v6 = pick("inet6");
  if (mode === "dual") return [v4, v6].filter((c) => c !== null);
  const first = mode === "ipv6" ? (v6 ?? v4) : (v4 ?? v6);
  return first === null ? [] : [first];
}

type Candidate = { readonly node: NodeView; readonly key: string; readonly family: IpFamily; readonly address: string; readonly annotated: boolean; readonly remoteAs: number };

type NodeRequest = {
  readonly candidates: readonly Candidate[];
  /** Messages that concern the node as a whole (all its keys keep what they have). */
  readonly nodeProblems: readonly string[];
  /** Messages about one family's address (only that key keeps what it has). */
  readonly familyProblems: readonly { readonly key: string; readonly message: string }[];
};

/** A node's requested peerings, or the messages saying why (some) cannot be had. */
function request(node: NodeView, config: Config, check: PeeringCheck, internal: Partial<Record<IpFamily, string>>): NodeRequest {
  const owner = config.ownerId;
  const mode = config.bgp.addressFamily;
  const nodeProblems: string[] = [];
  const familyProblems: { key: string; message: string }[] = [];
  let annotatedAddresses: Partial<Record<IpFamily, string>> | null = null;
  const annotation = node.annotations[ANNOTATION_ADDRESS];
  if (annotation !== undefined) {
    const parsed = parseAddressAnnotation(annotation);
    if (parsed.ok) annotatedAddresses = parsed.value;
    else nodeProblems.push(parsed.message);
  }
  const chosen = nodeProblems.length > 0 ? [] : chosenAddresses(internal, annotatedAddresses, mode);
  if (nodeProblems.length === 0 && chosen.length === 0) {
    nodeProblems.push(
      annotatedAddresses !== null
        ? `annotation ${ANNOTATION_ADDRESS} gives no address BGP_ADDRESS_FAMILY=${mode} can use`
        : `node has no InternalIP address; set annotation ${ANNOTATION_ADDRESS} to its peering address`,
    );
  }
  // null only when BGP_REMOTE_ASN is unset and Cilium names no single AS; the controller fails
  // such a pass before computing, so this is a backstop, not a path.
  let remoteAs = config.bgp.remoteAsn;
  if (remoteAs === null) nodeProblems.push("BGP_REMOTE_ASN is not set and was not taken from Cilium");
  const asnText = node.annotations[ANNOTATION_ASN];
  if (asnText !== undefined) {
    const asn = parseAsnAnnotation(asnText);
    if (!asn.ok) nodeProblems.push(asn.message);
    else {
      const refusal = asnRefusal(asn.value, config);
      if (refusal !== null) nodeProblems.push(`annotation ${ANNOTATION_ASN} refused: ${refusal}`);
      else remoteAs = asn.value;
    }
  }
  const candidates: Candidate[] = [];
  for (const c of chosen) {
    const key = neighborKey(owner, node.name, c.family);
    const refusal = check(c.address);
    const message = refusal === null ? null : `peering address refused: ${refusal}`;
    // One peering address per node outside `dual`: a refused one is the node's problem, so every
    // neighbor it has stays (it must not lose its working IPv4 peer because a new IPv6 one is refused).
    if (message !== null && config.bgp.addressFamily !== "dual") nodeProblems.push(message);
    else if (message !== null) familyProblems.push({ key, message });
    else if (remoteAs !== null) candidates.push({ node, key, family: c.family, address: c.address, annotated: c.annotated, remoteAs });
  }
  if (nodeProblems.length > 0) return { candidates: [], nodeProblems, familyProblems: [] };
  return { candidates, nodeProblems, familyProblems };
}

/**
 * One neighbor per enrolled node, within the router owner's limits. When two nodes ask for one
 * address, the node whose neighbor OPNsense already holds at that address keeps it (so a new
 * node cannot take over a working peer by picking a name that sorts first); an annotation may
 * never claim another enrolled node's InternalIP.
 */
export function desiredNeighbors(
  nodes: readonly NodeView[],
  config: Config,
  caps: Capabilities,
  facts: { readonly holderOfAddress: ReadonlyMap<string, string>; readonly prefixLink: string; readonly routerAddresses?: readonly string[] },
): NeighborsResult {
  const problems: Problem[] = [];
  const invalidKeys = new Set<string>();
  const skippedKeys = new Set<string>();
  const owner = config.ownerId;

  // A peer group the installed os-frr cannot hold would be dropped on write and rewritten forever.
  const peerGroup = config.bgp.peerGroup !== null && caps.peerGroups ? config.bgp.peerGroup : "";
  if (config.bgp.peerGroup !== null && !caps.peerGroups) {
    problems.push({
      kind: "config",
      object: "BGP_PEER_GROUP",
      message: "peer groups need os-frr ≥ 1.40 (OPNsense ≥ 24.1.7; this router has no quagga/bgp/getPeergroup); neighbors are created without a peer group",
    });
  }

  const check = peeringAddressCheck(config, facts.routerAddresses ?? []);
  const sorted = [...nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const internalOwner = new Map<string, string>();
  const internal = new Map<NodeView, Partial<Record<IpFamily, string>>>();
  for (const node of sorted) {
    const ips = internalIps(node);
    internal.set(node, ips);
    for (const ip of Object.values(ips)) if (!internalOwner.has(ip)) internalOwner.set(ip, node.name);
  }
  const refuse = (node: NodeView, keys: readonly string[], message: string): void => {
    for (const key of keys) invalidKeys.add(key);
    problems.push({ kind: "node", object: node.name, message: `${message}; the node keeps its current neighbor, if any` });
  };

  // Outside `dual` a node has one peering address: trouble with it keeps whatever neighbor it has.
  const ownKeys = (c: Candidate): readonly string[] => (config.bgp.addressFamily === "dual" ? [c.key] : neighborKeys(owner, c.node.name));
  const byAddress = new Map<string, Candidate[]>();
  for (const node of sorted) {
    const keys = neighborKeys(owner, node.name);
    const skipText = node.annotations[ANNOTATION_SKIP];
    if (skipText !== undefined) {
      const skip = parseSkipAnnotation(skipText);
      if (!skip.ok) {
        refuse(node, keys, skip.message);
        continue;
      }
      if (skip.value) {
        for (const key of keys) skippedKeys.add(key);
        continue;
      }
    }
    const r = request(node, config, check, internal.get(node) ?? {});
    for (const message of r.nodeProblems) refuse(node, keys, message);
    for (const p of r.familyProblems) refuse(node, [p.key], p.message);
    for (const c of r.candidates) {
      const internalHolder = internalOwner.get(c.address);
      if (c.annotated && internalHolder !== undefined && internalHolder !== node.name) {
        refuse(node, ownKeys(c), `annotation ${ANNOTATION_ADDRESS}=${c.address} is the InternalIP of node ${internalHolder}`);
        continue;
      }
      byAddress.set(c.address, [...(byAddress.get(c.address) ?? []), c]);
    }
  }

  const neighbors: DesiredNeighbor[] = [];
  for (const [address, claims] of byAddress) {
    const holderKey = facts.holderOfAddress.get(address);
    const winner = claims.find((c) => c.key === holderKey) ?? claims[0];
    for (const c of claims) {
      if (c === winner || winner === undefined) continue;
      refuse(c.node, ownKeys(c), `address ${address} is already peered by node ${winner.node.name} (set annotation ${ANNOTATION_ADDRESS} to tell them apart)`);
    }
    if (winner === undefined) continue;
    neighbors.push({
      key: winner.key,
      node: winner.node.name,
      ownAddress: !winner.annotated || internal.get(winner.node)?.[winner.family] === address,
      spec: {
        enabled: true,
        address,
        remoteAs: winner.remoteAs,
        // os-frr renders update-source for IPv4 neighbors and `interface` (linklocalinterface) for
        // IPv6 ones only ([plugins] service/templates/OPNsense/Quagga/Config/bgpd.conf, contract
        // §3.3, §7 item 21). FRR needs `interface` only for a link-local peer, and link-local peering
        // addresses are refused (address-class.ts): an IPv6 neighbor at a global address gets
        // neither, and FRR picks the source address from its route to the peer.
        updateSource: winner.family === "inet" ? (config.bgp.updateSource ?? "") : "",
        linkLocalInterface: "",
        description: formatMarker(owner, winner.key),
        keepalive: config.bgp.keepalive,
        holddown: config.bgp.holddown,
        connectTimer: config.bgp.connectTimer,
        bfd: config.bgp.bfd,
        multihop: config.bgp.multihop,
        password: config.bgp.password ?? "",
        peerGroup,
        prefixListIn: facts.prefixLink,
      },
    });
  }
  neighbors.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { neighbors, problems, invalidKeys, skippedKeys };
}
