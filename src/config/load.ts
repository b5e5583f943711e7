import * as fs from "node:fs";
import type { z } from "zod";
import type { Config } from "./types.ts";
import { ENV_VARS } from "./env-vars.ts";
import { alignNetwork, parseNetwork, sortNetworks } from "../domain/net.ts";
import { clientNetworkWarnings } from "./client-networks.ts";
import {
  acceptPrefixesCheck,
  asnCheck,
  asnListCheck,
  booleanCheck,
  addressFamilyCheck,
  ciliumPoolsCheck,
  clientNetworksCheck,
  durationCheck,
  fractionCheck,
  hostnameCheck,
  integerCheck,
  interfaceCheck,
  labelSelectorCheck,
  lbAddressesCheck,
  logLevelCheck,
  namespacesCheck,
  ownerIdCheck,
  passwordCheck,
  peerGroupCheck,
  peerNetworksCheck,
  policyCheck,
  scopeCheck,
  urlCheck,
  type Check,
} from "./schemas.ts";

export type Env = Readonly<Record<string, string | undefined>>;
export type ReadFile = (path: string, encoding: "utf8") => string;

export type LoadResult =
  | { readonly ok: true; readonly config: Config; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[] };

const SECRET_NAMES = new Set(ENV_VARS.filter((v) => v.secret).map((v) => v.name));

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Errors sorted by the ENV_VARS position of the variable they start with (stable), so they read like the docs. */
function inDocumentedOrder(errors: readonly string[]): string[] {
  const position = (message: string): number => {
    let best = -1;
    let bestLength = 0;
    ENV_VARS.forEach((v, i) => {
      if (message.startsWith(v.name) && v.name.length > bestLength) {
        best = i;
        bestLength = v.name.length;
      }
    });
    return best === -1 ? ENV_VARS.length : best;
  };
  return errors
    .map((message, i) => ({ message, i, p: position(message) }))
    .sort((a, b) => a.p - b.p || a.i - b.i)
    .map((e) => e.message);
}

/** The LB pool as route prefixes: a bare address is a host route, a CIDR is taken network-aligned. */
function lbPrefixes(addresses: readonly string[]): string[] {
  return addresses.flatMap((a) => {
    const net = parseNetwork(a);
    return net === null ? [] : [alignNetwork(net).text];
  });
}

function documentedDefault<T>(name: string, check: Check<T>): T {
  const def = ENV_VARS.find((v) => v.name === name)?.default;
  if (def === null || def === undefined) throw new Error(`${name} has no documented default in env-vars.ts`);
  const r = check.schema.safeParse(def);
  if (!r.success) throw new Error(`${name}: the documented default "${def}" does not parse`);
  return r.data;
}

function fsErrorCode(err: unknown): string {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string") return err.code;
  return "unreadable";
}

/**
 * Reads and validates the whole configuration. Every problem is reported (not only the
 * first), each naming its variable; secret values never appear in messages.
 * Empty values count as unset, so `FOO=` in an env file means "use the default".
 */
