import { describe, expect, test } from "vitest";
import { loadConfig, type Env, type ReadFile } from "../../../src/config/load.ts";
import { ENV_VARS } from "../../../src/config/env-vars.ts";
import { redactedConfigSummary } from "../../../src/config/summary.ts";
import type { Config } from "../../../src/config/types.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const files: Record<string, string> = {
  "/secrets/key": "  the-key\n",
  "/secrets/secret": "the-secret\n",
  "/secrets/empty": "  \n",
  "/secrets/bgp": "md5pass\n",
  "/certs/ca.pem": PEM,
  "/certs/not-pem": "hello",
};
const readFile: ReadFile = (path) => {
  const content = files[path];
  if (content === undefined) {
    const err = new Error(`ENOENT: no such file or directory, open '${path}'`) as Error & { code: string };
    err.code = "ENOENT";
    throw err;
  }
  return content;
};

const BASE: Env = {
  OPNSENSE_URL: "https://opnsense.lan",
  OPNSENSE_API_KEY: "key",
  OPNSENSE_API_SECRET: "secret",
  BGP_REMOTE_ASN: "64555",
};

function ok(env: Env): { config: Config; warnings: readonly string[] } {
  const r = loadConfig(env, readFile);
  if (!r.ok) throw new Error(`expected ok, got errors: ${r.errors.join("; ")}`);
  return r;
}
function errorsOf(env: Env): readonly string[] {
  const r = loadConfig(env, readFile);
  if (r.ok) throw new Error("expected errors, config loaded");
  return r.errors;
}

describe("loadConfig defaults", () => {
  test("minimal environment gives the documented defaults", () => {
    const { config, warnings } = ok(BASE);
    expect(warnings).toEqual([]);
    expect(config).toEqual({
      opnsense: {
        url: "https://opnsense.lan",
        apiKey: "key",
        apiSecret: "secret",
        caFile: null,
        tlsServerName: null,
        tlsInsecure: false,
        timeoutMs: 30_000,
      },
      nodeSelector: "homelab/role=worker",
      bgp: {
        remoteAsn: 64555,
        addressFamily: "ipv4",
        updateSource: null,
        keepalive: null,
        holddown: null,
        connectTimer: null,
        bfd: false,
        multihop: false,
        password: null,
        peerGroup: null,
        acceptPrefixes: [],
        acceptPrefixesFrom: "none",
        peerNetworks: null,
        allowedAsns: [64555],
      },
      firewallInterface: "lan",
      serviceSelector: "homelab/public-service=true",
      lb: { addresses: [], clientNetworks: [], accessScope: "addresses", serviceNamespaces: null },
      safety: { maxDeleteFraction: 0.5, minApplyIntervalMs: 10_000, removalGraceMs: 30_000 },
      ownerId: "default",
      policy: "sync",
      dryRun: false,
      adoptExisting: false,
      syncIntervalMs: 300_000,
      sessionDownWarnMs: 300_000,
      debounceMs: 2000,
      leaderElection: false,
      httpPort: 8080,
      logLevel: "info",
      ciliumPools: "auto",
    } satisfies Config);
  });

  test("the config object is frozen", () => {
    const { config } = ok(BASE);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.bgp)).toBe(true);
    expect(Object.isFrozen(config.lb.addresses)).toBe(true);
  });

  test("empty values count as unset", () => {
    expect(ok({ ...BASE, NODE_SELECTOR: "", POLICY: "  " }).config.nodeSelector).toBe("homelab/role=worker");
  });

  test("LEADER_ELECTION defaults to true in a cluster", () => {
    expect(ok({ ...BASE, KUBERNETES_SERVICE_HOST: "10.96.0.1" }).config.leaderElection).toBe(true);
    expect(ok({ ...BASE, KUBERNETES_SERVICE_HOST: "10.96.0.1", LEADER_ELECTION: "false" }).config.leaderElection).toBe(false);
    expect(ok({ ...BASE, LEADER_ELECTION: "yes" }).config.leaderElection).toBe(true);
  });

  test("every documented literal default parses to the built-in default", () => {
    const baseline = ok(BASE).config;
    for (const v of ENV_VARS) {
      // Defaults described in words (derived from other settings) have no literal to parse.
      if (v.required || v.default === null || v.name === "LEADER_ELECTION" || v.name === "BGP_ACCEPT_PREFIXES" || v.name === "BGP_REMOTE_ASN") continue;
      expect(ok({ ...BASE, [v.name]: v.default }).config, v.name).toEqual(baseline);
    }
  });
});

