/**
 * Saved-but-not-running detection (design §4): a pass that finds nothing to write must still
 * reconfigure when the previous run saved changes and died before applying them. Derived
 * from what the router runs, so it survives restarts without any local state.
 */
import type { Alias, Neighbor, RouterSnapshot } from "../domain/types.ts";
import { parseMarker } from "../domain/ownership.ts";
import { alignNetwork, parseIp, parseNetwork } from "../domain/net.ts";
import { ownedFirewallKey, ownedNeighborKey, ownedPrefixRowKey, type Owner } from "./ownership.ts";
import { prefixListEntry } from "../domain/frr.ts";

/** Why FRR's running neighbors differ from the saved owned ones; empty when they agree or cannot be known. */
export function frrPendingReasons(actual: RouterSnapshot, owner: Owner): string[] {
  const running = actual.frrRunning;
  // Without a running FRR with BGP a reconfigure cannot converge; preflight reports those states.
  if (running === null || !actual.frr.enabled || actual.frr.manualConfig || !actual.bgp.enabled) return [];
  const reasons: string[] = [];
  const saved = new Set(actual.neighbors.map((n) => n.address.toLowerCase()));
  const ownedSaved = new Map<string, Neighbor>();
  for (const n of actual.neighbors) {
    if (ownedNeighborKey(n, owner) !== null) ownedSaved.set(n.address.toLowerCase(), n);
  }

  for (const [address, n] of ownedSaved) {
    if (!n.enabled) continue;
    const live = running.neighbors.get(address);
    const label = `neighbor ${n.address} (${n.description})`;
    if (live === undefined) reasons.push(`${label} is saved but FRR does not run it`);
    else if (n.remoteAs !== null && live.remoteAs !== null && live.remoteAs !== n.remoteAs) {
      reasons.push(`${label} is saved with remote-as ${n.remoteAs} but FRR runs remote-as ${live.remoteAs}`);
    }
  }
  reasons.push(...filterPendingReasons(actual, owner, ownedSaved));
  for (const [address, live] of running.neighbors) {
    // Peer-group names and other non-address entries are not neighbors the model saves.
    if (parseIp(address) === null) continue;
    if (!saved.has(address.toLowerCase())) {
      reasons.push(`FRR still runs neighbor ${address}, which is no longer saved`);
      continue;
    }
    if (actual.capabilities.frrRendersDescription && live.description !== null) {
      const m = parseMarker(live.description);
      if (m !== null && m.owner === owner.ownerId && !ownedSaved.has(address.toLowerCase())) {
        reasons.push(`FRR runs neighbor ${address} as ${JSON.stringify(live.description)}, which is no longer saved as the agent's`);
      }
    }
  }
  return reasons;
}

/**
 * The agent's inbound filter is saved but FRR does not run it (agent stopped between the writes
 * and the reconfigure): without this check the next pass would see nothing to write and leave the
 * neighbors unfiltered. Only known when FRR's running config could be read with prefix lists.
 */
function filterPendingReasons(actual: RouterSnapshot, owner: Owner, ownedSaved: ReadonlyMap<string, Neighbor>): string[] {
  const running = actual.frrRunning;
  const entries = running?.prefixListEntries;
  if (running === null || entries === undefined) return [];
  const reasons: string[] = [];
  const rows = new Map(actual.prefixRows.map((r) => [r.uuid, r]));
  for (const r of actual.prefixRows) {
    if (!r.enabled || r.seqnumber === null || ownedPrefixRowKey(r, owner) === null) continue;
    const entry = prefixListEntry(r.name, r.seqnumber, r.action, r.network);
    if (!entries.has(entry)) reasons.push(`prefix-list entry "${entry}" is saved but FRR does not run it`);
  }
  for (const [address, n] of ownedSaved) {
    if (!n.enabled || n.prefixListIn === "") continue;
    const linked = n.prefixListIn.split(",").map((u) => rows.get(u)).find((r) => r !== undefined && r.enabled);
    const live = running.neighbors.get(address);
    if (linked === undefined || live === undefined) continue;
    if ((live.prefixListIn ?? null) !== linked.name) reasons.push(`neighbor ${address} is saved with inbound prefix list ${linked.name} but FRR runs it ${live.prefixListIn ? `with ${live.prefixListIn}` : "unfiltered"}`);
  }
  return reasons;
}

/** pf shows `10.0.0.1` for `10.0.0.1/32` and masks host bits: compare in that form. */
export function tableEntry(entry: string): string {
  const t = entry.trim().toLowerCase();
  const net = parseNetwork(t);
  if (net === null) return t;
  const full = net.family === "inet" ? 32 : 128;
  if (net.prefix === null || net.prefix === full) return net.address;
  return alignNetwork(net).text;
}

function sameTable(a: readonly string[], b: readonly string[]): boolean {
  const x = [...new Set(a.map(tableEntry))].sort();
  const y = [...new Set(b.map(tableEntry))].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Why owned aliases' live pf tables differ from their saved content (unknown tables are skipped). */
export function aliasPendingReasons(actual: RouterSnapshot, owner: Owner): string[] {
  const tables = actual.aliasTablesRunning;
  if (tables === null) return [];
  const reasons: string[] = [];
  const owned: Alias[] = actual.aliases.filter((a) => ownedFirewallKey(a, owner) !== null);
  for (const a of owned) {
    const live = tables.get(a.name);
    if (live === undefined) continue;
    // A disabled alias is loaded as an empty table.
    const expected = a.enabled ? a.content : [];
    if (!sameTable(expected, live)) {
      reasons.push(`alias ${a.name}: pf holds ${live.length} entries but ${expected.length} are saved`);
    }
  }
  return reasons;
}
