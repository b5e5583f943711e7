import { describe, expect, test } from "vitest";
import { PreflightError, interfaceProblems, routerStateProblems } from "../../../src/opnsense/index.ts";
import { api, client, rejectionOf, useNock } from "./helpers.ts";
import { bgpGet, categorySearch, generalGet, neighborTemplate, ruleTemplate } from "./fixtures/replies.ts";

useNock();

type Reply = [number, unknown];
const FORBIDDEN: Reply = [403, { status: 403, message: "Forbidden" }];
const NOT_FOUND: Reply = [404, { errorMessage: "Endpoint not found" }];

const DEFAULTS: Record<string, Reply> = {
  "/api/quagga/general/get": [200, generalGet()],
  "/api/quagga/bgp/get": [200, bgpGet({ maximumpaths: true })],
  "/api/quagga/bgp/getNeighbor": [200, neighborTemplate(1.52)],
  "/api/quagga/bgp/searchPeergroup": [200, { total: 0, rowCount: 0, current: 1, rows: [] }],
  "/api/firewall/filter/getRule": [200, ruleTemplate("26.1")],
  "/api/firewall/alias/getAliasUUID/opnsense_bgp_agent_probe": [200, []],
  "/api/firewall/category/searchItem": [200, categorySearch([])],
  "/api/firewall/alias_util/aliases": [200, ["bogons", "sshlockout"]],
};

/** Every preflight endpoint answers its default unless overridden; quagga/* share one override. */
function mockRouter(over: Record<string, Reply> = {}, quagga?: Reply): void {
  for (const [path, reply] of Object.entries({ ...DEFAULTS, ...over })) {
    const r = quagga && path.startsWith("/api/quagga/") ? quagga : reply;
    api().get(path).optionally().reply(r[0], r[1] as object);
  }
}

async function problemsOf(p: Promise<unknown>): Promise<readonly string[]> {
  const e = await rejectionOf(p);
  expect(e).toBeInstanceOf(PreflightError);
  return (e as PreflightError).problems;
}

describe("preflight", () => {
  test("a healthy 26.1 router: capabilities, no problems", async () => {
    mockRouter();
    const r = await client().preflight();
    expect(r.capabilities).toMatchObject({ versionRange: "26.1.0-26.1.1", ruleStatetype: true, ruleDirectionAny: true, frrRendersDescription: true, peerGroups: true });
    expect(r.warnings).toEqual([]);
  });

  test("24.x reports no state type (the agent warns only when sloppy rules are configured); TLS insecure warns", async () => {
    mockRouter({ "/api/firewall/filter/getRule": [200, ruleTemplate("24.1")], "/api/quagga/bgp/getNeighbor": [200, neighborTemplate(1.38)] });
    const r = await client({ tlsInsecure: true }).preflight();
    expect(r.capabilities.ruleStatetype).toBe(false);
    expect(r.warnings.join("\n")).toMatch(/OPNSENSE_TLS_INSECURE/);
    expect(r.warnings.join("\n")).toMatch(/1\.44/);
  });

  test("401: one clear problem, nothing else asked", async () => {
    api().get("/api/quagga/general/get").reply(401, { status: 401, message: "Authentication Failed" });
    const problems = await problemsOf(client().preflight());
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/rejected the API key and secret \(HTTP 401/);
  });

  test("unreachable: names the URL and the network error", async () => {
    const problems = await problemsOf(client({ url: "http://127.0.0.1:1", retries: 0 }).preflight());
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/unreachable at http:\/\/127\.0\.0\.1:1/);
    expect(problems[0]).toContain("ECONNREFUSED");
  });

  test("403 per missing privilege, all collected; alias_util only warns", async () => {
    mockRouter(
      {
        "/api/firewall/filter/getRule": FORBIDDEN,
        "/api/firewall/alias/getAliasUUID/opnsense_bgp_agent_probe": FORBIDDEN,
        "/api/firewall/category/searchItem": FORBIDDEN,
        "/api/firewall/alias_util/aliases": FORBIDDEN,
      },
      FORBIDDEN,
    );
    const e = (await rejectionOf(client().preflight())) as PreflightError;
    expect(e).toBeInstanceOf(PreflightError);
    expect(e.problems).toHaveLength(4);
    expect(e.problems[0]).toMatch(/"Routing" \(page-routing\)/);
    expect(e.problems[1]).toMatch(/"Firewall: Rules \[new\].*Firewall: Automation: Filter.*" \(page-filter-api\)/);
    expect(e.problems[2]).toMatch(/"Firewall: Alias: Edit" \(page-firewall-alias-edit\)/);
    expect(e.problems[3]).toMatch(/"Firewall: Categories" \(page-firewall-categories\)/);
    for (const p of e.problems) expect(p).toMatch(/^The API user lacks .*\.$/);
    expect(e.warnings.join("\n")).toMatch(/"Diagnostics: PF Table IP addresses" \(page-diagnostics-tables\)/);
  });

  test("404 on /api/quagga → os-frr not installed", async () => {
    mockRouter({}, NOT_FOUND);
    const problems = await problemsOf(client().preflight());
    expect(problems).toEqual(["The os-frr plugin is not installed (404 on /api/quagga/general/get): install os-frr under System ▸ Firmware ▸ Plugins."]);
  });

  test("FRR disabled, manual config, BGP disabled and no ASN: all reported together", async () => {
    mockRouter({
      "/api/quagga/general/get": [200, generalGet({ enabled: "0", manualConfig: "1" })],
      "/api/quagga/bgp/get": [200, bgpGet({ enabled: "0", asnumber: "" })],
    });
    const problems = await problemsOf(client().preflight());
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/FRR is disabled/);
    expect(problems[1]).toMatch(/manual configuration mode/);
    expect(problems[2]).toMatch(/BGP is disabled/);
    expect(problems[3]).toMatch(/AS number is not set or invalid/);
  });

  test("an out-of-range ASN is a problem; general/get without manual_config (os-frr < 1.54) is fine", async () => {
    mockRouter({
      "/api/quagga/general/get": [200, generalGet({ manualConfig: null })],
      "/api/quagga/bgp/get": [200, bgpGet({ asnumber: "4294967296" })],
    });
    const problems = await problemsOf(client().preflight());
    expect(problems).toEqual([expect.stringMatching(/bgp\.asnumber=4294967296/)]);
  });

  test("filter API missing (pre-24.1) and a 403 on quagga are collected together", async () => {
    mockRouter({ "/api/firewall/filter/getRule": NOT_FOUND }, FORBIDDEN);
    const problems = await problemsOf(client().preflight());
    expect(problems).toHaveLength(2);
    expect(problems[1]).toMatch(/OPNsense 24\.1 or later/);
  });
});

