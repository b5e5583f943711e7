/**
 * Log lines that tell an operator when something the cluster decides changed, not on every pass:
 * the effective BGP settings (first pass and on change) and Cilium mismatches (when one appears
 * and when it is gone). Metrics are set on every pass.
 */
import type { Logger } from "pino";
import type { Config } from "../config/types.ts";
import { MISMATCH_KINDS, type Mismatch } from "../desired/cilium-check.ts";
import type { PassSettings } from "../desired/pass-config.ts";
import type { Metrics } from "../server/metrics.ts";

export type ChangeNotices = {
  settings(s: PassSettings, routerAs: number | null): void;
  mismatches(list: readonly Mismatch[]): void;
};

export function createChangeNotices(opts: { readonly config: Config; readonly logger: Logger; readonly metrics: Metrics }): ChangeNotices {
  const { config, logger, metrics } = opts;
  /** Mismatches logged already (one warning when one appears, one info line when it is gone). */
  let knownMismatches = new Map<string, Mismatch>();
  /** The last pass's effective settings, to log them at the first pass and whenever they change. */
  let lastSettings: string | null = null;

  function reportMismatches(mismatches: readonly Mismatch[]): void {
    const next = new Map<string, Mismatch>(mismatches.map((m) => [`${m.node}\u0000${m.kind}\u0000${m.cilium}\u0000${m.agent ?? m.router ?? ""}`, m] as const));
    for (const [key, m] of next) {
      if (knownMismatches.has(key)) continue;
      logger.warn(
        { node: m.node, kind: m.kind, what: m.what, cilium: m.cilium, ...(m.agent !== undefined ? { agent: m.agent } : {}), ...(m.router !== undefined ? { router: m.router } : {}), hint: m.hint },
        "BGP config mismatch",
      );
    }
    for (const [key, m] of knownMismatches) if (!next.has(key)) logger.info({ node: m.node, kind: m.kind, what: m.what }, "BGP config mismatch resolved");
    knownMismatches = next;
    for (const kind of MISMATCH_KINDS) metrics.bgpConfigMismatches.set({ kind }, mismatches.filter((m) => m.kind === kind).length);
  }

  /** The settings the cluster decides (pools, accepted prefixes, the nodes' AS): logged at the first pass and on change. */
  function noteSettings(s: PassSettings, routerAs: number | null): void {
    const filtering = s.accept.prefixes.length > 0;
    metrics.routeFilter.set(filtering ? 1 : 0);
    const asn = s.remoteAsn.asn;
    const fields = {
      routerAs,
      remoteAsn: asn,
      remoteAsnFrom: s.remoteAsn.from,
      peering: routerAs === null || asn === null ? "unknown" : routerAs === asn ? "iBGP" : "eBGP",
      ciliumPools: config.ciliumPools === "off" ? "off" : s.lb.pools,
      ...(s.lb.disabledPools.length > 0 ? { disabledPools: s.lb.disabledPools } : {}),
      lbPrefixes: s.lb.prefixes,
      acceptPrefixes: s.accept.prefixes,
      acceptPrefixesFrom: s.accept.from,
    };
    const key = JSON.stringify(fields);
    if (key === lastSettings) return;
    const first = lastSettings === null;
    const wasFiltering = lastSettings !== null && (JSON.parse(lastSettings) as { acceptPrefixes: unknown[] }).acceptPrefixes.length > 0;
    lastSettings = key;
    logger.info(fields, first ? "BGP settings in effect" : "BGP settings changed");
    if (!filtering && (first || wasFiltering))
      logger.warn(
        { acceptPrefixesFrom: s.accept.from },
        "BGP route filtering is OFF: neither BGP_ACCEPT_PREFIXES, LB_ADDRESSES nor a Cilium pool gives prefixes, so every peered node may announce any prefix (a default route, the LAN) and OPNsense installs it; set LB_ADDRESSES to the LB pool",
      );
  }

  return { settings: noteSettings, mismatches: reportMismatches };
}
