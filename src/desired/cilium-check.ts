/**
 * Cilium's BGP settings against what the agent writes and what the router runs (pure). A
 * session only comes up when both ends agree on the AS numbers and addresses; timers and
 * graceful restart that differ come up but behave differently than either side says.
 *
 * What cannot be checked: whether Cilium's peer address is the router's address on the
 * node's network. The agent knows only some router addresses (BGP router-id, OPNSENSE_URL's
 * IP); a peer address that is one of those is the router, one that is a node's or an LB
 * address is certainly wrong, anything else is not judged.
 */
import type { CiliumBgpConfig, CiliumPeer, CiliumPeerConfig, CiliumView } from "../cluster/cilium.ts";
import { selectorMatches } from "../cluster/cilium.ts";
import type { ClusterView, NodeView } from "../cluster/types.ts";
import type { Config } from "../config/types.ts";
import { networkContains, parseIp, parseNetwork, parseNetworks } from "../domain/net.ts";

export type MismatchKind = "local-as" | "peer-as" | "peer-address" | "timers" | "graceful-restart" | "not-enrolled" | "not-peered-by-cilium";
export const MISMATCH_KINDS: readonly MismatchKind[] = ["local-as", "peer-as", "peer-address", "timers", "graceful-restart", "not-enrolled", "not-peered-by-cilium"];

export type Mismatch = {
  readonly node: string;
  readonly kind: MismatchKind;
  /** What disagrees, e.g. `local AS`. */
  readonly what: string;
  /** Cilium's side, naming the resource. */
  readonly cilium: string;
  /** The agent's side (what it writes into OPNsense), when that is the other side. */
  readonly agent?: string;
  /** The router's side, when that is the other side. */
  readonly router?: string;
  readonly hint: string;
};

/** One line for an Event: stable for one mismatch, so the recorder's dedup holds it back on later passes. */
export function mismatchMessage(m: Mismatch): string {
  const other = m.agent !== undefined ? `agent: ${m.agent}` : `router: ${m.router ?? "?"}`;
  return `${m.what} differs: Cilium ${m.cilium}; ${other}. ${m.hint}`;
}

export type RouterBgp = {
  readonly asNumber: number | null;
  /** OPNsense's `bgp.graceful` (FRR `bgp graceful-restart`); null = unknown. */
  readonly graceful: boolean | null;
  /** Addresses known to be the router's (router-id, OPNSENSE_URL's IP). */
  readonly addresses: readonly string[];
};

export type CheckInput = {
  readonly config: Config;
  /** BGP_REMOTE_ASN, or the AS taken from Cilium for this pass. */
  readonly remoteAsn: number;
  readonly nodes: readonly NodeView[];
  /** The AS the agent writes for each peered node (annotations included). */
  readonly agentAsOf: ReadonlyMap<string, number>;
  /** Addresses the LB prefixes cover (never a router's peering address). */
  readonly lbPrefixes: readonly string[];
  readonly cilium: CiliumView;
  readonly router: RouterBgp;
};

// Defaults when a side leaves a value unset (Cilium's CRD defaults; FRR's).
const CILIUM_DEFAULT = { hold: 90, keepalive: 30, graceful: false };

function source(c: CiliumBgpConfig): string {
  return `${c.kind} ${c.name}`;
}

/** The peers of one instance that are this router: those at a known router address, else the only peer. */
function routerPeers(peers: readonly CiliumPeer[], routerAddresses: readonly string[]): CiliumPeer[] {
  const known = peers.filter((p) => p.peerAddress !== null && routerAddresses.includes(hostOf(p.peerAddress)));
  if (known.length > 0) return known;
  return peers.length === 1 ? [...peers] : [];
}

/** `10.0.0.1/32` → `10.0.0.1` (CiliumBGPPeeringPolicy writes peer addresses as host CIDRs). */
function hostOf(address: string): string {
  const net = parseNetwork(address);
  return net === null ? address : net.address;
}

type PeerSettings = { readonly hold: number | null; readonly keepalive: number | null; readonly graceful: boolean; readonly from: string };

