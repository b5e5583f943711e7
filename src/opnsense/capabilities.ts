/**
 * Feature detection from the templates the API returns (`get<Item>` without uuid), never
 * from firmware info (it needs an admin-grade privilege) and never from a POST to `savepoint`
 * (it writes a config backup). What was found is what is reported: point releases carry
 * features back (`sort_order` came with 25.1.5, `tcpflags_any` with 26.1.2, contract §11), so
 * no release series is inferred from them. Evidence per contract §7 and §11:
 *
 * | evidence                                                  | capability                     |
 * |-----------------------------------------------------------|--------------------------------|
 * | filter/getRule has `statetype`                            | sloppy state (≥ 25.1)          |
 * | filter/getRule `direction` offers `any`                   | one rule for both directions (≥ 26.1) |
 * | `GET filter/savepoint` answers (404 once removed, 26.7)   | savepoint / cancelRollback     |
 * | …and the peer-group template has no `listenranges`        | the server-side rollback works (24.1–25.1) |
 * | quagga/bgp/getNeighbor field names                        | neighborFields                 |
 * | quagga/bgp/getPeergroup answers (not 404)                 | peer groups (os-frr ≥ 1.40)    |
 * | quagga/bgp/get root has `maximumpaths`, or the neighbor template has `bfd_strict` | os-frr ≥ 1.52: description rendered into frr.conf |
 *
 * A GET of `savepoint` writes nothing: the action saves only on POST and answers a GET with
 * `{"status":"error"}` (core `FilterBaseController::savepointAction()`, `isPost()` guard, up to 26.1.x).
 *
 * Why `listenranges`: the rounded savepoint revision that stops the rollback (core `c81509ddd6`,
 * `Config.php`) is in 25.7.x and not in 25.1.x, and no template shows it. The filter template
 * cannot tell the two apart (25.1.12 already has `sort_order`, `icmptype` and the +100
 * sequence), but os-frr can: 1.44 is the last os-frr of 25.1.x and 1.45, the first of 25.7,
 * added peer-group listen ranges (contract §0; checked on 25.1.12 and 25.7.11).
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
  /** `peergroup` object of `GET quagga/bgp/getPeergroup`; null where the endpoint is a 404 (os-frr < 1.40). */
  readonly peerGroupTemplate: Readonly<Record<string, unknown>> | null;
  /** `GET firewall/filter/savepoint` answered (not 404). */
  readonly savepointEndpoint: boolean;
  /** Field names of the `bgp` root of `GET quagga/bgp/get`. */
  readonly bgpRootFields: readonly string[];
};

export function deriveCapabilities(ev: CapabilityEvidence): Capabilities {
  const rule = ev.ruleTemplate;
  const neighborFields = fieldNames(ev.neighborTemplate).sort();
  return {
    ruleStatetype: "statetype" in rule,
    ruleDirectionAny: optionKeys(rule.direction).includes("any"),
    savepoint: ev.savepointEndpoint,
    serverRollback: ev.savepointEndpoint && !(ev.peerGroupTemplate !== null && "listenranges" in ev.peerGroupTemplate),
    neighborFields,
    frrRendersDescription: rendersDescription(ev.bgpRootFields, neighborFields),
    peerGroups: ev.peerGroupTemplate !== null,
  };
}

const yesNo = (b: boolean): string => (b ? "yes" : "no");

/** What was found, in words: the detection log line, `check` and messages that name a missing feature. */
export function describeCapabilities(caps: Capabilities): string {
  return [
    `statetype: ${yesNo(caps.ruleStatetype)}`,
    `direction any: ${yesNo(caps.ruleDirectionAny)}`,
    `savepoint: ${yesNo(caps.savepoint)}`,
    `server rollback: ${yesNo(caps.serverRollback)}`,
    `peer groups: ${yesNo(caps.peerGroups)}`,
    `remote_as_mode: ${yesNo(caps.neighborFields.includes("remote_as_mode"))}`,
    `descriptions in frr.conf: ${yesNo(caps.frrRendersDescription)}`,
  ].join(", ");
}

/** The same as structured log fields. */
export function capabilityFields(caps: Capabilities): Record<string, boolean> {
  return {
    statetype: caps.ruleStatetype,
    directionAny: caps.ruleDirectionAny,
    savepoint: caps.savepoint,
    serverRollback: caps.serverRollback,
    peerGroups: caps.peerGroups,
    remoteAsMode: caps.neighborFields.includes("remote_as_mode"),
    frrRendersDescription: caps.frrRendersDescription,
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

/** The peer-group template, or null where os-frr has no peer groups (404). */
export async function fetchPeerGroupTemplate(http: Http): Promise<Readonly<Record<string, unknown>> | null> {
  let reply: unknown;
  try {
    reply = await http.request({ method: "GET", endpoint: BGP_EP.getPeergroup });
  } catch (e) {
    if (e instanceof OpnsenseError && e.kind === "not-found") return null;
    throw e;
  }
  return guardShape("GET", BGP_EP.getPeergroup, () => child(readObj(reply, "reply"), "peergroup", "reply"));
}

/** `GET filter/savepoint`: any answer but 404 means the savepoint family exists (a GET saves nothing). */
export async function hasSavepoint(http: Http): Promise<boolean> {
  try {
    await http.request({ method: "GET", endpoint: FILTER_EP.savepoint });
    return true;
  } catch (e) {
    if (e instanceof OpnsenseError && e.kind === "not-found") return false;
    throw e;
  }
}
