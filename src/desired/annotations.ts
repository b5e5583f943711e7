/** Per-node overrides (design §6), prefix `opnsense-bgp-agent/`. A bad value is an error on that node only. */
import { parseIp, type IpFamily } from "../domain/net.ts";
import { BOOLEAN_SPELLINGS, parseBoolean } from "../domain/boolean.ts";
import { quoteCapped } from "../domain/text.ts";

export const ANNOTATION_ADDRESS = "opnsense-bgp-agent/address";
export const ANNOTATION_ASN = "opnsense-bgp-agent/asn";
export const ANNOTATION_SKIP = "opnsense-bgp-agent/skip";

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

export function parseAsnAnnotation(value: string): Parsed<number> {
  const t = value.trim();
  if (/^\d{1,10}$/.test(t)) {
    const n = Number(t);
    if (n >= 1 && n <= 4294967295) return { ok: true, value: n };
  }
  return { ok: false, message: `annotation ${ANNOTATION_ASN}=${quoteCapped(value)} is not an AS number (1–4294967295)` };
}

/**
 * The peering address(es) a node asks for: one IPv4 or IPv6 address, or (for
 * BGP_ADDRESS_FAMILY=dual) one of each, comma-separated.
 */
export function parseAddressAnnotation(value: string): Parsed<Partial<Record<IpFamily, string>>> {
  const items = value.split(",").map((s) => s.trim());
  const out: Partial<Record<IpFamily, string>> = {};
  for (const item of items) {
    const ip = parseIp(item);
    if (ip === null || out[ip.family] !== undefined || items.length > 2) {
      return { ok: false, message: `annotation ${ANNOTATION_ADDRESS}=${quoteCapped(value)} is not an IPv4 or IPv6 address (or one of each, comma-separated)` };
    }
    out[ip.family] = ip.address;
  }
  return { ok: true, value: out };
}

export function parseSkipAnnotation(value: string): Parsed<boolean> {
  const b = parseBoolean(value);
  if (b !== null) return { ok: true, value: b };
  return { ok: false, message: `annotation ${ANNOTATION_SKIP}=${quoteCapped(value)} is not a boolean (${BOOLEAN_SPELLINGS})` };
}