describe("required variables", () => {
  test("all missing are reported at once", () => {
    const errors = errorsOf({});
    expect(errors).toEqual([
      "OPNSENSE_URL: required, not set",
      "OPNSENSE_API_KEY: required, not set (or set OPNSENSE_API_KEY_FILE to a file holding it)",
      "OPNSENSE_API_SECRET: required, not set (or set OPNSENSE_API_SECRET_FILE to a file holding it)",
    ]);
  });

  test("BGP_REMOTE_ASN may be unset (each pass then takes it from Cilium); the annotation's allowed ASNs stay as given", () => {
    const { BGP_REMOTE_ASN: _unset, ...rest } = BASE;
    const { config } = ok({ ...rest, BGP_ALLOWED_ASNS: "64600" });
    expect(config.bgp.remoteAsn).toBeNull();
    expect(config.bgp.allowedAsns).toEqual([64600]);
  });

  test("CILIUM_POOLS: auto (default) or off", () => {
    expect(ok(BASE).config.ciliumPools).toBe("auto");
    expect(ok({ ...BASE, CILIUM_POOLS: "off" }).config.ciliumPools).toBe("off");
    expect(errorsOf({ ...BASE, CILIUM_POOLS: "on" })).toEqual(['CILIUM_POOLS: "on" is not one of auto, off']);
  });

  test("many bad values are reported together, each naming its variable, in ENV_VARS order", () => {
    const errors = errorsOf({
      ...BASE,
      BGP_REMOTE_ASN: "abc",
      POLICY: "delete-all",
      HTTP_PORT: "99999",
      DEBOUNCE: "soon",
      OWNER_ID: "Bad_Owner",
    });
    expect(errors).toEqual([
      'BGP_REMOTE_ASN: "abc" is not an AS number (1–4294967295)',
      'OWNER_ID: "Bad_Owner" is not a valid owner id (lower-case letters, digits and "-", starting and ending with a letter or digit)',
      'POLICY: "delete-all" is not one of sync, upsert-only, create-only',
      'DEBOUNCE: "soon" is not a duration (e.g. 500ms, 30s, 5m, 1h, 1m30s)',
      'HTTP_PORT: "99999" is not a TCP port (1–65535)',
    ]);
  });
});

type Case = readonly [name: string, value: string, expected: unknown, pick: (c: Config) => unknown];

const GOOD: readonly Case[] = [
  ["OPNSENSE_URL", "https://10.0.0.1:8443/", "https://10.0.0.1:8443", (c) => c.opnsense.url],
  ["OPNSENSE_URL", "http://127.0.0.1:9000", "http://127.0.0.1:9000", (c) => c.opnsense.url],
  ["OPNSENSE_URL", "https://proxy.lan/opnsense/", "https://proxy.lan/opnsense", (c) => c.opnsense.url],
  ["OPNSENSE_CA_FILE", "/certs/ca.pem", "/certs/ca.pem", (c) => c.opnsense.caFile],
  ["OPNSENSE_TLS_SERVER_NAME", "opnsense.lan", "opnsense.lan", (c) => c.opnsense.tlsServerName],
  ["OPNSENSE_TLS_INSECURE", "TRUE", true, (c) => c.opnsense.tlsInsecure],
  ["OPNSENSE_TIMEOUT", "500ms", 500, (c) => c.opnsense.timeoutMs],
  ["OPNSENSE_TIMEOUT", "1m30s", 90_000, (c) => c.opnsense.timeoutMs],
  ["NODE_SELECTOR", "node-role.kubernetes.io/worker", "node-role.kubernetes.io/worker", (c) => c.nodeSelector],
  ["NODE_SELECTOR", "a=b,c!=d,!e,f in (x, y),g notin (z)", "a=b,c!=d,!e,f in (x, y),g notin (z)", (c) => c.nodeSelector],
  ["BGP_REMOTE_ASN", "4294967295", 4294967295, (c) => c.bgp.remoteAsn],
  ["BGP_REMOTE_ASN", "1", 1, (c) => c.bgp.remoteAsn],
  ["BGP_ADDRESS_FAMILY", "ipv6", "ipv6", (c) => c.bgp.addressFamily],
  ["BGP_ADDRESS_FAMILY", " dual ", "dual", (c) => c.bgp.addressFamily],
  ["BGP_UPDATE_SOURCE", "opt1", "opt1", (c) => c.bgp.updateSource],
  ["BGP_CONNECT_TIMER", "65000", 65000, (c) => c.bgp.connectTimer],
  ["BGP_BFD", "yes", true, (c) => c.bgp.bfd],
  ["BGP_BFD", "0", false, (c) => c.bgp.bfd],
  ["BGP_MULTIHOP", "1", true, (c) => c.bgp.multihop],
  ["BGP_PASSWORD", "s3cr3t!", "s3cr3t!", (c) => c.bgp.password],
  ["BGP_PEER_GROUP", "cilium", "cilium", (c) => c.bgp.peerGroup],
  ["FIREWALL_INTERFACE", "opt2", "opt2", (c) => c.firewallInterface],
  ["SERVICE_SELECTOR", "expose=public", "expose=public", (c) => c.serviceSelector],
  ["LB_ADDRESSES", "10.0.30.0/24, 10.0.31.5 ,2001:DB8::1", ["10.0.30.0/24", "10.0.31.5", "2001:db8::1"], (c) => c.lb.addresses],
  ["LB_ADDRESSES", "10.0.31.5,10.0.31.5", ["10.0.31.5"], (c) => c.lb.addresses],
  ["LB_ACCESS_SCOPE", "ports", "ports", (c) => c.lb.accessScope],
  ["OWNER_ID", "cluster-b", "cluster-b", (c) => c.ownerId],
  ["OWNER_ID", "abcdefghijklmn", "abcdefghijklmn", (c) => c.ownerId],
  ["POLICY", "upsert-only", "upsert-only", (c) => c.policy],
  ["POLICY", "create-only", "create-only", (c) => c.policy],
  ["DRY_RUN", "true", true, (c) => c.dryRun],
  ["ADOPT_EXISTING", "true", true, (c) => c.adoptExisting],
  ["SYNC_INTERVAL", "1h", 3_600_000, (c) => c.syncIntervalMs],
  ["DEBOUNCE", "0", 0, (c) => c.debounceMs],
  ["DEBOUNCE", "1.5s", 1500, (c) => c.debounceMs],
  ["HTTP_PORT", "9090", 9090, (c) => c.httpPort],
  ["LOG_LEVEL", "debug", "debug", (c) => c.logLevel],
];

