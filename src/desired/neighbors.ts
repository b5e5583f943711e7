import type { Capabilities } from "../domain/types.ts";
import type { NodeView } from "../cluster/types.ts";
import type { Config } from "../config/types.ts";
import type { DesiredNeighbor, Problem } from "./types.ts";
import { parseIp } from "../domain/net.ts";
import { formatMarker, neighborKey } from "../domain/ownership.ts";
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

function firstInternalIpv4(node: NodeView): string | null {
  for (const a of node.addresses) {
    if (a.type !== "InternalIP") continue;
    const ip = parseIp(a.address);
    if (ip?.family === "inet") return ip.address;
  }
  return null;
}

type Candidate = { readonly node: NodeView; readonly key: string; readonly address: string; readonly annotated: boolean; readonly remoteAs: number };

/** A node's requested peering, or the messages saying why it cannot have one. */
function candidate(node: NodeView, key: string, config: Config, check: PeeringCheck, internalIp: string | null): Candidate | { readonly problems: readonly string[] } {
  const problems: string[] = [];
  let address: string | null = null;
  const annotated = node.annotations[ANNOTATION_ADDRESS];
  if (annotated !== undefined) {
    const parsed = parseAddressAnnotation(annotated);
    if (parsed.ok) address = parsed.value;
    else problems.push(parsed.message);
  } else {
    address = internalIp;
    if (address === null) {
      const v6 = node.addresses.some((a) => a.type === "InternalIP" && parseIp(a.address)?.family === "inet6");
      problems.push(
        v6
          ? `node has only IPv6 InternalIP addresses; IPv6 peering is not supported, set annotation ${ANNOTATION_ADDRESS} to an IPv4 address`
          : `node has no IPv4 InternalIP address; set annotation ${ANNOTATION_ADDRESS} to its IPv4 peering address`,
      );
    }
  }
  if (address !== null) {
    const refusal = check(address);
    if (refusal !== null) problems.push(`peering address refused: ${refusal}`);
  }
  // null only when BGP_REMOTE_ASN is unset and Cilium names no single AS; the controller fails
  // such a pass before computing, so this is a backstop, not a path.
  let remoteAs = config.bgp.remoteAsn;
  if (remoteAs === null) problems.push("BGP_REMOTE_ASN is not set and was not taken from Cilium");
  const asnText = node.annotations[ANNOTATION_ASN];
  if (asnText !== undefined) {
    const asn = parseAsnAnnotation(asnText);
    if (!asn.ok) problems.push(asn.message);
    else {
      const refusal = asnRefusal(asn.value, config);
      if (refusal !== null) problems.push(`annotation ${ANNOTATION_ASN} refused: ${refusal}`);
      else remoteAs = asn.value;
    }
  }
  if (problems.length > 0 || address === null || remoteAs === null) return { problems };
  return { node, key, address, annotated: annotated !== undefined, remoteAs };
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
  const internalIp = new Map<NodeView, string | null>();
  for (const node of sorted) {
    const ip = firstInternalIpv4(node);
    internalIp.set(node, ip);
    if (ip !== null && !internalOwner.has(ip)) internalOwner.set(ip, node.name);
  }
  const refuse = (node: NodeView, key: string, message: string): void => {
    invalidKeys.add(key);
    problems.push({ kind: "node", object: node.name, message: `${message}; the node keeps its current neighbor, if any` });
  };

  const byAddress = new Map<string, Candidate[]>();
  for (const node of sorted) {
    const key = neighborKey(owner, node.name);
    const skipText = node.annotations[ANNOTATION_SKIP];
    if (skipText !== undefined) {
      const skip = parseSkipAnnotation(skipText);
      if (!skip.ok) {
        refuse(node, key, skip.message);
        continue;
      }
      if (skip.value) {
        skippedKeys.add(key);
        continue;
      }
    }
    const c = candidate(node, key, config, check, internalIp.get(node) ?? null);
    if ("problems" in c) {
      for (const message of c.problems) refuse(node, key, message);
      continue;
    }
    const internalHolder = internalOwner.get(c.address);
    if (c.annotated && internalHolder !== undefined && internalHolder !== node.name) {
      refuse(node, key, `annotation ${ANNOTATION_ADDRESS}=${c.address} is the InternalIP of node ${internalHolder}`);
      continue;
    }
    byAddress.set(c.address, [...(byAddress.get(c.address) ?? []), c]);
  }

  const neighbors: DesiredNeighbor[] = [];
  for (const [address, claims] of byAddress) {
    const holderKey = facts.holderOfAddress.get(address);
    const winner = claims.find((c) => c.key === holderKey) ?? claims[0];
    for (const c of claims) {
      if (c === winner || winner === undefined) continue;
      refuse(c.node, c.key, `address ${address} is already peered by node ${winner.node.name} (set annotation ${ANNOTATION_ADDRESS} to tell them apart)`);
    }
    if (winner === undefined) continue;
    neighbors.push({
      key: winner.key,
      node: winner.node.name,
      ownAddress: !winner.annotated || internalIp.get(winner.node) === address,
      spec: {
        enabled: true,
        address,
        remoteAs: winner.remoteAs,
        updateSource: config.bgp.updateSource ?? "",
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
  neighbors.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return { neighbors, problems, invalidKeys, skippedKeys };
}
