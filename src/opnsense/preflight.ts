/**
 * Start-up check: can this agent work against this router with these credentials? Every
 * problem found is collected (not just the first) and phrased as one sentence an operator
 * can act on. Only problems that make every further call pointless (unreachable, TLS,
 * 401) stop the check early.
 */
import type { BgpGeneral, Capabilities, Category, FrrGeneral } from "../domain/types.ts";
import { OpnsenseError, PreflightError } from "./errors.ts";
import type { Http } from "./http.ts";
import { EP as BGP_EP, isValidAsn, readBgpModel, readGeneral } from "./bgp.ts";
import type { BgpModel } from "./bgp.ts";
import { readCategories } from "./category.ts";
import { EP as ALIAS_EP, PROBE_ALIAS_NAME } from "./alias.ts";
import { deriveCapabilities, fetchNeighborTemplate, fetchRuleTemplate, fetchPeerGroupTemplate, hasSavepoint } from "./capabilities.ts";
import { describePrivilege, privilegeFor } from "./privileges.ts";
import { optionKeys } from "./codec.ts";

/** The interface keys OPNsense offers, from the option lists of the templates preflight reads. */
export type OfferedInterfaces = {
  /** `interface` options of `filter/getRule` (rules). */
  readonly rule: readonly string[];
  /** `updatesource` options of `quagga/bgp/getNeighbor`; empty when the template has no such field. */
  readonly updateSource: readonly string[];
};

/** A setting that names an OPNsense interface, e.g. `{ setting: "FIREWALL_INTERFACE", value: "lan", offeredBy: "rule" }`. */
export type InterfaceSetting = { readonly setting: string; readonly value: string; readonly offeredBy: keyof OfferedInterfaces };

export type PreflightResult = {
  readonly capabilities: Capabilities;
  readonly warnings: string[];
  readonly interfaces: OfferedInterfaces;
  /** What preflight read on the way that a pass needs too (kept, so the pass does not read it again). */
  readonly observed: { readonly frr: FrrGeneral; readonly categories: readonly Category[] };
};

export type PreflightOptions = {
  readonly url: string;
  readonly tlsInsecure: boolean;
  /** Settings to check against the offered interfaces (a wrong one would otherwise surface only as a write's "Option not in list."). */
  readonly interfaces?: readonly InterfaceSetting[];
  /**
   * false: skip `quagga/bgp/get` (the whole BGP model, the largest reply) because the caller reads
   * it right after and checks the BGP root with the same sentences (a pass after a resync or an
   * error). Description rendering is then refined by that read (see snapshot.ts). Default true.
   */
  readonly bgpModel?: boolean;
};

/**
 * FRR/BGP states in which API neighbors cannot take effect. Shared by preflight and every pass
 * (someone may switch BGP off while the agent runs), so both say the same thing.
 */
export function frrProblems(general: FrrGeneral): string[] {
  const out: string[] = [];
  if (!general.enabled) out.push("FRR is disabled (general.enabled=0): enable it under Routing ▸ General, otherwise no BGP neighbor can take effect.");
  if (general.manualConfig) out.push("FRR runs in manual configuration mode (general.manual_config=1): frr.conf is not generated from the GUI/API, so neighbors written by this agent would have no effect; switch manual configuration off under Routing ▸ General.");
  return out;
}

export function bgpProblems(bgp: BgpGeneral): string[] {
  const out: string[] = [];
  if (!bgp.enabled) out.push("BGP is disabled (bgp.enabled=0): enable it under Routing ▸ BGP.");
  if (!isValidAsn(bgp.asNumber)) out.push(`The local BGP AS number is not set or invalid (bgp.asnumber=${bgp.asNumber ?? "empty"}): set it under Routing ▸ BGP.`);
  return out;
}

export function routerStateProblems(frr: FrrGeneral, bgp: BgpGeneral): string[] {
  return [...frrProblems(frr), ...bgpProblems(bgp)];
}

export function offeredInterfaces(ruleTemplate: Readonly<Record<string, unknown>>, neighborTemplate: Readonly<Record<string, unknown>>): OfferedInterfaces {
  const keys = (v: unknown) => optionKeys(v).filter((k) => k !== "").sort();
  return { rule: keys(ruleTemplate["interface"]), updateSource: keys(neighborTemplate["updatesource"]) };
}

/** One sentence per setting whose interface OPNsense does not offer; an empty offer list cannot be checked and passes. */
export function interfaceProblems(wanted: readonly InterfaceSetting[], offered: OfferedInterfaces): string[] {
  const out: string[] = [];
  for (const w of wanted) {
    const list = offered[w.offeredBy];
    if (list.length === 0) continue;
    for (const name of w.value.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
      if (!list.includes(name)) out.push(`${w.setting}: "${name}" is not an interface of this OPNsense (offered: ${list.join(", ")})`);
    }
  }
  return out;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: OpnsenseError };

async function attempt<T>(f: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (e) {
    if (e instanceof OpnsenseError) return { ok: false, error: e };
    throw e;
  }
}

function fatal(e: OpnsenseError, url: string): string | null {
  switch (e.kind) {
    case "unreachable":
    case "transient":
      return `OPNsense is unreachable at ${url}: ${e.detail}.`;
    case "tls":
      return `The TLS connection to ${url} failed: ${e.detail}.`;
    case "auth":
      return `OPNsense rejected the API key and secret (HTTP 401 on ${e.endpoint}): check OPNSENSE_API_KEY/OPNSENSE_API_SECRET and that the API user is enabled and not expired.`;
    default:
      return null;
  }
}