describe.each(GOOD)("good value %s=%s", (name, value, expected, pick) => {
  test("accepted", () => {
    expect(pick(ok({ ...BASE, [name]: value }).config)).toEqual(expected);
  });
});

const BAD: readonly (readonly [name: string, value: string, error: string])[] = [
  ["OPNSENSE_URL", "opnsense.lan", 'OPNSENSE_URL: "opnsense.lan" is not a URL (expected e.g. https://opnsense.lan)'],
  ["OPNSENSE_URL", "ftp://opnsense.lan", 'OPNSENSE_URL: "ftp://opnsense.lan" must use https:// (or http:// for tests)'],
  ["OPNSENSE_URL", "https://user:pw@opnsense.lan", "OPNSENSE_URL: must not contain credentials; use OPNSENSE_API_KEY and OPNSENSE_API_SECRET"],
  ["OPNSENSE_URL", "https://opnsense.lan/?x=1", 'OPNSENSE_URL: "https://opnsense.lan/?x=1" must not have a query or fragment'],
  ["OPNSENSE_CA_FILE", "/certs/missing.pem", 'OPNSENSE_CA_FILE: cannot read "/certs/missing.pem" (ENOENT)'],
  ["OPNSENSE_CA_FILE", "/certs/not-pem", 'OPNSENSE_CA_FILE: "/certs/not-pem" holds no PEM certificate (-----BEGIN CERTIFICATE-----)'],
  ["OPNSENSE_TLS_SERVER_NAME", "bad name", 'OPNSENSE_TLS_SERVER_NAME: "bad name" is not a DNS name (the name in the router\'s certificate)'],
  ["OPNSENSE_TLS_INSECURE", "maybe", 'OPNSENSE_TLS_INSECURE: "maybe" is not a boolean (true/false, 1/0, yes/no)'],
  ["OPNSENSE_TIMEOUT", "30", 'OPNSENSE_TIMEOUT: "30" is not a duration (e.g. 500ms, 30s, 5m, 1h, 1m30s)'],
  ["OPNSENSE_TIMEOUT", "1h", 'OPNSENSE_TIMEOUT: "1h" is not a duration between 100ms and 10m'],
  ["NODE_SELECTOR", "homelab/role=worker,", 'NODE_SELECTOR: "homelab/role=worker," is not a valid label selector: empty requirement (stray comma)'],
  ["NODE_SELECTOR", "role in (a", 'NODE_SELECTOR: "role in (a" is not a valid label selector: unbalanced parentheses'],
  ["NODE_SELECTOR", "-bad=x", 'NODE_SELECTOR: "-bad=x" is not a valid label selector: label key "-bad" is invalid (name part: ≤ 63 characters, alphanumerics, "-", "_", ".", starting and ending alphanumeric)'],
  ["NODE_SELECTOR", "Bad_Prefix/role=x", 'NODE_SELECTOR: "Bad_Prefix/role=x" is not a valid label selector: label key "Bad_Prefix/role" has an invalid prefix (a lower-case DNS subdomain is expected before "/")'],
  ["NODE_SELECTOR", "role=a b", 'NODE_SELECTOR: "role=a b" is not a valid label selector: cannot parse requirement "role=a b" (expected key, !key, key=value, key!=value, key in (a,b) or key notin (a,b))'],
  ["BGP_REMOTE_ASN", "0", 'BGP_REMOTE_ASN: "0" is not an AS number (1–4294967295)'],
  ["BGP_REMOTE_ASN", "4294967296", 'BGP_REMOTE_ASN: "4294967296" is not an AS number (1–4294967295)'],
  ["BGP_REMOTE_ASN", "-5", 'BGP_REMOTE_ASN: "-5" is not an AS number (1–4294967295)'],
  ["BGP_REMOTE_ASN", "645.55", 'BGP_REMOTE_ASN: "645.55" is not an AS number (1–4294967295)'],
  ["BGP_UPDATE_SOURCE", "igb0.10", 'BGP_UPDATE_SOURCE: "igb0.10" is not an OPNsense interface name (e.g. lan, wan, opt1)'],
  ["BGP_CONNECT_TIMER", "0", 'BGP_CONNECT_TIMER: "0" is not a connect timer in seconds (1–65000)'],
  ["BGP_BFD", "on", 'BGP_BFD: "on" is not a boolean (true/false, 1/0, yes/no)'],
  ["BGP_MULTIHOP", "2", 'BGP_MULTIHOP: "2" is not a boolean (true/false, 1/0, yes/no)'],
  ["BGP_PASSWORD", "has space", "BGP_PASSWORD: the value is not a TCP-MD5 password (1–80 printable ASCII characters, no spaces)"],
  ["BGP_PEER_GROUP", "a,b", 'BGP_PEER_GROUP: "a,b" is not a peer group name (no spaces or commas, ≤ 64 characters)'],
  ["FIREWALL_INTERFACE", "1lan", 'FIREWALL_INTERFACE: "1lan" is not an OPNsense interface name (e.g. lan, wan, opt1)'],
  ["SERVICE_SELECTOR", "a=b=c", 'SERVICE_SELECTOR: "a=b=c" is not a valid label selector: cannot parse requirement "a=b=c" (expected key, !key, key=value, key!=value, key in (a,b) or key notin (a,b))'],
  ["LB_ADDRESSES", "10.0.30.0/33,nope", 'LB_ADDRESSES: entry "10.0.30.0/33" is not an IPv4/IPv6 address or CIDR'],
  ["LB_ACCESS_SCOPE", "all", 'LB_ACCESS_SCOPE: "all" is not one of addresses, ports'],
  ["OWNER_ID", "-x", 'OWNER_ID: "-x" is not a valid owner id (lower-case letters, digits and "-", starting and ending with a letter or digit)'],
  ["POLICY", "SYNC", 'POLICY: "SYNC" is not one of sync, upsert-only, create-only'],
  ["BGP_ADDRESS_FAMILY", "inet6", 'BGP_ADDRESS_FAMILY: "inet6" is not one of ipv4, ipv6, dual'],
  ["DRY_RUN", "nah", 'DRY_RUN: "nah" is not a boolean (true/false, 1/0, yes/no)'],
  ["ADOPT_EXISTING", "nah", 'ADOPT_EXISTING: "nah" is not a boolean (true/false, 1/0, yes/no)'],
  ["SYNC_INTERVAL", "500ms", 'SYNC_INTERVAL: "500ms" is not a duration between 1s and 24h'],
  ["DEBOUNCE", "5", 'DEBOUNCE: "5" is not a duration (e.g. 500ms, 30s, 5m, 1h, 1m30s)'],
  ["LEADER_ELECTION", "sometimes", 'LEADER_ELECTION: "sometimes" is not a boolean (true/false, 1/0, yes/no)'],
  ["HTTP_PORT", "0", 'HTTP_PORT: "0" is not a TCP port (1–65535)'],
  ["HTTP_PORT", "http", 'HTTP_PORT: "http" is not a TCP port (1–65535)'],
  ["LOG_LEVEL", "verbose", 'LOG_LEVEL: "verbose" is not one of fatal, error, warn, info, debug, trace, silent'],
];

