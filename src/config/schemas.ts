/**
 * One zod schema per kind of value. Each turns the raw env string into a typed value; the
 * loader adds the variable name. Custom issues carry a specific message; any other failure
 * is reported as `"<value>" is not <expected>`.
 */
import { z } from "zod";
import { INTERFACE_NAME_RE, parseClientNetworks } from "./client-networks.ts";
import { formatDuration, parseDuration } from "./duration.ts";
import { labelSelectorProblem } from "./label-selector.ts";
import { alignNetwork, parseNetwork, sortNetworks } from "../domain/net.ts";
import { BOOLEAN_SPELLINGS, parseBoolean } from "../domain/boolean.ts";
import { aliasNameProblem, aliasNames, OWNER_ID_MAX_LENGTH, OWNER_ID_PATTERN } from "../domain/names.ts";
import type { BgpAddressFamily, CiliumPools, LbAccessScope, LbClientNetwork, Policy } from "./types.ts";

/** A schema and the phrase that completes `"<value>" is not …` when it rejects a value. */
export type Check<T> = { readonly schema: z.ZodType<T, string>; readonly expected: string };

export const booleanCheck: Check<boolean> = {
  schema: z.string().transform((s, ctx) => {
    const b = parseBoolean(s);
    if (b === null) {
      ctx.addIssue({ code: "custom", message: `"${s.trim()}" is not a boolean (${BOOLEAN_SPELLINGS})` });
      return z.NEVER;
    }
    return b;
  }),
  expected: `a boolean (${BOOLEAN_SPELLINGS})`,
};

export function integerCheck(min: number, max: number, what: string): Check<number> {
  return {
    schema: z.string().trim().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(min).max(max)),
    expected: `${what} (${min}–${max})`,
  };
}

export const asnCheck = integerCheck(1, 4294967295, "an AS number");

export function durationCheck(minMs: number, maxMs: number): Check<number> {
  return {
    schema: z
      .string()
      .transform((s, ctx) => {
        const ms = parseDuration(s);
        if (ms === null) {
          ctx.addIssue({ code: "custom", message: `"${s}" is not a duration (e.g. 500ms, 30s, 5m, 1h, 1m30s)` });
          return z.NEVER;
        }
        return ms;
      })
      .pipe(z.number().min(minMs).max(maxMs)),
    expected: `a duration between ${formatDuration(minMs)} and ${formatDuration(maxMs)}`,
  };
}

export function enumCheck<const T extends readonly [string, ...string[]]>(values: T): Check<T[number]> {
  return {
    schema: z.string().trim().pipe(z.enum(values)),
    expected: `one of ${values.join(", ")}`,
  };
}

export const policyCheck: Check<Policy> = enumCheck(["sync", "upsert-only", "create-only"] as const);
export const scopeCheck: Check<LbAccessScope> = enumCheck(["addresses", "ports"] as const);
export const addressFamilyCheck: Check<BgpAddressFamily> = enumCheck(["ipv4", "ipv6", "dual"] as const);

