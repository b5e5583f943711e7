/**
 * IP address and CIDR parsing with canonical output, shared by config validation and the
 * desired-state computation. Canonical forms matter: the planner compares strings, so
 * `2001:DB8:0::1` and `2001:db8::1` must become the same text before they reach it.
 */

export type IpFamily = "inet" | "inet6";
export type ParsedIp = { readonly family: IpFamily; readonly address: string };
export type ParsedNetwork = { readonly family: IpFamily; readonly address: string; readonly prefix: number | null; readonly text: string };

const IPV4_OCTET = /^(?:0|[1-9]\d{0,2})$/;

/** A dotted-quad IPv4 address (no leading zeros, which some parsers read as octal), or null. */
export function parseIpv4(text: string): string | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  for (const p of parts) {
    if (!IPV4_OCTET.test(p) || Number(p) > 255) return null;
  }
  return parts.map(Number).join(".");
}

/** An IPv6 address in RFC 5952 form (lower case, longest zero run compressed), or null. */
export function parseIpv6(text: string): string | null {
  if (!text.includes(":") || !/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  try {
    // The WHATWG URL parser implements the full IPv6 grammar and serializes canonically.
    const host = new URL(`http://[${text}]/`).hostname;
    return host.slice(1, -1);
  } catch {
    return null;
  }
}

export function parseIp(text: string): ParsedIp | null {
  const t = text.trim();
  const v4 = parseIpv4(t);
  if (v4 !== null) return { family: "inet", address: v4 };
  const v6 = parseIpv6(t);
  if (v6 !== null) return { family: "inet6", address: v6 };
  return null;
}

/**
 * An address as the agent compares it: canonical when it is an IP address (FRR prints IPv6
 * addresses in RFC 5952 form, a hand-made neighbor may say `FD00:0::5`), else trimmed and
 * lower-cased (os-frr also accepts a CIDR or `any` as a neighbor address, contract §3.3).
 */
export function canonicalAddress(text: string): string {
  return parseIp(text)?.address ?? text.trim().toLowerCase();
}

/** An address or `address/prefix`; `text` is the canonical spelling (the host bits are kept as written). */
export function parseNetwork(text: string): ParsedNetwork | null {
  const t = text.trim();
  const slash = t.indexOf("/");
  const ip = parseIp(slash === -1 ? t : t.slice(0, slash));
  if (ip === null) return null;
  if (slash === -1) return { ...ip, prefix: null, text: ip.address };
  const prefixText = t.slice(slash + 1);
  if (!/^(?:0|[1-9]\d{0,2})$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > (ip.family === "inet" ? 32 : 128)) return null;
  return { ...ip, prefix, text: `${ip.address}/${prefix}` };
}

/** The items that parse as addresses or CIDRs (anything else is left out: callers validated them). */
export function parseNetworks(items: Iterable<string>): ParsedNetwork[] {
  const out: ParsedNetwork[] = [];
  for (const item of items) {
    const net = parseNetwork(item);
    if (net !== null) out.push(net);
  }
  return out;
}

/** Sort addresses/networks for stable output: IPv4 before IPv6, numerically within a family. */
export function compareNetworks(a: string, b: string): number {
  const pa = parseNetwork(a);
  const pb = parseNetwork(b);
  if (pa === null || pb === null) return a < b ? -1 : a > b ? 1 : 0;
  if (pa.family !== pb.family) return pa.family === "inet" ? -1 : 1;
  const ka = networkSortKey(pa);
  const kb = networkSortKey(pb);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function networkSortKey(n: ParsedNetwork): string {
  const prefix = String(n.prefix ?? (n.family === "inet" ? 32 : 128)).padStart(3, "0");
  if (n.family === "inet") {
    return n.address.split(".").map((o) => o.padStart(3, "0")).join(".") + "/" + prefix;
  }
  return expandIpv6(n.address) + "/" + prefix;
}

function expandIpv6(address: string): string {
  const [head = "", tail = ""] = address.split("::");
  const h = head === "" ? [] : head.split(":");
  const t = address.includes("::") ? (tail === "" ? [] : tail.split(":")) : [];
  const missing = 8 - h.length - t.length;
  const groups = [...h, ...Array.from({ length: Math.max(missing, 0) }, () => "0"), ...t];
  return groups.map((g) => g.padStart(4, "0")).join(":");
}

/** Sorted (see compareNetworks) and de-duplicated. */
export function sortNetworks(items: Iterable<string>): string[] {
  return [...new Set(items)].sort(compareNetworks);
}

const WIDTH: Readonly<Record<IpFamily, number>> = { inet: 32, inet6: 128 };

/** The address as an unsigned integer of its family's width. */
export function addressValue(address: string, family: IpFamily): bigint {
  if (family === "inet") return BigInt(ipv4Value(address));
  return expandIpv6(address)
    .split(":")
    .reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** An unsigned integer of the family's width as a canonical address. */
export function formatAddressValue(value: bigint, family: IpFamily): string {
  if (family === "inet") return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join(".");
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((value >> s) & 0xffffn).toString(16));
  return parseIpv6(groups.join(":")) ?? groups.join(":");
}

/** A network with its host bits cleared (`10.96.0.5/24` → `10.96.0.0/24`); a bare address becomes a host route. */
export function alignNetwork(n: ParsedNetwork): ParsedNetwork {
  const width = WIDTH[n.family];
  const prefix = n.prefix ?? width;
  const hostBits = BigInt(width - prefix);
  const value = (addressValue(n.address, n.family) >> hostBits) << hostBits;
  const address = formatAddressValue(value, n.family);
  return { family: n.family, address, prefix, text: `${address}/${prefix}` };
}

/** A canonical IPv4 address as a number (0 … 2^32 − 1). */
export function ipv4Value(address: string): number {
  let v = 0;
  let octet = 0;
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === 46) {
      v = v * 256 + octet;
      octet = 0;
    } else octet = octet * 10 + (c - 48);
  }
  return v * 256 + octet;
}

/** Whether `ip` lies inside `net` (same family only). */
export function networkContains(net: ParsedNetwork, ip: ParsedIp): boolean {
  if (net.family !== ip.family) return false;
  if (net.family === "inet") {
    // Plain numbers for IPv4: this runs for every node and ingress IP on every pass.
    const size = 2 ** (32 - (net.prefix ?? 32));
    return Math.floor(ipv4Value(net.address) / size) === Math.floor(ipv4Value(ip.address) / size);
  }
  const width = WIDTH[net.family];
  const hostBits = BigInt(width - (net.prefix ?? width));
  return addressValue(net.address, net.family) >> hostBits === addressValue(ip.address, ip.family) >> hostBits;
}

/** Whether network `inner` lies entirely inside `outer`. */
export function networkCovers(outer: ParsedNetwork, inner: ParsedNetwork): boolean {
  const width = WIDTH[outer.family];
  if (outer.family !== inner.family || (inner.prefix ?? width) < (outer.prefix ?? width)) return false;
  return networkContains(outer, { family: inner.family, address: inner.address });
}
