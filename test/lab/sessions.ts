// The simulator cannot know how the real FRR's sessions are doing (its peers stay `Active`
// until told otherwise), while the agent reads session status from the simulator's
// diagnostics/bgpsummary. The lab closes that gap by copying real FRR's `show bgp summary json`
// and RIB into the simulator's running peers (the same control a test uses by hand), so what the
// agent reports comes from real BGP sessions.
import type { PeerState, SimControl } from "../fakes/opnsense/index.ts";
import type { Frr, PeerSummary, RibPath } from "./frr.ts";

const STATES: readonly PeerState[] = ["Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established"];

/** Real FRR's state of each address (unknown or absent → Idle), and the prefixes FRR holds from it. */
export function peerStates(addresses: readonly string[], summary: ReadonlyMap<string, PeerSummary>, rib: ReadonlyMap<string, readonly RibPath[]>): Map<string, { state: PeerState; prefixes: string[] }> {
  const out = new Map<string, { state: PeerState; prefixes: string[] }>();
  for (const address of addresses) {
    const real = summary.get(address)?.state ?? "";
    const state = STATES.find((s) => s === real) ?? "Idle";
    const prefixes = [...rib].filter(([, paths]) => paths.some((p) => p.nexthops.includes(address))).map(([prefix]) => prefix);
    out.set(address, { state, prefixes: state === "Established" ? prefixes : [] });
  }
  return out;
}

/** One copy, right before the agent's pass that should see it. */
export async function mirrorSessions(frr: Pick<Frr, "summary" | "rib">, control: Pick<SimControl, "running" | "setPeerState">): Promise<void> {
  const addresses = control.running().frr.neighbors.map((n) => n.address);
  const [summary, rib] = await Promise.all([frr.summary(), frr.rib()]);
  for (const [address, p] of peerStates(addresses, summary, rib)) control.setPeerState(address, p.state, p.prefixes);
}