describe.each(BAD)("bad value %s=%s", (name, value, error) => {
  test("rejected with a message naming the variable", () => {
    const errors = errorsOf({ ...BASE, [name]: value });
    expect(errors[0]).toBe(error);
    expect(errors.every((e) => e.startsWith(name))).toBe(true);
  });
});

test("LB_ADDRESSES reports every bad entry", () => {
  expect(errorsOf({ ...BASE, LB_ADDRESSES: "10.0.30.0/33,nope,10.1.1.1" })).toEqual([
    'LB_ADDRESSES: entry "10.0.30.0/33" is not an IPv4/IPv6 address or CIDR',
    'LB_ADDRESSES: entry "nope" is not an IPv4/IPv6 address or CIDR',
  ]);
});

describe("BGP timers", () => {
  test("keepalive and holddown together", () => {
    const { config } = ok({ ...BASE, BGP_KEEPALIVE: "10", BGP_HOLDDOWN: "30" });
    expect([config.bgp.keepalive, config.bgp.holddown]).toEqual([10, 30]);
  });
  test("keepalive alone is an error naming the missing variable", () => {
    expect(errorsOf({ ...BASE, BGP_KEEPALIVE: "10" })).toEqual([
      "BGP_HOLDDOWN: required when BGP_KEEPALIVE is set (OPNsense applies the timers only when both are set)",
    ]);
  });
  test("holddown alone is an error naming the missing variable", () => {
    expect(errorsOf({ ...BASE, BGP_HOLDDOWN: "30" })).toEqual([
      "BGP_KEEPALIVE: required when BGP_HOLDDOWN is set (OPNsense applies the timers only when both are set)",
    ]);
  });
  test("ranges", () => {
    expect(errorsOf({ ...BASE, BGP_KEEPALIVE: "1001", BGP_HOLDDOWN: "2" })).toEqual([
      'BGP_KEEPALIVE: "1001" is not a keepalive in seconds (1–1000)',
      'BGP_HOLDDOWN: "2" is not a hold-down time in seconds (3–3000)',
    ]);
  });
  test("short holddown warns", () => {
    expect(ok({ ...BASE, BGP_KEEPALIVE: "10", BGP_HOLDDOWN: "20" }).warnings).toEqual([
      "BGP_HOLDDOWN (20s) is less than three times BGP_KEEPALIVE (10s): sessions may flap",
    ]);
  });
});

