/**
 * FRR's BGP sessions from `quagga/diagnostics/bgpsummary`: `{"response": <show bgp summary json>}`
 * (contract §3.1). FRR's JSON is keyed by address family (`ipv4Unicast`, `ipv6Unicast`, …), each
 * with `peers: {<address>: {state, remoteAs, peerUptimeMsec, pfxRcd, desc, …}}`. PHP turns an
 * empty FRR answer (bgpd down, no `router bgp`) into `{"response": []}`: FRR then runs no peer.
 */
import type { BgpPeerStatus, BgpSessionsRead } from "../domain/types.ts";
import { canonicalAddress } from "../domain/net.ts";
import { OpnsenseError } from "./errors.ts";
import type { Http } from "./http.ts";
import { isObj } from "./codec.ts";

export const EP = { bgpSummary: "quagga/diagnostics/bgpsummary" } as const;

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** Peers of every address family; a multiprotocol peer shows in several, its prefixes are summed. */
export function parseBgpSummary(reply: unknown): ReadonlyMap<string, BgpPeerStatus> {
  if (!isObj(reply) || !("response" in reply)) {
    throw new OpnsenseError({ kind: "unexpected", method: "GET", endpoint: EP.bgpSummary, detail: 'unexpected reply shape: expected {"response": …}' });
  }
  const out = new Map<string, BgpPeerStatus>();
  const families = reply.response;
  if (!isObj(families)) return out;
  for (const family of Object.values(families)) {
    if (!isObj(family) || !isObj(family.peers)) continue;
    for (const [rawAddress, p] of Object.entries(family.peers)) {
      if (!isObj(p)) continue;
      const address = canonicalAddress(rawAddress);
      const state = typeof p.state === "string" ? p.state : "unknown";
      const established = state === "Established";
      const prefixes = num(p.pfxRcd) ?? 0;
      const seen = out.get(address);
      if (seen) {
        out.set(address, { ...seen, prefixesReceived: seen.prefixesReceived + prefixes });
        continue;
      }
      out.set(address, {
        address,
        state,
        remoteAs: num(p.remoteAs),
        uptimeMs: established ? (num(p.peerUptimeMsec) ?? 0) : 0,
        prefixesReceived: prefixes,
        description: typeof p.desc === "string" ? p.desc : null,
      });
    }
  }
  return out;
}

/** Never throws an OpnsenseError: sessions are a report, and a pass must not fail for lack of one. */
export async function readBgpSessions(http: Http): Promise<BgpSessionsRead> {
  try {
    // Read-only and informative: one attempt, the next pass tries again.
    const reply = await http.request({ method: "GET", endpoint: EP.bgpSummary, retries: 0 });
    return { ok: true, peers: parseBgpSummary(reply) };
  } catch (e) {
    if (e instanceof OpnsenseError) return { ok: false, reason: e.message, privilege: e.privilege ?? null };
    throw e;
  }
}
