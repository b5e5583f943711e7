import type { Capabilities } from "../domain/types.ts";
import type { NodeView } from "../cluster/types.ts";
import type { Config } from "../config/types.ts";
import type { DesiredNeighbor, Problem } from "./types.ts";
import { parseIp } from "../domain/net.ts";
import { formatMarker, neighborKey } from "../domain/ownership.ts";
import { ANNOTATION_ADDRESS, ANNOTATION_ASN, ANNOTATION_SKIP, parseAddressAnnotation, parseAsnAnnotation, parseSkipAnnotation } from "./annotations.ts";

export type NeighborsResult = { readonly neighbors: readonly DesiredNeighbor[]; readonly problems: readonly Problem[] };

type Address = { readonly ok: true; readonly address: string } | { readonly ok: false; readonly message: string };

function peeringAddress(node: NodeView): Address {
  const annotated = node.annotations[ANNOTATION_ADDRESS];
  if (annotated !== undefined) {
    const parsed = parseAddressAnnotation(annotated);
    return parsed.ok ? { ok: true, address: parsed.value } : parsed;
  }
  const internal = node.addresses.filter((a) => a.type === "InternalIP");
  for (const a of internal) {
    const ip = parseIp(a.address);
    if (ip?.family === "inet") return { ok: true, address: ip.address };
  }
  if (internal.some((a) => parseIp(a.address)?.family === "inet6")) {
    return {
      ok: false,
      message: `node has only IPv6 InternalIP addresses; IPv6 peering is not supported, set annotation ${ANNOTATION_ADDRESS} to an IPv4 address`,
    };
  }
  return { ok: false, message: `node has no IPv4 InternalIP address; set annotation ${ANNOTATION_ADDRESS} to its IPv4 peering address` };
}

/**
 * One neighbor per enrolled node. Nodes are handled in name order so that, when two nodes
 * claim one address, the same node wins on every pass.
 */
export function desiredNeighbors(nodes: readonly NodeView[], config: Config, caps: Capabilities): NeighborsResult {
  const problems: Problem[] = [];
  const neighbors: DesiredNeighbor[] = [];
  const byAddress = new Map<string, string>();
  const owner = config.ownerId;

  // A peer group the installed os-frr cannot hold would be dropped on write and rewritten forever.
  const peerGroup = config.bgp.peerGroup !== null && caps.peerGroups ? config.bgp.peerGroup : "";
  if (config.bgp.peerGroup !== null && !caps.peerGroups) {
    problems.push({
      kind: "config",
      object: "BGP_PEER_GROUP",
      message: `peer groups need os-frr ≥ 1.40 (OPNsense ≥ 24.1.7; this router: ${caps.versionRange}); neighbors are created without a peer group`,
    });
  }

  const sorted = [...nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const node of sorted) {
    const nodeProblems: string[] = [];
    const skipText = node.annotations[ANNOTATION_SKIP];
    if (skipText !== undefined) {
      const skip = parseSkipAnnotation(skipText);
      if (skip.ok && skip.value) continue;
      if (!skip.ok) nodeProblems.push(skip.message);
    }
    const address = peeringAddress(node);
    if (!address.ok) nodeProblems.push(address.message);
    let remoteAs = config.bgp.remoteAsn;
    const asnText = node.annotations[ANNOTATION_ASN];
    if (asnText !== undefined) {
      const asn = parseAsnAnnotation(asnText);
      if (asn.ok) remoteAs = asn.value;
      else nodeProblems.push(asn.message);
    }
    if (nodeProblems.length > 0 || !address.ok) {
      for (const message of nodeProblems) problems.push({ kind: "node", object: node.name, message: `${message}; node skipped` });
      continue;
    }
    const holder = byAddress.get(address.address);
    if (holder !== undefined) {
      problems.push({
        kind: "node",
        object: node.name,
        message: `address ${address.address} is already used by node ${holder}; node skipped (set annotation ${ANNOTATION_ADDRESS} to tell them apart)`,
      });
      continue;
    }
    byAddress.set(address.address, node.name);
    const key = neighborKey(owner, node.name);
    neighbors.push({
      key,
      node: node.name,
      spec: {
        enabled: true,
        address: address.address,
        remoteAs,
        updateSource: config.bgp.updateSource ?? "",
        description: formatMarker(owner, key),
        keepalive: config.bgp.keepalive,
        holddown: config.bgp.holddown,
        connectTimer: config.bgp.connectTimer,
        bfd: config.bgp.bfd,
        multihop: config.bgp.multihop,
        password: config.bgp.password ?? "",
        peerGroup,
      },
    });
  }
  return { neighbors, problems };
}