describe("_FILE forms", () => {
  test("key and secret from files, trimmed", () => {
    const { config } = ok({
      ...BASE,
      OPNSENSE_API_KEY: undefined,
      OPNSENSE_API_SECRET: undefined,
      OPNSENSE_API_KEY_FILE: "/secrets/key",
      OPNSENSE_API_SECRET_FILE: "/secrets/secret",
    });
    expect([config.opnsense.apiKey, config.opnsense.apiSecret]).toEqual(["the-key", "the-secret"]);
  });
  test("both forms set is an error", () => {
    expect(errorsOf({ ...BASE, OPNSENSE_API_KEY_FILE: "/secrets/key" })).toEqual([
      "OPNSENSE_API_KEY: both OPNSENSE_API_KEY and OPNSENSE_API_KEY_FILE are set; set only one",
    ]);
  });
  test("unreadable file names the variable and the path", () => {
    expect(errorsOf({ ...BASE, OPNSENSE_API_SECRET: undefined, OPNSENSE_API_SECRET_FILE: "/secrets/nope" })).toEqual([
      'OPNSENSE_API_SECRET_FILE: cannot read "/secrets/nope" (ENOENT)',
    ]);
  });
  test("empty file is an error", () => {
    expect(errorsOf({ ...BASE, OPNSENSE_API_KEY: undefined, OPNSENSE_API_KEY_FILE: "/secrets/empty" })).toEqual([
      'OPNSENSE_API_KEY_FILE: "/secrets/empty" is empty',
    ]);
  });
  test("BGP password from a file", () => {
    expect(ok({ ...BASE, BGP_PASSWORD_FILE: "/secrets/bgp" }).config.bgp.password).toBe("md5pass");
  });
  test("a bad password from a file names the _FILE variable and never the content", () => {
    files["/secrets/bad-bgp"] = "pass word with spaces";
    const errors = errorsOf({ ...BASE, BGP_PASSWORD_FILE: "/secrets/bad-bgp" });
    expect(errors).toEqual(["BGP_PASSWORD_FILE: the value is not a TCP-MD5 password (1–80 printable ASCII characters, no spaces)"]);
    expect(errors.join()).not.toContain("spaces\"");
  });
  test("secret contents never appear in errors", () => {
    const errors = errorsOf({ ...BASE, BGP_PASSWORD: "x".repeat(81), BGP_REMOTE_ASN: "x" });
    expect(errors.join("\n")).not.toContain("x".repeat(81));
  });
});

