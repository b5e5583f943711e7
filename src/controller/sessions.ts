/**
 * BGP session status per node (pure): what FRR reports for the agent's neighbors, compared with
 * what the last pass saw, gives Events on a change, the numbers for metrics and /status, and the
 * nodes whose session has now been down for SESSION_DOWN_WARN.
 *
 * Sessions are observed once per pass (the summary is read with the snapshot), so a change is
 * seen at the next pass; the controller schedules a pass for the moment a down session crosses
 * the warning threshold.
 */
import type { NodeEvent } from "../cluster/events.ts";
import type { BgpPeerStatus, BgpSessionsRead } from "../domain/types.ts";
import { compareText } from "../domain/order.ts";
import { networkContains, parseIp, parseNetwork } from "../domain/net.ts";

/** A neighbor the agent owns on OPNsense (by marker key: one per node and address family), and the node it is for. */
export type OwnedPeer = { readonly key: string; readonly node: string; readonly family: SessionFamily; readonly address: string; readonly remoteAs: number | null };

/** The address family of a session, as metrics label it. */
export type SessionFamily = "ipv4" | "ipv6";

/** FRR's FSM state, or `NotRunning` when the neighbor is saved on OPNsense but FRR does not run it. */
export const NOT_RUNNING = "NotRunning";

type Remembered = {
  readonly address: string;
  readonly state: string;
  readonly lastChangeAt: number;
  /** When the agent first saw the session not Established (this down period), else null. */
  readonly downSince: number | null;
  /** BGPSessionDownTooLong was raised for this down period. */
  readonly warned: boolean;
};

export type SessionMemory = {
  /** False until one pass read the sessions: that first reading is a baseline and raises no Events. */
  readonly baselineTaken: boolean;
  /** By neighbor key: a node peering over both families has two sessions. */
  readonly peers: ReadonlyMap<string, Remembered>;
};

export const NO_SESSIONS_SEEN: SessionMemory = { baselineTaken: false, peers: new Map() };

export type NodeSession = {
  readonly node: string;
  readonly family: SessionFamily;
  readonly address: string;
  readonly remoteAs: number | null;
  readonly state: string;
  readonly established: boolean;
  readonly uptimeMs: number;
  readonly prefixesReceived: number;
  readonly prefixesAccepted: number;
  /** Unix ms of the last change the agent saw (for an Established session: when it came up). */
  readonly lastChangeAt: number;
  readonly downSince: number | null;
};

/** A session down for SESSION_DOWN_WARN that has not been warned about in this down period. */
export type DownTooLong = { readonly node: string; readonly address: string; readonly state: string; readonly downForMs: number };

export type SessionObservation = {
  readonly memory: SessionMemory;
  /** null when the sessions could not be read (then everything below is empty). */
  readonly sessions: readonly NodeSession[] | null;
  readonly counts: { readonly established: number; readonly notEstablished: number } | null;
  readonly events: readonly NodeEvent[];
  readonly downTooLong: readonly DownTooLong[];
  /** Unix ms when the next down session reaches the threshold (schedule a pass then), or null. */
  readonly nextWarnAt: number | null;
};

const ESTABLISHED = "Established";

/**
 * Events are raised on a change only. The first reading after a start is a baseline (a restarted
 * agent must not announce every session again); after it, a neighbor seen for the first time
 * counts as "was not up", so a new node's session coming up raises BGPSessionEstablished. A
 * session that was never up raises no BGPSessionDown, only BGPSessionDownTooLong in time.
 */