describe("interfaces named by settings", () => {
  const fw = (value: string) => ({ setting: "FIREWALL_INTERFACE", value, offeredBy: "rule" as const });

  test("the offered interfaces are the templates' option keys", async () => {
    mockRouter();
    const r = await client().preflight({ interfaces: [fw("lan")] });
    expect(r.interfaces).toEqual({ rule: ["lan", "opt1", "wan"], updateSource: ["lan", "opt1", "wan"] });
  });

  test("every wrong interface is a problem naming its setting and the offered ones, all at once", async () => {
    mockRouter();
    const problems = await problemsOf(
      client().preflight({
        interfaces: [
          fw("lan2"),
          { setting: "BGP_UPDATE_SOURCE", value: "vlan20", offeredBy: "updateSource" },
          { setting: "LB_CLIENT_NETWORKS entry 1", value: "lan", offeredBy: "rule" },
          { setting: "LB_CLIENT_NETWORKS entry 2", value: "opt9", offeredBy: "rule" },
        ],
      }),
    );
    expect(problems).toEqual([
      'FIREWALL_INTERFACE: "lan2" is not an interface of this OPNsense (offered: lan, opt1, wan)',
      'BGP_UPDATE_SOURCE: "vlan20" is not an interface of this OPNsense (offered: lan, opt1, wan)',
      'LB_CLIENT_NETWORKS entry 2: "opt9" is not an interface of this OPNsense (offered: lan, opt1, wan)',
    ]);
  });

  test("an option list the template does not have cannot be checked and passes", () => {
    expect(interfaceProblems([{ setting: "BGP_UPDATE_SOURCE", value: "lan", offeredBy: "updateSource" }], { rule: ["lan"], updateSource: [] })).toEqual([]);
    expect(interfaceProblems([fw("lan,opt2")], { rule: ["lan", "opt1"], updateSource: [] })).toEqual(['FIREWALL_INTERFACE: "opt2" is not an interface of this OPNsense (offered: lan, opt1)']);
  });
});

describe("FRR/BGP state (checked at preflight and on every pass)", () => {
  test("each switched-off part is its own sentence, the same preflight reports", async () => {
    expect(routerStateProblems({ enabled: true, manualConfig: false }, { enabled: true, asNumber: 64512, routerId: null })).toEqual([]);
    const all = routerStateProblems({ enabled: false, manualConfig: true }, { enabled: false, asNumber: null, routerId: null });
    expect(all).toHaveLength(4);
    expect(all[2]).toBe("BGP is disabled (bgp.enabled=0): enable it under Routing ▸ BGP.");
    mockRouter({ "/api/quagga/bgp/get": [200, bgpGet({ maximumpaths: true, enabled: "0" })] });
    expect(await problemsOf(client().preflight())).toContain(all[2]);
  });
});
