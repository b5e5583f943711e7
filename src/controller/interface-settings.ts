import type { Config } from "../config/types.ts";
import type { InterfaceSetting } from "../opnsense/index.ts";

/**
 * The settings that name an OPNsense interface, with the name an operator knows them by, so a
 * typo is reported as `FIREWALL_INTERFACE: "lan2" …` at start instead of a write's
 * `rule.interface: Option not in list.`.
 */
export function interfaceSettings(config: Config): InterfaceSetting[] {
  const out: InterfaceSetting[] = [{ setting: "FIREWALL_INTERFACE", value: config.firewallInterface, offeredBy: "rule" }];
  if (config.bgp.updateSource) out.push({ setting: "BGP_UPDATE_SOURCE", value: config.bgp.updateSource, offeredBy: "updateSource" });
  config.lb.clientNetworks.forEach((n, i) => out.push({ setting: `LB_CLIENT_NETWORKS entry ${i + 1}`, value: n.interface, offeredBy: "rule" }));
  return out;
}