export function observeSessions(prev: SessionMemory, owned: readonly OwnedPeer[], read: BgpSessionsRead, now: number, warnMs: number): SessionObservation {
  if (!read.ok) return { memory: prev, sessions: null, counts: null, events: [], downTooLong: [], nextWarnAt: null };
  const peers = new Map<string, Remembered>();
  const sessions: NodeSession[] = [];
  const events: NodeEvent[] = [];
  const downTooLong: DownTooLong[] = [];
  let nextWarnAt: number | null = null;
  for (const peer of [...owned].sort((a, b) => compareText(a.node, b.node) || compareText(a.key, b.key))) {
    const frr: BgpPeerStatus | undefined = read.peers.get(peer.address.toLowerCase());
    const state = frr?.state ?? NOT_RUNNING;
    const up = state === ESTABLISHED;
    const upSince = now - (frr?.uptimeMs ?? 0);
    const before = prev.peers.get(peer.key);
    const known = before !== undefined && before.address === peer.address ? before : undefined;
    const wasUp = known ? known.state === ESTABLISHED : false;
    const where = `OPNsense's BGP session with ${peer.address}`;
    if (up && !wasUp && (known || prev.baselineTaken))
      events.push({ node: peer.node, type: "Normal", reason: "BGPSessionEstablished", message: `${where} is Established${frr && frr.prefixesReceived > 0 ? ` (prefixes received: ${frr.prefixesReceived})` : ""}` });
    if (!up && wasUp) events.push({ node: peer.node, type: "Warning", reason: "BGPSessionDown", message: `${where} went down (FRR state ${state})` });

    const changed = !known || known.state !== state;
    const lastChangeAt = up ? (changed || !known ? upSince : known.lastChangeAt) : changed ? now : (known?.lastChangeAt ?? now);
    const downSince = up ? null : (known?.downSince ?? now);
    let warned = up ? false : (known?.warned ?? false);
    if (downSince !== null && !warned) {
      if (now - downSince >= warnMs) {
        downTooLong.push({ node: peer.node, address: peer.address, state, downForMs: now - downSince });
        warned = true;
      } else nextWarnAt = Math.min(nextWarnAt ?? Infinity, downSince + warnMs);
    }
    peers.set(peer.key, { address: peer.address, state, lastChangeAt, downSince, warned });
    sessions.push({
      node: peer.node,
      family: peer.family,
      address: peer.address,
      remoteAs: frr?.remoteAs ?? peer.remoteAs,
      state,
      established: up,
      uptimeMs: up ? (frr?.uptimeMs ?? 0) : 0,
      prefixesReceived: frr?.prefixesReceived ?? 0,
      // FRR counts a prefix only once it passed the inbound prefix list (see README: pfxRcd).
      prefixesAccepted: frr?.prefixesReceived ?? 0,
      lastChangeAt,
      downSince,
    });
  }
  const established = sessions.filter((s) => s.established).length;
  return {
    memory: { baselineTaken: true, peers },
    sessions,
    counts: { established, notEstablished: sessions.length - established },
    events,
    downTooLong,
    nextWarnAt,
  };
}

/** What the agent can see about why a session is down (gathered by the controller). */
export type DownFacts = {
  readonly address: string;
  readonly state: string;
  readonly firewallSuspended: boolean;
  /** The agent's TCP 179 pass rule is saved (and enabled) on OPNsense. */
  readonly bgpRulePresent: boolean;
  /** The node's address is in pf's live table of the node alias; null when not readable. */
  readonly addressInNodeTable: boolean | null;
  /** BGP_UPDATE_SOURCE and the networks of its pf table `__<if>_network` (null: unknown). */
  readonly updateSource: { readonly interface: string; readonly networks: readonly string[] | null } | null;
  /** Cilium mismatches of this node that keep a session down (AS, peer address, not peered by Cilium). */
  readonly configMismatches?: readonly string[];
};

function contains(network: string, address: string): boolean {
  const net = parseNetwork(network);
  const ip = parseIp(address);
  return net !== null && ip !== null && networkContains(net, ip);
}

/** The likely causes, most specific first; always at least one sentence. */
export function downCauses(f: DownFacts): string[] {
  const out: string[] = [...(f.configMismatches ?? [])];
  if (f.firewallSuspended) out.push("firewall changes are suspended after a lockout undo, so the TCP 179 rule may be missing (see /readyz)");
  else if (!f.bgpRulePresent) out.push("the TCP 179 pass rule for the nodes is not in place yet");
  if (f.addressInNodeTable === false) out.push(`${f.address} is not in pf's node table yet (aliases not reloaded)`);
  if (f.state === NOT_RUNNING) out.push("the neighbor is saved on OPNsense but FRR does not run it (FRR reconfigure pending or failed)");
  const us = f.updateSource;
  if (us && us.networks !== null && us.networks.length > 0 && !us.networks.some((n) => contains(n, f.address)))
    out.push(
      `update-source ${us.interface} has network ${us.networks.join(", ")}, which does not contain ${f.address}: FRR's own connection attempts leave from the wrong address, so only sessions the node opens can come up`,
    );
  if (out.length === 0) out.push("nothing wrong is visible on OPNsense: check that the node's BGP speaker runs and peers with the router's address and AS, and the node's own firewall");
  return out;
}
