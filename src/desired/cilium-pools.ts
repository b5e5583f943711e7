/** Cilium LoadBalancer IP pools as CIDRs (pure). */
import type { CiliumPool } from "../cluster/cilium.ts";
import { rangeToCidrs } from "../domain/ip-range.ts";
import { alignNetwork, parseIp, parseNetwork, sortNetworks } from "../domain/net.ts";

export type PoolCidrs = { readonly cidrs: readonly string[]; readonly problems: readonly string[] };

/**
 * A pool's blocks as network-aligned CIDRs: `cidr` as is (aligned), `start`–`stop` as the CIDRs
 * covering exactly that range, `start` alone as one address (Cilium's reading). Broken blocks
 * are reported and left out; the rest of the pool still counts. A disabled pool gives nothing:
 * Cilium allocates nothing from it.
 */
export function poolCidrs(pool: CiliumPool): PoolCidrs {
  if (pool.disabled) return { cidrs: [], problems: [] };
  const cidrs: string[] = [];
  const problems: string[] = [];
  pool.blocks.forEach((b, i) => {
    const where = `block ${i + 1}`;
    if (b.cidr !== null) {
      const net = parseNetwork(b.cidr);
      if (net === null || net.prefix === null) problems.push(`${where}: cidr "${b.cidr}" is not a CIDR`);
      else cidrs.push(alignNetwork(net).text);
      return;
    }
    if (b.start === null) {
      problems.push(`${where}: neither cidr nor start is set`);
      return;
    }
    if (b.stop === null) {
      const ip = parseIp(b.start);
      if (ip === null) problems.push(`${where}: start "${b.start}" is not an IP address`);
      else cidrs.push(`${ip.address}/${ip.family === "inet" ? 32 : 128}`);
      return;
    }
    const r = rangeToCidrs(b.start, b.stop);
    if (r.ok) cidrs.push(...r.cidrs);
    else problems.push(`${where}: ${r.message}`);
  });
  return { cidrs: sortNetworks(new Set(cidrs)), problems };
}
