/** Per-node overrides (design §6), prefix `opnsense-bgp-agent/`. A bad value is an error on that node only. */
import { parseIp } from "../domain/net.ts";
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

export function parseAddressAnnotation(value: string): Parsed<string> {
  const ip = parseIp(value);
  if (ip?.family === "inet") return { ok: true, value: ip.address };
  if (ip?.family === "inet6") {
    return {
      ok: false,
      message: `annotation ${ANNOTATION_ADDRESS}=${quoteCapped(value)} is an IPv6 address; IPv6 peering is not supported, give an IPv4 address`,
    };
  }
  return { ok: false, message: `annotation ${ANNOTATION_ADDRESS}=${quoteCapped(value)} is not an IPv4 address` };
}

export function parseSkipAnnotation(value: string): Parsed<boolean> {
  const b = parseBoolean(value);
  if (b !== null) return { ok: true, value: b };
  return { ok: false, message: `annotation ${ANNOTATION_SKIP}=${quoteCapped(value)} is not a boolean (${BOOLEAN_SPELLINGS})` };
}