function permissionSentence(e: OpnsenseError): string {
  const p = privilegeFor(e.endpoint);
  const what = p ? `the privilege ${describePrivilege(p)}` : "a privilege";
  return `The API user lacks ${what}: OPNsense answered 403 on /api/${e.endpoint}; add it under System ▸ Access ▸ Users (or the user's group) ▸ Effective Privileges.`;
}

function genericSentence(e: OpnsenseError): string {
  return `${e.method} /api/${e.endpoint} failed: ${e.detail}.`;
}

export async function runPreflight(http: Http, opts: PreflightOptions): Promise<PreflightResult> {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (opts.tlsInsecure) warnings.push("TLS certificate verification is disabled (OPNSENSE_TLS_INSECURE=true): anyone on the path can read the API secret; use OPNSENSE_CA_FILE instead.");

  const general = await attempt(() => readGeneral(http));
  if (!general.ok) {
    const stop = fatal(general.error, opts.url);
    if (stop) throw new PreflightError([stop], warnings);
  }

  let quaggaUsable = true;
  const noteQuagga = (e: OpnsenseError): void => {
    if (!quaggaUsable) return; // one sentence per cause is enough
    quaggaUsable = false;
    if (e.kind === "permission") problems.push(permissionSentence(e));
    else if (e.kind === "not-found") problems.push(`The os-frr plugin is not installed (404 on /api/${e.endpoint}): install os-frr under System ▸ Firmware ▸ Plugins.`);
    else problems.push(genericSentence(e));
  };

  if (general.ok) problems.push(...frrProblems(general.value));
  else noteQuagga(general.error);

  // Everything else is independent: ask in parallel, report in a fixed order.
  const [bgp, neighborTpl, peerGroups, ruleTpl, savepointTpl, alias, category, aliasUtil] = await Promise.all([
    quaggaUsable && opts.bgpModel !== false ? attempt<BgpModel>(() => readBgpModel(http)) : null,
    quaggaUsable ? attempt(() => fetchNeighborTemplate(http)) : null,
    quaggaUsable ? attempt(() => fetchPeerGroupTemplate(http)) : null,
    attempt(() => fetchRuleTemplate(http)),
    attempt(() => hasSavepoint(http)),
    attempt(() => http.request({ method: "GET", endpoint: ALIAS_EP.getAliasUUID, args: [PROBE_ALIAS_NAME] })),
    attempt(() => readCategories(http)),
    attempt(() => http.request({ method: "GET", endpoint: ALIAS_EP.utilAliases, retries: 0 })),
  ]);

  for (const o of [bgp, neighborTpl, peerGroups]) if (o && !o.ok) noteQuagga(o.error);
  if (bgp?.ok) problems.push(...bgpProblems(bgp.value.bgp));
  if (!ruleTpl.ok) {
    if (ruleTpl.error.kind === "permission") problems.push(permissionSentence(ruleTpl.error));
    else if (ruleTpl.error.kind === "not-found") problems.push(`The MVC firewall rule API is missing (404 on /api/${ruleTpl.error.endpoint}): OPNsense 24.1 or later is required.`);
    else problems.push(genericSentence(ruleTpl.error));
  }
  for (const o of [alias, category]) {
    if (!o.ok) problems.push(o.error.kind === "permission" ? permissionSentence(o.error) : genericSentence(o.error));
  }
  if (!aliasUtil.ok) {
    const p = privilegeFor(ALIAS_EP.utilAliases);
    warnings.push(
      aliasUtil.error.kind === "permission" && p
        ? `The API user lacks the optional privilege ${describePrivilege(p)}: live pf tables cannot be read, so alias reloads are not verified.`
        : `Live pf tables cannot be read (${aliasUtil.error.message}): alias reloads are not verified.`,
    );
  }

  const interfaces = offeredInterfaces(ruleTpl.ok ? ruleTpl.value : {}, neighborTpl?.ok ? neighborTpl.value : {});
  problems.push(...interfaceProblems(opts.interfaces ?? [], interfaces));

  if (!savepointTpl.ok && ruleTpl.ok) problems.push(savepointTpl.error.kind === "permission" ? permissionSentence(savepointTpl.error) : genericSentence(savepointTpl.error));
  // Without problems quagga answered, so a null `bgp` is one skipped on purpose (opts.bgpModel).
  if (problems.length > 0 || !general.ok || (bgp !== null && !bgp.ok) || !neighborTpl?.ok || !peerGroups?.ok || !ruleTpl.ok || !savepointTpl.ok || !category.ok) {
    if (problems.length === 0) problems.push(`Capability probe of ${BGP_EP.getNeighbor} did not complete.`);
    throw new PreflightError(problems, warnings);
  }

  const capabilities = deriveCapabilities({
    ruleTemplate: ruleTpl.value,
    neighborTemplate: neighborTpl.value,
    peerGroupTemplate: peerGroups.value,
    savepointEndpoint: savepointTpl.value,
    bgpRootFields: bgp?.ok ? bgp.value.rootFields : [],
  });
  if (capabilities.neighborFields.length > 0 && !capabilities.neighborFields.includes("remote_as_mode")) warnings.push("os-frr is older than 1.44: on versions before 1.43 every FRR apply restarts FRR and drops all BGP sessions, so changes are batched into one apply.");
  // Without the BGP root the evidence is incomplete; the pass's own read of it refines the capability.
  if (!capabilities.frrRendersDescription && bgp !== null) warnings.push("os-frr is older than 1.52: neighbor descriptions are not rendered into frr.conf, so the running-config check can compare only addresses and remote AS.");
  return { capabilities, warnings, interfaces, observed: { frr: general.value, categories: category.value } };
}
