/**
 * An address range (`start`–`stop`, both included) as the fewest CIDRs that cover exactly it:
 * routers, aliases and prefix lists take CIDRs, and one address too many in a route filter or
 * firewall alias would be a hole.
 */
import { addressValue, formatAddressValue, parseIp, type IpFamily } from "./net.ts";

const WIDTH: Readonly<Record<IpFamily, number>> = { inet: 32, inet6: 128 };

export type RangeResult = { readonly ok: true; readonly cidrs: readonly string[] } | { readonly ok: false; readonly message: string };

export function rangeToCidrs(startText: string, stopText: string): RangeResult {
  const start = parseIp(startText);
  const stop = parseIp(stopText);
  if (start === null) return { ok: false, message: `start "${startText}" is not an IP address` };
  if (stop === null) return { ok: false, message: `stop "${stopText}" is not an IP address` };
  if (start.family !== stop.family) return { ok: false, message: `start ${start.address} and stop ${stop.address} are of different families` };
  const family = start.family;
  let lo = addressValue(start.address, family);
  const hi = addressValue(stop.address, family);
  if (lo > hi) return { ok: false, message: `start ${start.address} is after stop ${stop.address}` };
  const width = WIDTH[family];
  const cidrs: string[] = [];
  // Greedy: from the low end, the largest aligned block that does not pass the high end.
  while (lo <= hi) {
    let size = 0;
    while (size < width) {
      const next = 1n << BigInt(size + 1);
      if (lo % next !== 0n || lo + next - 1n > hi) break;
      size++;
    }
    cidrs.push(`${formatAddressValue(lo, family)}/${width - size}`);
    lo += 1n << BigInt(size);
  }
  return { ok: true, cidrs };
}