function peerSettings(c: CiliumBgpConfig, p: CiliumPeer, peerConfigs: ReadonlyMap<string, CiliumPeerConfig>): PeerSettings {
  if (c.kind === "CiliumBGPPeeringPolicy") return { hold: p.holdTimeSeconds, keepalive: p.keepAliveTimeSeconds, graceful: p.gracefulRestart ?? CILIUM_DEFAULT.graceful, from: source(c) };
  const pc = p.peerConfigRef === null ? undefined : peerConfigs.get(p.peerConfigRef);
  return {
    hold: pc?.holdTimeSeconds ?? null,
    keepalive: pc?.keepAliveTimeSeconds ?? null,
    graceful: pc?.gracefulRestart ?? CILIUM_DEFAULT.graceful,
    from: pc ? `CiliumBGPPeerConfig ${pc.name} (via ${source(c)})` : `${source(c)} (no CiliumBGPPeerConfig: Cilium's defaults)`,
  };
}

function peerAddressProblem(address: string, input: CheckInput): string | null {
  const ip = parseIp(hostOf(address));
  if (ip === null) return null;
  const node = input.nodes.find((n) => n.addresses.some((a) => a.address === ip.address));
  if (node !== undefined) return `${ip.address} is the address of node ${node.name}, not the router's`;
  const lb = parseNetworks(input.lbPrefixes).find((net) => networkContains(net, ip));
  if (lb !== undefined) return `${ip.address} lies in the LoadBalancer prefix ${lb.text}, not a router address`;
  return null;
}

/** Every disagreement between Cilium's BGP config and the agent/router, per node, in a stable order. */
export function ciliumMismatches(input: CheckInput): Mismatch[] {
  const configs = input.cilium.bgp ?? [];
  if (configs.length === 0) return [];
  const out: Mismatch[] = [];
  const peerConfigs = new Map(input.cilium.peerConfigs.map((p) => [p.name, p] as const));
  const { config, router } = input;

  for (const node of input.nodes) {
    const selecting = configs.filter((c) => selectorMatches(c.nodeSelector, node.labels));
    if (selecting.length === 0) {
      out.push({
        node: node.name,
        kind: "not-peered-by-cilium",
        what: "peering",
        cilium: `no CiliumBGPPeeringPolicy/CiliumBGPClusterConfig selects this node (${configs.map(source).join(", ")})`,
        agent: `enrolled by NODE_SELECTOR ${JSON.stringify(config.nodeSelector)}: OPNsense has a neighbor for it`,
        hint: "the neighbor stays idle; label the node for Cilium's nodeSelector or take it out of NODE_SELECTOR",
      });
      continue;
    }
    const agentAs = input.agentAsOf.get(node.name) ?? input.remoteAsn;
    for (const c of selecting) {
      for (const inst of c.instances) {
        if (inst.localAsn !== null && inst.localAsn !== agentAs) {
          out.push({
            node: node.name,
            kind: "local-as",
            what: "local AS",
            cilium: `${inst.localAsn} (${source(c)})`,
            agent: `remote AS ${agentAs} (${input.agentAsOf.has(node.name) && agentAs !== input.remoteAsn ? "annotation opnsense-bgp-agent/asn" : "BGP_REMOTE_ASN"})`,
            hint: "OPNsense rejects the session (bad peer AS); make BGP_REMOTE_ASN (or the node's asn annotation) equal Cilium's localASN",
          });
        }
        for (const p of routerPeers(inst.peers, router.addresses)) {
          if (p.peerAsn !== null && p.peerAsn !== 0 && router.asNumber !== null && p.peerAsn !== router.asNumber) {
            out.push({
              node: node.name,
              kind: "peer-as",
              what: "peer AS",
              cilium: `${p.peerAsn} (${source(c)})`,
              router: `local AS ${router.asNumber} (OPNsense Routing: BGP)`,
              hint: "Cilium rejects the router's OPEN (bad peer AS); set Cilium's peerASN to OPNsense's AS number",
            });
          }
          const addressProblem = p.peerAddress === null ? null : peerAddressProblem(p.peerAddress, input);
          if (addressProblem !== null && p.peerAddress !== null) {
            out.push({
              node: node.name,
              kind: "peer-address",
              what: "peer address",
              cilium: `${p.peerAddress} (${source(c)})`,
              router: router.addresses.length > 0 ? `known router addresses: ${router.addresses.join(", ")}` : "no router address known",
              hint: `${addressProblem}; set Cilium's peerAddress to the router's address on the node's network`,
            });
          }
          const s = peerSettings(c, p, peerConfigs);
          // Both ends set: the session runs with the smaller hold time, so the settings on one
          // side are not what happens. One side unset: nothing was asked for, nothing to contradict.
          const holdDiffers = s.hold !== null && config.bgp.holddown !== null && s.hold !== config.bgp.holddown;
          const keepaliveDiffers = s.keepalive !== null && config.bgp.keepalive !== null && s.keepalive !== config.bgp.keepalive;
          if (holdDiffers || keepaliveDiffers) {
            out.push({
              node: node.name,
              kind: "timers",
              what: "hold/keepalive timer setting",
              cilium: `hold ${s.hold ?? CILIUM_DEFAULT.hold}s keepalive ${s.keepalive ?? CILIUM_DEFAULT.keepalive}s (${s.from})`,
              agent: `hold ${config.bgp.holddown}s keepalive ${config.bgp.keepalive}s (BGP_HOLDDOWN/BGP_KEEPALIVE)`,
              hint: "the session negotiates the smaller hold time; set both sides alike",
            });
          }
          if (router.graceful !== null && s.graceful !== router.graceful) {
            out.push({
              node: node.name,
              kind: "graceful-restart",
              what: "graceful restart",
              cilium: `${s.graceful ? "enabled" : "disabled"} (${s.from})`,
              router: `${router.graceful ? "enabled" : "disabled"} (OPNsense Routing: BGP, Graceful Restart)`,
              hint: "graceful restart works only when both sides enable it: a Cilium agent restart withdraws the LB routes otherwise",
            });
          }
        }
      }
    }
  }

  const enrolled = new Set(input.nodes.map((n) => n.name));
  for (const name of input.cilium.selectedNodes ?? []) {
    if (enrolled.has(name)) continue;
    out.push({
      node: name,
      kind: "not-enrolled",
      what: "peering",
      cilium: `selected by ${configs.map(source).join(", ")}: Cilium peers from this node`,
      agent: `not enrolled (NODE_SELECTOR ${JSON.stringify(config.nodeSelector)}): OPNsense has no neighbor for it`,
      hint: "its session never comes up; add the node to NODE_SELECTOR or narrow Cilium's nodeSelector",
    });
  }
  return out;
}