describe("LB_CLIENT_NETWORKS", () => {
  test("parsed into entries", () => {
    const { config } = ok({
      ...BASE,
      LB_CLIENT_NETWORKS: "interface=lan source=lan asymmetric=true; interface=opt1 source=192.168.50.0/24",
    });
    expect(config.lb.clientNetworks).toEqual([
      { interface: "lan", source: "lan", asymmetric: true, raw: "interface=lan source=lan asymmetric=true" },
      { interface: "opt1", source: "192.168.50.0/24", asymmetric: false, raw: "interface=opt1 source=192.168.50.0/24" },
    ]);
  });
  test("errors name the entry and are not prefixed twice", () => {
    expect(errorsOf({ ...BASE, LB_CLIENT_NETWORKS: "interface=lan source=lan; interface=opt1 sorce=x" })).toEqual([
      'LB_CLIENT_NETWORKS entry 2 ("interface=opt1 sorce=x"): unknown field "sorce" (fields: interface, source, asymmetric)',
      'LB_CLIENT_NETWORKS entry 2 ("interface=opt1 sorce=x"): missing required field "source" (e.g. source=lan or source=192.168.50.0/24)',
    ]);
  });
});

describe("OWNER_ID", () => {
  test("too long for the alias names", () => {
    expect(errorsOf({ ...BASE, OWNER_ID: "abcdefghijklmno" })).toEqual([
      `OWNER_ID: "abcdefghijklmno" is too long: the alias name "k8s_lb_addresses_abcdefghijklmno" derived from it would exceed OPNsense's 31-character limit; use at most 14 characters`,
    ]);
  });
});

describe("warnings", () => {
  test("insecure TLS warns, and a CA file is then ignored", () => {
    const { warnings } = ok({ ...BASE, OPNSENSE_TLS_INSECURE: "true", OPNSENSE_CA_FILE: "/certs/ca.pem" });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^OPNSENSE_TLS_INSECURE=true: the router's certificate is not verified/);
    expect(warnings[1]).toBe("OPNSENSE_CA_FILE is ignored because OPNSENSE_TLS_INSECURE=true");
  });
  test("plain http warns", () => {
    expect(ok({ ...BASE, OPNSENSE_URL: "http://opnsense.lan" }).warnings).toEqual([
      "OPNSENSE_URL uses plain http: the API key and secret cross the network unencrypted",
    ]);
  });
  test("LB settings without client networks warn", () => {
    expect(ok({ ...BASE, LB_ACCESS_SCOPE: "ports" }).warnings).toEqual([
      "LB_ACCESS_SCOPE is set but LB_CLIENT_NETWORKS is empty: no LB alias or access rules are created",
    ]);
    // LB_ADDRESSES alone is meaningful: it is the default of the accepted route prefixes.
    expect(ok({ ...BASE, LB_ADDRESSES: "10.0.30.0/24" }).warnings).toEqual([]);
  });
  test("a default route among the accepted prefixes or the LB pool is called out", () => {
    expect(ok({ ...BASE, BGP_ACCEPT_PREFIXES: "0.0.0.0/0" }).warnings).toEqual([
      "BGP_ACCEPT_PREFIXES contains 0.0.0.0/0: the nodes may announce a default route and any prefix",
    ]);
    expect(ok({ ...BASE, LB_ADDRESSES: "::/0", BGP_ACCEPT_PREFIXES: "none" }).warnings).toEqual([
      "LB_ADDRESSES contains ::/0: every address counts as a LoadBalancer address (alias, accepted routes, rule destinations)",
    ]);
  });
  test("a wildcard LB client source on any interface but lan warns, loudly when the interface looks like a WAN", () => {
    const pool = { LB_ADDRESSES: "10.96.0.0/24" };
    const warningsFor = (networks: string) => ok({ ...BASE, ...pool, LB_CLIENT_NETWORKS: networks }).warnings;
    expect(warningsFor("interface=lan source=any; interface=opt1 source=192.168.50.0/24; interface=wan source=203.0.113.0/24")).toEqual([]);
    expect(warningsFor("interface=wan source=any")).toEqual([
      'LB_CLIENT_NETWORKS entry 1 ("interface=wan source=any"): source=any on the WAN-like interface "wan" lets every internet address reach the LoadBalancer addresses; use a CIDR of the clients that should reach them',
    ]);
    expect(warningsFor("interface=lan source=lan; interface=WAN_DSL source=0.0.0.0/0; interface=wan2 source=::/0")).toEqual([
      expect.stringMatching(/^LB_CLIENT_NETWORKS entry 2 .*source=0\.0\.0\.0\/0 on the WAN-like interface "WAN_DSL"/),
      expect.stringMatching(/^LB_CLIENT_NETWORKS entry 3 .*source=::\/0 on the WAN-like interface "wan2"/),
    ]);
    expect(warningsFor("interface=opt1 source=any")).toEqual([
      'LB_CLIENT_NETWORKS entry 1 ("interface=opt1 source=any"): source=any admits every address that arrives on "opt1", not only its local network; prefer source=opt1 or a CIDR',
    ]);
  });
  test("LB client networks without an LB pool warn that ingress IPs are unchecked", () => {
    const unchecked = /^LB_CLIENT_NETWORKS is set but LB_ADDRESSES is empty/;
    const off = { ...BASE, CILIUM_POOLS: "off" };
    expect(ok({ ...off, LB_CLIENT_NETWORKS: "interface=lan source=lan" }).warnings).toEqual([expect.stringMatching(unchecked)]);
    expect(ok({ ...off, LB_CLIENT_NETWORKS: "interface=lan source=lan", BGP_ACCEPT_PREFIXES: "none" }).warnings).toEqual([expect.stringMatching(unchecked)]);
    // With CILIUM_POOLS=auto the pools may bound them; whether they do is known per pass (a problem then).
    expect(ok({ ...BASE, LB_CLIENT_NETWORKS: "interface=lan source=lan" }).warnings).toEqual([]);
    // Explicit accepted prefixes bound the ingress IPs too.
    expect(ok({ ...BASE, LB_CLIENT_NETWORKS: "interface=lan source=lan", BGP_ACCEPT_PREFIXES: "10.96.0.0/24" }).warnings).toEqual([]);
    expect(ok({ ...BASE, LB_CLIENT_NETWORKS: "interface=lan source=lan", LB_ADDRESSES: "10.96.0.0/24" }).warnings).toEqual([]);
  });
  test("dry run is announced", () => {
    expect(ok({ ...BASE, DRY_RUN: "1" }).warnings).toEqual([
      "DRY_RUN=true: plans are computed and logged, nothing is written to OPNsense",
    ]);
  });
});

