/**
 * The configuration one pass works with: the loaded Config with what the cluster adds to it
 * merged in (Cilium's pools as LB prefixes, the accepted prefixes that follow, BGP_REMOTE_ASN
 * taken from Cilium when unset). Pure; everything downstream reads only the result.
 */
import type { ClusterView } from "../cluster/types.ts";
import type { Config } from "../config/types.ts";
import { resolveRemoteAsn } from "./cilium-check.ts";
import { effectiveAcceptPrefixes, effectiveLbPrefixes, type AcceptPrefixes, type LbPrefixes } from "./lb-prefixes.ts";

export type PassSettings = {
  readonly config: Config;
  readonly lb: LbPrefixes;
  readonly accept: AcceptPrefixes;
  /** The nodes' AS this pass and where it came from; null asn = unresolved (the controller fails such a pass first). */
  readonly remoteAsn: { readonly asn: number | null; readonly from: string };
};

export function passSettings(config: Config, view: ClusterView): PassSettings {
  const lb = effectiveLbPrefixes(config, view);
  const accept = effectiveAcceptPrefixes(config, view, lb);
  const resolved = resolveRemoteAsn(config, view);
  const asn = resolved.ok ? resolved.asn : null;
  const allowedAsns = asn === null ? config.bgp.allowedAsns : [...new Set([asn, ...config.bgp.allowedAsns])].sort((a, b) => a - b);
  return {
    config: {
      ...config,
      bgp: { ...config.bgp, remoteAsn: asn, allowedAsns, acceptPrefixes: accept.prefixes },
      lb: { ...config.lb, addresses: lb.prefixes },
    },
    lb,
    accept,
    remoteAsn: { asn, from: resolved.ok ? resolved.from : "unresolved" },
  };
}