export type AsnResolution = { readonly ok: true; readonly asn: number; readonly from: string } | { readonly ok: false; readonly message: string };

/**
 * BGP_REMOTE_ASN, or when unset the one local AS Cilium's BGP configs name for the enrolled
 * nodes (for all configs while no node is enrolled). Anything else fails the pass: guessing an
 * AS would write neighbors that never come up.
 */
export function resolveRemoteAsn(config: Config, view: ClusterView): AsnResolution {
  if (config.bgp.remoteAsn !== null) return { ok: true, asn: config.bgp.remoteAsn, from: "BGP_REMOTE_ASN" };
  const configs = view.cilium?.bgp ?? [];
  const relevant = view.nodes.length === 0 ? configs : configs.filter((c) => view.nodes.some((n) => selectorMatches(c.nodeSelector, n.labels)));
  const byAsn = new Map<number, string[]>();
  for (const c of relevant) for (const i of c.instances) if (i.localAsn !== null) byAsn.set(i.localAsn, [...(byAsn.get(i.localAsn) ?? []), source(c)]);
  const [only] = byAsn.keys();
  if (byAsn.size === 1 && only !== undefined) return { ok: true, asn: only, from: `Cilium (${[...new Set(byAsn.get(only))].join(", ")})` };
  if (byAsn.size === 0) {
    const why = view.cilium?.bgp === null || view.cilium?.bgp === undefined ? "the cluster serves no Cilium BGP resources" : configs.length === 0 ? "Cilium has no BGP config" : "no Cilium BGP config selects the enrolled nodes";
    return { ok: false, message: `BGP_REMOTE_ASN is not set and cannot be taken from Cilium: ${why}; set BGP_REMOTE_ASN` };
  }
  const list = [...byAsn].map(([asn, from]) => `${asn} (${[...new Set(from)].join(", ")})`).join(", ");
  return { ok: false, message: `BGP_REMOTE_ASN is not set and Cilium's BGP configs name several local AS numbers for the enrolled nodes: ${list}; set BGP_REMOTE_ASN` };
}