describe("trust and safety settings", () => {
  test("accepted prefixes default to the LB pool, network-aligned, and `none` turns filtering off", () => {
    const pool = ok({ ...BASE, LB_ADDRESSES: "10.96.0.0/24, 10.96.1.7, 2001:db8::/64" }).config.bgp;
    expect(pool.acceptPrefixes).toEqual(["10.96.0.0/24", "10.96.1.7/32", "2001:db8::/64"]);
    expect(pool.acceptPrefixesFrom).toBe("LB_ADDRESSES");
    const explicit = ok({ ...BASE, LB_ADDRESSES: "10.96.0.0/24", BGP_ACCEPT_PREFIXES: "10.97.0.0/16" }).config.bgp;
    expect(explicit.acceptPrefixes).toEqual(["10.97.0.0/16"]);
    expect(explicit.acceptPrefixesFrom).toBe("BGP_ACCEPT_PREFIXES");
    const off = ok({ ...BASE, LB_ADDRESSES: "10.96.0.0/24", BGP_ACCEPT_PREFIXES: "None" }).config.bgp;
    // Explicitly off: from BGP_ACCEPT_PREFIXES, so Cilium's pools do not turn filtering back on.
    expect(off.acceptPrefixes).toEqual([]);
    expect(off.acceptPrefixesFrom).toBe("BGP_ACCEPT_PREFIXES");
  });
  test("prefixes with host bits and garbage are refused with the entry named", () => {
    expect(errorsOf({ ...BASE, BGP_ACCEPT_PREFIXES: "10.96.0.5/24, 10.96.0.0/33 le 32" })).toEqual([
      'BGP_ACCEPT_PREFIXES: entry "10.96.0.5/24" has host bits set; did you mean 10.96.0.0/24?',
      'BGP_ACCEPT_PREFIXES: entry "10.96.0.0/33" is not an IPv4/IPv6 address or CIDR',
      'BGP_ACCEPT_PREFIXES: entry "le" is not an IPv4/IPv6 address or CIDR',
      'BGP_ACCEPT_PREFIXES: entry "32" is not an IPv4/IPv6 address or CIDR',
    ]);
    expect(errorsOf({ ...BASE, BGP_PEER_NETWORKS: "10.0.20.1/24" })).toEqual([
      'BGP_PEER_NETWORKS: entry "10.0.20.1/24" has host bits set; did you mean 10.0.20.0/24?',
    ]);
  });
  test("allowed AS numbers always include BGP_REMOTE_ASN", () => {
    expect(ok(BASE).config.bgp.allowedAsns).toEqual([64555]);
    expect(ok({ ...BASE, BGP_ALLOWED_ASNS: "65010, 65001,65010" }).config.bgp.allowedAsns).toEqual([64555, 65001, 65010]);
    expect(errorsOf({ ...BASE, BGP_ALLOWED_ASNS: "65001,0,x" })).toEqual([
      'BGP_ALLOWED_ASNS: entry "0" is not an AS number (1–4294967295)',
      'BGP_ALLOWED_ASNS: entry "x" is not an AS number (1–4294967295)',
    ]);
  });
  test("safety limits", () => {
    expect(ok({ ...BASE, MAX_DELETE_FRACTION: "1", MIN_APPLY_INTERVAL: "0s", REMOVAL_GRACE: "2m" }).config.safety).toEqual({
      maxDeleteFraction: 1,
      minApplyIntervalMs: 0,
      removalGraceMs: 120_000,
    });
    expect(errorsOf({ ...BASE, MAX_DELETE_FRACTION: "1.5" })).toEqual(['MAX_DELETE_FRACTION: "1.5" is not a fraction between 0 and 1 (e.g. 0.5)']);
    expect(errorsOf({ ...BASE, SERVICE_NAMESPACES: "web, Bad_NS" })).toEqual(['SERVICE_NAMESPACES: entry "Bad_NS" is not a namespace name']);
    expect(ok({ ...BASE, SERVICE_NAMESPACES: "web,apps web" }).config.lb.serviceNamespaces).toEqual(["apps", "web"]);
  });
});

