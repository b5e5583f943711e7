import type { Logger } from "pino";
import { createClusterWatch } from "../cluster/watch.ts";
import { clusterWatchSelection } from "../cluster/from-config.ts";
import { loadKubeConfig } from "../cluster/kube-config.ts";
import type { Config } from "../config/types.ts";
import type { CiliumView } from "../cluster/cilium.ts";
import { interfaceSettings } from "../controller/interface-settings.ts";
import { createOpnsenseClient, describeCapabilities, PreflightError, PRIVILEGES } from "../opnsense/index.ts";
import { opnsenseOptions } from "../opnsense/from-config.ts";

export type CheckItem = { readonly name: string; readonly ok: boolean; readonly detail: string };
export type CheckResult = { readonly ok: boolean; readonly url: string; readonly items: readonly CheckItem[]; readonly warnings: readonly string[] };

const REQUIRED = [PRIVILEGES.routing, PRIVILEGES.filter, PRIVILEGES.alias, PRIVILEGES.category];

/**
 * The agent's start-up preflight, on demand: the same requests and the same sentences. The
 * preflight stops early only when nothing else can be asked (unreachable, TLS, 401); otherwise
 * it names every problem at once, so one failed item here does not hide the others.
 */
export async function runCheck(config: Config, logger: Logger): Promise<CheckResult> {
  const items: CheckItem[] = [];
  const warnings: string[] = [];
  const router = createOpnsenseClient({ ...opnsenseOptions(config), retries: 0, logger: logger.child({ component: "opnsense" }) });
  const wanted = interfaceSettings(config);
  const interfacesText = wanted.map((w) => `${w.setting}=${w.value}`).join(", ");
  try {
    const pre = await router.preflight({ interfaces: wanted });
    warnings.push(...pre.warnings);
    items.push({ name: "opnsense", ok: true, detail: `${config.opnsense.url} answers; ${config.opnsense.url.startsWith("https:") ? "TLS and " : ""}credentials accepted` });
    items.push({ name: "features", ok: true, detail: describeCapabilities(pre.capabilities) });
    items.push({ name: "privileges", ok: true, detail: REQUIRED.map((p) => p.gui.replace(/ \(.*\)$/, "")).join(", ") });
    items.push({ name: "interfaces", ok: true, detail: interfacesText });
    items.push({ name: "frr", ok: true, detail: "FRR enabled, not in manual configuration mode; BGP enabled with a local AS" });
  } catch (err) {
    if (!(err instanceof PreflightError)) throw err;
    warnings.push(...err.warnings);
    for (const problem of err.problems) items.push({ name: "opnsense", ok: false, detail: problem });
  }
  const cluster = createClusterWatch({
    kc: loadKubeConfig(),
    ...clusterWatchSelection(config),
    logger: logger.child({ component: "cluster" }),
    onChange: () => undefined,
  });
  try {
    const view = await cluster.listFresh();
    const services = config.lb.clientNetworks.length > 0 ? `, ${view.services.length} Services match SERVICE_SELECTOR=${config.serviceSelector}` : "";
    items.push({ name: "kubernetes", ok: true, detail: `${view.nodes.length} nodes match NODE_SELECTOR=${config.nodeSelector}${services}` });
    items.push(ciliumItem(view.cilium, config.ciliumPools));
  } catch (err) {
    items.push({ name: "kubernetes", ok: false, detail: err instanceof Error ? err.message : String(err) });
  }
  return { ok: items.every((i) => i.ok), url: config.opnsense.url, items, warnings };
}

/** What the agent will take from Cilium: its pools (as LB prefixes) and its BGP configs (cross-checked). */
function ciliumItem(cilium: CiliumView | undefined, pools: Config["ciliumPools"]): CheckItem {
  if (cilium === undefined || (cilium.pools === null && cilium.bgp === null)) return { name: "cilium", ok: true, detail: "the cluster serves no Cilium resources (LB prefixes come from LB_ADDRESSES alone)" };
  const poolText =
    pools === "off" ? "pools ignored (CILIUM_POOLS=off)" : cilium.pools === null ? "no pool resource" : `${cilium.pools.filter((p) => !p.disabled).length} pool(s) used as LB prefixes`;
  const bgpText = cilium.bgp === null ? "no BGP resources" : `${cilium.bgp.length} BGP config(s) cross-checked`;
  return { name: "cilium", ok: true, detail: `${poolText}; ${bgpText}` };
}

export function renderCheck(result: CheckResult): string {
  const lines = result.items.map((i) => `${i.ok ? "ok  " : "FAIL"}  ${i.name.padEnd(10)}  ${i.detail}`);
  for (const w of result.warnings) lines.push(`warn  ${"".padEnd(10)}  ${w}`);
  lines.push("", result.ok ? "The agent can work with this router and cluster." : "The agent cannot work until the problems above are fixed.");
  return lines.join("\n");
}