export function loadConfig(env: Env, readFile: ReadFile = fs.readFileSync): LoadResult {
  const errors: string[] = [];
  const warnings: string[] = [];

  const raw = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === "" ? undefined : v;
  };

  const report = (name: string, rawValue: string, check: Check<unknown>, issues: readonly z.core.$ZodIssue[]): void => {
    const secret = SECRET_NAMES.has(name);
    const seen = new Set<string>();
    for (const issue of issues) {
      let message: string;
      if (issue.code === "custom" && issue.params?.["named"] === true) message = issue.message;
      else if (issue.code === "custom" && !secret) message = `${name}: ${issue.message}`;
      else message = secret ? `${name}: the value is not ${check.expected}` : `${name}: "${rawValue.trim()}" is not ${check.expected}`;
      if (!seen.has(message)) errors.push(message);
      seen.add(message);
    }
  };

  /** Parses `rawValue` (from `name`); on failure records the error and returns `fallback` (never used: errors win). */
  const parse = <T>(name: string, rawValue: string, check: Check<T>, fallback: T): T => {
    const result = check.schema.safeParse(rawValue);
    if (result.success) return result.data;
    report(name, rawValue, check as Check<unknown>, result.error.issues);
    return fallback;
  };

  function optional<T>(name: string, check: Check<T>): T | null;
  function optional<T>(name: string, check: Check<T>, def: T): T;
  function optional<T>(name: string, check: Check<T>, def: T | null = null): T | null {
    const v = raw(name);
    return v === undefined ? def : parse(name, v, check, def);
  }

  /**
   * The variable, or else its documented default (ENV_VARS, the one place defaults are written)
   * parsed by the same check, so docs and behaviour cannot drift apart.
   */
  const documented = <T>(name: string, check: Check<T>): T => {
    const def = documentedDefault(name, check);
    const v = raw(name);
    return v === undefined ? def : parse(name, v, check, def);
  };

  const required = <T>(name: string, check: Check<T>, fallback: T): T => {
    const v = raw(name);
    if (v === undefined) {
      errors.push(`${name}: required, not set`);
      return fallback;
    }
    return parse(name, v, check, fallback);
  };

  const readable = (name: string, path: string): string | null => {
    try {
      return readFile(path, "utf8");
    } catch (err) {
      errors.push(`${name}: cannot read "${path}" (${fsErrorCode(err)})`);
      return null;
    }
  };

  /** A secret given directly or as `<name>_FILE` (file content trimmed). */
  const secret = (name: string, isRequired: boolean): string | null => {
    const fileVar = `${name}_FILE`;
    const direct = raw(name);
    const path = raw(fileVar)?.trim();
    if (direct !== undefined && path !== undefined) {
      errors.push(`${name}: both ${name} and ${fileVar} are set; set only one`);
      return null;
    }
    if (path !== undefined) {
      const content = readable(fileVar, path);
      if (content === null) return null;
      const trimmed = content.trim();
      if (trimmed === "") {
        errors.push(`${fileVar}: "${path}" is empty`);
        return null;
      }
      return placeholderCheck(fileVar, trimmed);
    }
    if (direct !== undefined) return placeholderCheck(name, direct.trim());
    if (isRequired) errors.push(`${name}: required, not set (or set ${fileVar} to a file holding it)`);
    return null;
  };

  /** deploy/secret.example.yaml holds `REPLACE_WITH_…` placeholders; say so instead of failing with a 401 later. */
  const placeholderCheck = (name: string, value: string): string | null => {
    if (!value.startsWith("REPLACE_WITH_")) return value;
    errors.push(`${name}: still holds the placeholder from deploy/secret.example.yaml; put the real value in the Secret`);
    return null;
  };

  // --- OPNsense connection
  const url = required("OPNSENSE_URL", urlCheck, "");
  const apiKey = secret("OPNSENSE_API_KEY", true) ?? "";
  const apiSecret = secret("OPNSENSE_API_SECRET", true) ?? "";
  const caFile = raw("OPNSENSE_CA_FILE")?.trim() ?? null;
  if (caFile !== null) {
    const pem = readable("OPNSENSE_CA_FILE", caFile);
    if (pem !== null && !pem.includes("-----BEGIN CERTIFICATE-----")) {
      errors.push(`OPNSENSE_CA_FILE: "${caFile}" holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    }
  }
  const tlsServerName = optional("OPNSENSE_TLS_SERVER_NAME", hostnameCheck);
  const tlsInsecure = documented("OPNSENSE_TLS_INSECURE", booleanCheck);
  const timeoutMs = documented("OPNSENSE_TIMEOUT", durationCheck(100, 600_000));

  // --- Kubernetes selection
  const nodeSelector = documented("NODE_SELECTOR", labelSelectorCheck);
  const serviceSelector = documented("SERVICE_SELECTOR", labelSelectorCheck);

  // --- BGP neighbors
  const remoteAsn = optional("BGP_REMOTE_ASN", asnCheck);
  const addressFamily = documented("BGP_ADDRESS_FAMILY", addressFamilyCheck);
  const updateSource = optional("BGP_UPDATE_SOURCE", interfaceCheck);
  const keepalive = optional("BGP_KEEPALIVE", integerCheck(1, 1000, "a keepalive in seconds"));
  const holddown = optional("BGP_HOLDDOWN", integerCheck(3, 3000, "a hold-down time in seconds"));
  // OPNsense renders `timers <keepalive> <holddown>` only when both are set: one alone is silently dropped.
  if (raw("BGP_KEEPALIVE") !== undefined && raw("BGP_HOLDDOWN") === undefined) {
    errors.push("BGP_HOLDDOWN: required when BGP_KEEPALIVE is set (OPNsense applies the timers only when both are set)");
  }
  if (raw("BGP_HOLDDOWN") !== undefined && raw("BGP_KEEPALIVE") === undefined) {
    errors.push("BGP_KEEPALIVE: required when BGP_HOLDDOWN is set (OPNsense applies the timers only when both are set)");
  }
  if (keepalive !== null && holddown !== null && holddown < 3 * keepalive) {
    warnings.push(`BGP_HOLDDOWN (${holddown}s) is less than three times BGP_KEEPALIVE (${keepalive}s): sessions may flap`);
  }
  const connectTimer = optional("BGP_CONNECT_TIMER", integerCheck(1, 65000, "a connect timer in seconds"));
  const bfd = documented("BGP_BFD", booleanCheck);
  const multihop = documented("BGP_MULTIHOP", booleanCheck);
  const passwordRaw = secret("BGP_PASSWORD", false);
  const password = passwordRaw === null ? null : parse(raw("BGP_PASSWORD") !== undefined ? "BGP_PASSWORD" : "BGP_PASSWORD_FILE", passwordRaw, passwordCheck, null);
  const peerGroup = optional("BGP_PEER_GROUP", peerGroupCheck);
  const acceptPrefixesRaw = optional("BGP_ACCEPT_PREFIXES", acceptPrefixesCheck);
  const peerNetworks = optional("BGP_PEER_NETWORKS", peerNetworksCheck);
  const extraAsns = optional("BGP_ALLOWED_ASNS", asnListCheck, []);

  // --- Firewall
  const firewallInterface = documented("FIREWALL_INTERFACE", interfaceCheck);
  const lbAddresses = optional("LB_ADDRESSES", lbAddressesCheck, []);
  const clientNetworks = optional("LB_CLIENT_NETWORKS", clientNetworksCheck, []);
  const accessScope = documented("LB_ACCESS_SCOPE", scopeCheck);
  const serviceNamespaces = optional("SERVICE_NAMESPACES", namespacesCheck);
  const ciliumPools = documented("CILIUM_POOLS", ciliumPoolsCheck);

  // --- Behaviour
  const ownerId = documented("OWNER_ID", ownerIdCheck);
  const policy = documented("POLICY", policyCheck);
  const dryRun = documented("DRY_RUN", booleanCheck);
  const adoptExisting = documented("ADOPT_EXISTING", booleanCheck);
  const maxDeleteFraction = documented("MAX_DELETE_FRACTION", fractionCheck);
  const minApplyIntervalMs = documented("MIN_APPLY_INTERVAL", durationCheck(0, 3_600_000));
  const removalGraceMs = documented("REMOVAL_GRACE", durationCheck(0, 86_400_000));
  const syncIntervalMs = documented("SYNC_INTERVAL", durationCheck(1000, 86_400_000));
  const sessionDownWarnMs = documented("SESSION_DOWN_WARN", durationCheck(1000, 86_400_000));
  const debounceMs = documented("DEBOUNCE", durationCheck(0, 600_000));
  const inCluster = raw("KUBERNETES_SERVICE_HOST") !== undefined;
  const leaderElection = optional("LEADER_ELECTION", booleanCheck, inCluster);
  const httpPort = documented("HTTP_PORT", integerCheck(1, 65535, "a TCP port"));
  const logLevel = documented("LOG_LEVEL", logLevelCheck);

  if (errors.length > 0) return { ok: false, errors: inDocumentedOrder(errors) };

  if (tlsInsecure) {
    warnings.push(
      "OPNSENSE_TLS_INSECURE=true: the router's certificate is not verified, so anyone on the path can read the API key and secret; use OPNSENSE_CA_FILE instead",
    );
    if (caFile !== null) warnings.push("OPNSENSE_CA_FILE is ignored because OPNSENSE_TLS_INSECURE=true");
  }
  if (url.startsWith("http://")) {
    warnings.push("OPNSENSE_URL uses plain http: the API key and secret cross the network unencrypted");
  }
  if (clientNetworks.length === 0 && raw("LB_ACCESS_SCOPE") !== undefined) {
    warnings.push("LB_ACCESS_SCOPE is set but LB_CLIENT_NETWORKS is empty: no LB alias or access rules are created");
  }
  // The default of BGP_ACCEPT_PREFIXES is the LB pool: what Cilium is meant to announce.
  const acceptPrefixes = acceptPrefixesRaw === "none" ? [] : (acceptPrefixesRaw ?? lbPrefixes(lbAddresses));
  const acceptPrefixesFrom = acceptPrefixesRaw !== null ? "BGP_ACCEPT_PREFIXES" : lbAddresses.length > 0 ? "LB_ADDRESSES" : "none";
  for (const p of acceptPrefixes) {
    if (p.endsWith("/0")) warnings.push(`BGP_ACCEPT_PREFIXES contains ${p}: the nodes may announce a default route and any prefix`);
  }
  for (const a of lbAddresses) {
    if (a === "0.0.0.0/0" || a === "::/0") warnings.push(`LB_ADDRESSES contains ${a}: every address counts as a LoadBalancer address (alias, accepted routes, rule destinations)`);
  }
  const allowedAsns = [...new Set([...(remoteAsn === null ? [] : [remoteAsn]), ...extraAsns])].sort((a, b) => a - b);
  if (clientNetworks.length > 0 && accessScope === "ports" && lbAddresses.length > 0) {
    warnings.push(
      "LB_ACCESS_SCOPE=ports: LB_ADDRESSES fill the LB alias and bound which ingress IPs get rules, but get no rules themselves; access rules are made per service address and port",
    );
  }
  warnings.push(...clientNetworkWarnings(clientNetworks));
  if (clientNetworks.length > 0 && lbAddresses.length === 0 && acceptPrefixes.length === 0 && ciliumPools === "off") {
    warnings.push(
      "LB_CLIENT_NETWORKS is set but LB_ADDRESSES is empty (and BGP_ACCEPT_PREFIXES gives no prefixes): ingress IPs of the selected Services are not checked against an LB pool, so any of them becomes an alias entry and rule destination; set LB_ADDRESSES",
    );
  }
  if (password !== null) {
    warnings.push(
      "BGP_PASSWORD is set: FreeBSD installs the TCP-MD5 key only for neighbors with a local IP in OPNsense; check that the sessions come up",
    );
  }
  if (dryRun) warnings.push("DRY_RUN=true: plans are computed and logged, nothing is written to OPNsense");

  const config: Config = {
    opnsense: { url, apiKey, apiSecret, caFile, tlsServerName, tlsInsecure, timeoutMs },
    nodeSelector,
    bgp: {
      remoteAsn,
      addressFamily,
      updateSource,
      keepalive,
      holddown,
      connectTimer,
      bfd,
      multihop,
      password,
      peerGroup,
      acceptPrefixes: sortNetworks(acceptPrefixes),
      acceptPrefixesFrom,
      peerNetworks,
      allowedAsns,
    },
    firewallInterface,
    serviceSelector,
    lb: { addresses: lbAddresses, clientNetworks, accessScope, serviceNamespaces },
    safety: { maxDeleteFraction, minApplyIntervalMs, removalGraceMs },
    ciliumPools,
    ownerId,
    policy,
    dryRun,
    adoptExisting,
    syncIntervalMs,
    sessionDownWarnMs,
    debounceMs,
    leaderElection,
    httpPort,
    logLevel,
  };
  return { ok: true, config: deepFreeze(config), warnings };
}
