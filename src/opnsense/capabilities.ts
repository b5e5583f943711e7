/**
 * Feature detection from the templates the API returns (`get<Item>` without uuid), never
 * from firmware info (it needs an admin-grade privilege) and never from `savepoint` (it
 * writes a config backup). Evidence per contract §7:
 *
 * | evidence                                         | means                         |
 * |--------------------------------------------------|-------------------------------|
 * | filter/getRule has `statetype`                   | OPNsense ≥ 25.1               |
 * | filter/getRule has `sort_order`                  | ≥ 25.1.5 (core c2e168686f; grids carry raw values only from 25.7, which the template cannot tell) |
 * | filter/getRule `direction` offers `any`          | ≥ 26.1                        |
 * | filter/getRule has `tcpflags_any`                | ≥ 26.1.2 (core aaae8368d2); 26.7 has the same template |
 * | quagga/bgp/getNeighbor field names               | neighborFields                |
 * | quagga/bgp/searchPeergroup answers (not 404)     | peer groups (os-frr ≥ 1.40)   |
 * | quagga/bgp/get root has `maximumpaths`, or the neighbor template has `bfd_strict` | os-frr ≥ 1.52: description rendered into frr.conf |
 *
 * Why `maximumpaths`: os-frr 1.52 added it to the BGP root (plugins d0d9a7ffb) in the same
 * release as rendering `neighbor X description` (plugins 7657da6cd); every release tag that
 * has one has the other (checked at 26.1.5 … 26.1.9). The neighbor template alone cannot tell
 * 1.51 from 1.52 (`localas` is 1.51, `bfd_strict` is 1.53), so it only serves as a fallback.
 */
import type { Capabilities } from "../domain/types.ts";
import { OpnsenseError, guardShape } from "./errors.ts";
import type { Http } from "./http.ts";
import { child, fieldNames, optionKeys, readObj } from "./codec.ts";
import { EP as BGP_EP } from "./bgp.ts";
import { EP as FILTER_EP } from "./filter.ts";

export type CapabilityEvidence = {
  /** `rule` object of `GET firewall/filter/getRule`. */
  readonly ruleTemplate: Readonly<Record<string, unknown>>;
  /** `neighbor` object of `GET quagga/bgp/getNeighbor`. */
  readonly neighborTemplate: Readonly<Record<string, unknown>>;
  readonly peerGroupsEndpoint: boolean;
  /** Field names of the `bgp` root of `GET quagga/bgp/get`. */
  readonly bgpRootFields: readonly string[];
};

export function deriveCapabilities(ev: CapabilityEvidence): Capabilities {
  const rule = ev.ruleTemplate;
  const statetype = "statetype" in rule;
  const sortOrder = "sort_order" in rule;
  const directionAny = optionKeys(rule.direction).includes("any");
  const tcpflagsAny = "tcpflags_any" in rule;
  const neighborFields = fieldNames(ev.neighborTemplate).sort();
  // point releases, checked against OPNsense's own code (contract §11): fields arrive in cherry-picks
  const versionRange = tcpflagsAny ? ">=26.1.2" : directionAny ? "26.1.0-26.1.1" : sortOrder ? "25.1.5-25.7.x" : statetype ? "25.1.0-25.1.4" : "24.1-24.7";
  return {
    versionRange,
    ruleStatetype: statetype,
    ruleDirectionAny: directionAny,
    gridRawValues: sortOrder,
    // savepoint is gone only in 26.7, whose template equals 26.1.2+; there it was useless anyway
    // (rounded revision, §4.6), and exact rollback is certain only before sort_order (≤25.1.4)
    savepoint: !tcpflagsAny,
    serverRollback: !sortOrder,
    neighborFields,
    frrRendersDescription: rendersDescription(ev.bgpRootFields, neighborFields),
    peerGroups: ev.peerGroupsEndpoint,
  };
}

/** os-frr ≥ 1.52 renders neighbor descriptions into frr.conf (see the table above for the evidence). */
export function rendersDescription(bgpRootFields: readonly string[], neighborFields: readonly string[]): boolean {
  return bgpRootFields.includes("maximumpaths") || neighborFields.includes("bfd_strict");
}

export async function fetchRuleTemplate(http: Http): Promise<Readonly<Record<string, unknown>>> {
  const reply = await http.request({ method: "GET", endpoint: FILTER_EP.getRule });
  return guardShape("GET", FILTER_EP.getRule, () => child(readObj(reply, "reply"), "rule", "reply"));
}

export async function fetchNeighborTemplate(http: Http): Promise<Readonly<Record<string, unknown>>> {
  const reply = await http.request({ method: "GET", endpoint: BGP_EP.getNeighbor });
  return guardShape("GET", BGP_EP.getNeighbor, () => child(readObj(reply, "reply"), "neighbor", "reply"));
}

export async function hasPeerGroups(http: Http): Promise<boolean> {
  try {
    await http.request({ method: "GET", endpoint: BGP_EP.searchPeergroup });
    return true;
  } catch (e) {
    if (e instanceof OpnsenseError && e.kind === "not-found") return false;
    throw e;
  }
}