describe("redactedConfigSummary", () => {
  test("names every variable except the _FILE forms, and holds no secret", () => {
    const { config } = ok({
      ...BASE,
      OPNSENSE_API_KEY: "KEY-1234567890",
      OPNSENSE_API_SECRET: "SECRET-0987654321",
      BGP_PASSWORD: "MD5-PASSWORD-XYZ",
      LB_CLIENT_NETWORKS: "interface=lan source=lan asymmetric=true",
    });
    const summary = redactedConfigSummary(config);
    const text = JSON.stringify(summary);
    for (const secret of ["KEY-1234567890", "SECRET-0987654321", "MD5-PASSWORD-XYZ"]) expect(text).not.toContain(secret);
    expect(summary["BGP_PASSWORD"]).toBe("<set>");
    expect(summary["SYNC_INTERVAL"]).toBe("5m");
    expect(summary["LB_CLIENT_NETWORKS"]).toBe("interface=lan source=lan asymmetric=true");
    const names = ENV_VARS.map((v) => v.name);
    const expectedKeys = names.filter((n) => !(n.endsWith("_FILE") && names.includes(n.slice(0, -"_FILE".length))));
    expect(Object.keys(summary).sort()).toEqual(expectedKeys.sort());
  });
});

describe("ENV_VARS", () => {
  test("names are unique and every one is read by loadConfig", () => {
    const names = ENV_VARS.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    const read = new Set<string>();
    const spy = new Proxy({ ...BASE } as Record<string, string | undefined>, {
      get(target, prop) {
        if (typeof prop === "string") read.add(prop);
        return target[prop as string];
      },
    });
    loadConfig(spy, readFile);
    for (const n of names) expect(read.has(n), n).toBe(true);
    for (const n of read) expect(names.includes(n) || n === "KUBERNETES_SERVICE_HOST", n).toBe(true);
  });
});

describe("placeholders from deploy/secret.example.yaml", () => {
  test("are refused with a message that points at the Secret, directly and in a _FILE", () => {
    files["/secrets/placeholder"] = "REPLACE_WITH_OPNSENSE_API_SECRET\n";
    const { OPNSENSE_API_SECRET: _s, ...rest } = BASE;
    expect(errorsOf({ ...rest, OPNSENSE_API_SECRET_FILE: "/secrets/placeholder", OPNSENSE_API_KEY: "REPLACE_WITH_OPNSENSE_API_KEY" })).toEqual([
      "OPNSENSE_API_KEY: still holds the placeholder from deploy/secret.example.yaml; put the real value in the Secret",
      "OPNSENSE_API_SECRET_FILE: still holds the placeholder from deploy/secret.example.yaml; put the real value in the Secret",
    ]);
  });
});
