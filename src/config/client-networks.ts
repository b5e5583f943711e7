import type { LbClientNetwork } from "./types.ts";
import { parseNetwork } from "../domain/net.ts";
import { BOOLEAN_SPELLINGS, parseBoolean } from "../domain/boolean.ts";

/**
 * `LB_CLIENT_NETWORKS`: the client networks allowed to reach the LoadBalancer addresses.
 *
 * Grammar:
 * - Entries are separated by `;` or newlines; empty entries are ignored.
 * - Each entry is a list of space-separated `key=value` fields:
 *   - `interface=<name>` (required): the OPNsense interface the clients arrive on (`lan`, `opt1`, …).
 *   - `source=<network>` (required): an interface network (`lan`, `opt1`), an IPv4/IPv6 address or
 *     CIDR (`192.168.50.0/24`, `2001:db8::/64`), an existing alias name, or `any`.
 *   - `asymmetric=true|false` (default `false`): set it when the clients share a subnet with the
 *     nodes, so replies bypass the router; the agent then uses sloppy state in both directions
 *     (needs OPNsense ≥ 25.1).
 *
 * Example: `interface=lan source=lan asymmetric=true; interface=opt1 source=192.168.50.0/24`
 */
export type ClientNetworksResult =
  | { readonly ok: true; readonly entries: readonly LbClientNetwork[] }
  | { readonly ok: false; readonly errors: readonly string[] };

/** OPNsense internal interface names (`lan`, `wan`, `opt12`) and interface group names. */
export const INTERFACE_NAME_RE = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
/** An interface network (`lan`), interface address (`lanip`) or alias name: OPNsense resolves it. */
const NAMED_SOURCE_RE = /^[A-Za-z_][A-Za-z0-9_]{0,31}$/;
const FIELDS = ["interface", "source", "asymmetric"] as const;
type Field = (typeof FIELDS)[number];

function isField(name: string): name is Field {
  return (FIELDS as readonly string[]).includes(name);
}

/** Canonical source text, or a reason it is not a usable source. */
export function parseSource(value: string): { ok: true; source: string } | { ok: false; reason: string } {
  if (value === "any") return { ok: true, source: "any" };
  const net = parseNetwork(value);
  if (net !== null) return { ok: true, source: net.text };
  if (/^[0-9a-fA-F:./]+$/.test(value) && /[.:]/.test(value)) {
    return { ok: false, reason: `source "${value}" is not a valid IPv4/IPv6 address or CIDR` };
  }
  if (NAMED_SOURCE_RE.test(value)) return { ok: true, source: value };
  return {
    ok: false,
    reason: `source "${value}" is not an interface network (lan), an address or CIDR, an alias name or "any"`,
  };
}

export function parseClientNetworks(text: string): ClientNetworksResult {
  const errors: string[] = [];
  const entries: LbClientNetwork[] = [];
  const entryNumbers: number[] = [];
  const rawEntries = text.split(/[;\n]/).map((e) => e.trim()).filter((e) => e !== "");
  rawEntries.forEach((raw, i) => {
    const where = `LB_CLIENT_NETWORKS entry ${i + 1} (${JSON.stringify(raw)})`;
    const fields = new Map<Field, string>();
    const problems: string[] = [];
    for (const token of raw.split(/\s+/)) {
      const eq = token.indexOf("=");
      if (eq <= 0) {
        problems.push(`"${token}" is not a key=value field (fields: interface=, source=, asymmetric=)`);
        continue;
      }
      const name = token.slice(0, eq).toLowerCase();
      const value = token.slice(eq + 1);
      if (!isField(name)) {
        problems.push(`unknown field "${token.slice(0, eq)}" (fields: interface, source, asymmetric)`);
        continue;
      }
      if (fields.has(name)) {
        problems.push(`field "${name}" is given twice`);
        continue;
      }
      fields.set(name, value);
    }
    const iface = fields.get("interface");
    const source = fields.get("source");
    const asymmetricText = fields.get("asymmetric");
    if (iface === undefined) problems.push(`missing required field "interface" (e.g. interface=lan)`);
    else if (!INTERFACE_NAME_RE.test(iface)) {
      problems.push(`interface "${iface}" is not an OPNsense interface name (e.g. lan, opt1)`);
    }
    let canonicalSource = "";
    if (source === undefined) problems.push(`missing required field "source" (e.g. source=lan or source=192.168.50.0/24)`);
    else {
      const parsed = parseSource(source);
      if (parsed.ok) canonicalSource = parsed.source;
      else problems.push(parsed.reason);
    }
    let asymmetric = false;
    if (asymmetricText !== undefined) {
      const b = parseBoolean(asymmetricText);
      if (b === null) problems.push(`asymmetric "${asymmetricText}" is not a boolean (${BOOLEAN_SPELLINGS})`);
      else asymmetric = b;
    }
    if (problems.length > 0) {
      for (const p of problems) errors.push(`${where}: ${p}`);
      return;
    }
    const duplicate = entries.findIndex((e) => e.interface === iface && e.source === canonicalSource);
    if (duplicate !== -1) {
      errors.push(`${where}: same interface and source as entry ${entryNumbers[duplicate] ?? "?"}; merge them`);
      return;
    }
    entries.push({ interface: iface ?? "", source: canonicalSource, asymmetric, raw });
    entryNumbers.push(i + 1);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, entries };
}

/** A source that admits every address of a family: `any`, `0.0.0.0/0`, `::/0`. */
function isWildcardSource(source: string): boolean {
  return source === "any" || parseNetwork(source)?.prefix === 0;
}

/**
 * Start-up warnings for entries that open the LB addresses to more than a local client network.
 * Only `lan` is taken as safe for a wildcard source: the agent cannot see which of OPNsense's
 * interfaces face the internet, and `optN` may be a second uplink as well as a VLAN. A name that
 * contains "wan" (wan, wan2, WAN_DSL) almost certainly faces the internet, so it gets the loud
 * warning; every other interface gets the plain one.
 */
export function clientNetworkWarnings(entries: readonly LbClientNetwork[]): string[] {
  const warnings: string[] = [];
  entries.forEach((entry, i) => {
    if (!isWildcardSource(entry.source) || entry.interface === "lan") return;
    const where = `LB_CLIENT_NETWORKS entry ${i + 1} (${JSON.stringify(entry.raw)})`;
    if (/wan/i.test(entry.interface)) {
      warnings.push(
        `${where}: source=${entry.source} on the WAN-like interface "${entry.interface}" lets every internet address reach the LoadBalancer addresses; use a CIDR of the clients that should reach them`,
      );
    } else {
      warnings.push(
        `${where}: source=${entry.source} admits every address that arrives on "${entry.interface}", not only its local network; prefer source=${entry.interface} or a CIDR`,
      );
    }
  });
  return warnings;
}
