/**
 * The FRR service: apply (reconfigure), status, and what FRR actually runs, read from
 * `show running-config` so an apply that was saved but never performed can be detected.
 */
import { isIP } from "node:net";
import type { FrrRunning } from "../domain/types.ts";
import { prefixListEntry } from "../domain/frr.ts";
import { canonicalAddress } from "../domain/net.ts";
import { OpnsenseError } from "./errors.ts";
import type { Http } from "./http.ts";
import { isObj } from "./codec.ts";
import { runAction, statusOf } from "./crud.ts";

export const EP = {
  reconfigure: "quagga/service/reconfigure",
  status: "quagga/service/status",
  runningConfig: "quagga/diagnostics/generalrunningconfig",
} as const;

export type FrrServiceStatus = "running" | "stopped" | "disabled" | "unknown";

export async function reconfigureFrr(http: Http, timeoutMs: number): Promise<void> {
  await runAction(http, { endpoint: EP.reconfigure, what: "FRR reload", timeoutMs });
}

export async function frrStatus(http: Http): Promise<FrrServiceStatus> {
  const reply = await http.request({ method: "GET", endpoint: EP.status });
  const s = statusOf(http, "GET", EP.status, reply).trim().toLowerCase();
  return s === "running" || s === "stopped" || s === "disabled" ? s : "unknown";
}

/**
 * Neighbors of `router bgp` blocks in `show running-config` text. Only IP-addressed neighbors
 * count (peer-group names use the same `neighbor X …` syntax); address-family lines are
 * indented deeper and ignored. `remote-as internal|external` has no number → null.
 */
export function parseRunningConfig(text: string): FrrRunning {
  const neighbors = new Map<string, { remoteAs: number | null; description: string | null; prefixListIn: string | null }>();
  const prefixListEntries = new Set<string>();
  let inBgp = false;
  for (const raw of text.split(/\r?\n/)) {
    const pl = /^(?:ip|ipv6) prefix-list (\S+) seq (\d+) (permit|deny) (.+?)\s*$/.exec(raw);
    if (pl) {
      prefixListEntries.add(prefixListEntry(pl[1] ?? "", Number(pl[2]), pl[3] ?? "", pl[4] ?? ""));
      continue;
    }
    if (/^router bgp\b/.test(raw)) {
      inBgp = true;
      continue;
    }
    if (!inBgp) continue;
    if (/^(exit|!|end)\s*$/.test(raw) || /^\S/.test(raw)) {
      inBgp = /^router bgp\b/.test(raw);
      continue;
    }
    // Inbound filters live in the address-family block, indented deeper.
    const filter = /^\s+neighbor (\S+) prefix-list (\S+) in\s*$/.exec(raw);
    if (filter && isIP((filter[1] ?? "").toLowerCase()) !== 0) {
      const addr = canonicalAddress(filter[1] ?? "");
      const entry = neighbors.get(addr) ?? { remoteAs: null, description: null, prefixListIn: null };
      entry.prefixListIn = filter[2] ?? null;
      neighbors.set(addr, entry);
      continue;
    }
    const m = /^ neighbor (\S+) (.*)$/.exec(raw);
    if (!m) continue;
    const addr = canonicalAddress(m[1] ?? "");
    const rest = m[2] ?? "";
    if (isIP(addr) === 0) continue;
    const entry = neighbors.get(addr) ?? { remoteAs: null, description: null, prefixListIn: null };
    const ras = /^remote-as (\S+)\s*$/.exec(rest);
    const desc = /^description (.*)$/.exec(rest);
    if (ras) entry.remoteAs = /^\d+$/.test(ras[1] ?? "") ? Number(ras[1]) : null;
    else if (desc) entry.description = (desc[1] ?? "").trimEnd();
    neighbors.set(addr, entry);
  }
  return { neighbors, prefixListEntries };
}

/** null when bgpd is down (`{"response": []}`), the text is missing, or the call fails: then pending-apply detection is skipped. */
export async function readRunning(http: Http): Promise<FrrRunning | null> {
  try {
    const reply = await http.request({ method: "GET", endpoint: EP.runningConfig, retries: 0 });
    if (!isObj(reply) || typeof reply.response !== "string" || reply.response.trim() === "") return null;
    return parseRunningConfig(reply.response);
  } catch (e) {
    if (e instanceof OpnsenseError) return null;
    throw e;
  }
}