export const ciliumPoolsCheck: Check<CiliumPools> = enumCheck(["auto", "off"] as const);
export const logLevelCheck = enumCheck(["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const);

export const urlCheck: Check<string> = {
  schema: z.string().transform((s, ctx) => {
    let url: URL;
    try {
      url = new URL(s.trim());
    } catch {
      ctx.addIssue({ code: "custom", message: `"${s}" is not a URL (expected e.g. https://opnsense.lan)` });
      return z.NEVER;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      ctx.addIssue({ code: "custom", message: `"${s}" must use https:// (or http:// for tests)` });
      return z.NEVER;
    }
    if (url.username !== "" || url.password !== "") {
      // Credentials in the URL would end up in logs; they belong in OPNSENSE_API_KEY/SECRET.
      ctx.addIssue({ code: "custom", message: "must not contain credentials; use OPNSENSE_API_KEY and OPNSENSE_API_SECRET" });
      return z.NEVER;
    }
    if (url.search !== "" || url.hash !== "") {
      ctx.addIssue({ code: "custom", message: `"${s}" must not have a query or fragment` });
      return z.NEVER;
    }
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
  }),
  expected: "an http(s) URL",
};

const HOSTNAME_RE = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export const hostnameCheck: Check<string> = {
  schema: z.string().trim().regex(HOSTNAME_RE),
  expected: "a DNS name (the name in the router's certificate)",
};

export const interfaceCheck: Check<string> = {
  schema: z.string().trim().regex(INTERFACE_NAME_RE),
  expected: "an OPNsense interface name (e.g. lan, wan, opt1)",
};

export const peerGroupCheck: Check<string> = {
  schema: z.string().trim().regex(/^[^\s,]{1,64}$/),
  expected: "a peer group name (no spaces or commas, ≤ 64 characters)",
};

/** The value never appears in messages (the loader knows this variable is secret). */
export const passwordCheck: Check<string> = {
  schema: z.string().regex(/^[\x21-\x7e]{1,80}$/),
  expected: "a TCP-MD5 password (1–80 printable ASCII characters, no spaces)",
};

export const labelSelectorCheck: Check<string> = {
  schema: z
    .string()
    .trim()
    .transform((s, ctx) => {
      const problem = labelSelectorProblem(s);
      if (problem !== null) {
        ctx.addIssue({ code: "custom", message: `"${s}" is not a valid label selector: ${problem}` });
        return z.NEVER;
      }
      return s;
    }),
  expected: "a label selector",
};

export const lbAddressesCheck: Check<readonly string[]> = {
  schema: z.string().transform((s, ctx) => {
    const items = s.split(/[\s,]+/).filter((x) => x !== "");
    const good: string[] = [];
    for (const item of items) {
      const net = parseNetwork(item);
      if (net === null) ctx.addIssue({ code: "custom", message: `entry "${item}" is not an IPv4/IPv6 address or CIDR` });
      else good.push(net.text);
    }
    return sortNetworks(good);
  }),
  expected: "a comma-separated list of addresses or CIDRs",
};

/** Messages of this schema already name LB_CLIENT_NETWORKS and the entry. */
export const clientNetworksCheck: Check<readonly LbClientNetwork[]> = {
  schema: z.string().transform((s, ctx) => {
    const parsed = parseClientNetworks(s);
    if (!parsed.ok) {
      for (const message of parsed.errors) ctx.addIssue({ code: "custom", message, params: { named: true } });
      return z.NEVER;
    }
    return parsed.entries;
  }),
  expected: "a list of client networks",
};

export const ownerIdCheck: Check<string> = {
  schema: z
    .string()
    .trim()
    .transform((s, ctx) => {
      if (!OWNER_ID_PATTERN.test(s)) {
        ctx.addIssue({
          code: "custom",
          message: `"${s}" is not a valid owner id (lower-case letters, digits and "-", starting and ending with a letter or digit)`,
        });
        return z.NEVER;
      }
      if (s.length > OWNER_ID_MAX_LENGTH) {
        const longest = aliasNames(s).reduce((a, b) => (b.length > a.length ? b : a));
        ctx.addIssue({
          code: "custom",
          message: `"${s}" is too long: the alias name "${longest}" derived from it would exceed OPNsense's 31-character limit; use at most ${OWNER_ID_MAX_LENGTH} characters`,
        });
        return z.NEVER;
      }
      for (const name of aliasNames(s)) {
        const problem = aliasNameProblem(name);
        if (problem !== null) {
          ctx.addIssue({ code: "custom", message: `"${s}" gives an invalid ${problem}` });
          return z.NEVER;
        }
      }
      return s;
    }),
  expected: "an owner id",
};

function listItems(s: string): string[] {
  return s.split(/[\s,]+/).filter((x) => x !== "");
}

/** CIDRs aligned to their network (`10.96.0.5/24` → `10.96.0.0/24`; an address → /32 or /128), sorted. */
function cidrList(allowHostBits: boolean): z.ZodType<readonly string[], string> {
  return z.string().transform((s, ctx) => {
    const good: string[] = [];
    for (const item of listItems(s)) {
      const net = parseNetwork(item);
      if (net === null) {
        ctx.addIssue({ code: "custom", message: `entry "${item}" is not an IPv4/IPv6 address or CIDR` });
        continue;
      }
      const aligned = alignNetwork(net);
      if (!allowHostBits && net.prefix !== null && aligned.address !== net.address) {
        ctx.addIssue({ code: "custom", message: `entry "${item}" has host bits set; did you mean ${aligned.text}?` });
        continue;
      }
      good.push(aligned.text);
    }
    return sortNetworks(good);
  });
}

/** `none`, or CIDRs. Host bits are refused: a route filter that silently differs from what was typed is a trap. */
export const acceptPrefixesCheck: Check<readonly string[] | "none"> = {
  schema: z.string().transform((s, ctx) => {
    if (s.trim().toLowerCase() === "none") return "none" as const;
    const r = cidrList(false).safeParse(s);
    if (!r.success) {
      for (const issue of r.error.issues) ctx.addIssue({ code: "custom", message: issue.message });
      return z.NEVER;
    }
    return r.data;
  }),
  expected: "a comma-separated list of CIDRs, or none",
};

export const peerNetworksCheck: Check<readonly string[]> = {
  schema: cidrList(false),
  expected: "a comma-separated list of CIDRs",
};

export const asnListCheck: Check<readonly number[]> = {
  schema: z.string().transform((s, ctx) => {
    const out: number[] = [];
    for (const item of listItems(s)) {
      const n = /^\d{1,10}$/.test(item) ? Number(item) : NaN;
      if (!(n >= 1 && n <= 4294967295)) ctx.addIssue({ code: "custom", message: `entry "${item}" is not an AS number (1–4294967295)` });
      else out.push(n);
    }
    return [...new Set(out)].sort((a, b) => a - b);
  }),
  expected: "a comma-separated list of AS numbers",
};

export const fractionCheck: Check<number> = {
  schema: z.string().trim().regex(/^(?:0|1|0?\.\d+|1\.0*)$/).transform(Number).pipe(z.number().min(0).max(1)),
  expected: "a fraction between 0 and 1 (e.g. 0.5)",
};

/** Kubernetes namespace names (RFC 1123 labels). */
export const namespacesCheck: Check<readonly string[]> = {
  schema: z.string().transform((s, ctx) => {
    const out: string[] = [];
    for (const item of listItems(s)) {
      if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(item)) ctx.addIssue({ code: "custom", message: `entry "${item}" is not a namespace name` });
      else out.push(item);
    }
    return [...new Set(out)].sort();
  }),
  expected: "a comma-separated list of namespaces",
};
