import { readFileSync } from "node:fs";
import nock from "nock";
import { describe, expect, test } from "vitest";
import { api, caps, client, useNock } from "./helpers.ts";
import { UUID, aliasGet, aliasItem, bgpGet, categorySearch, filterGet, generalGet, neighborItem, ruleItem } from "./fixtures/replies.ts";
import type { FilterVersion } from "./fixtures/replies.ts";

useNock();

const SUMMARY = JSON.parse(readFileSync(new URL("./fixtures/bgpsummary.json", import.meta.url), "utf8")) as unknown;
const RUNNING = JSON.parse(readFileSync(new URL("./fixtures/generalrunningconfig.json", import.meta.url), "utf8")) as unknown;

function mockPass(v: FilterVersion, o: { running?: [number, unknown]; tables?: Record<string, [number, unknown]>; maximumpaths?: boolean } = {}): void {
  api().get("/api/quagga/general/get").reply(200, generalGet());
  api()
    .get("/api/quagga/bgp/get")
    .reply(
      200,
      bgpGet({
        maximumpaths: o.maximumpaths ?? false,
        neighbors: {
          [UUID.n1]: neighborItem({ address: "10.0.20.11", description: "opnsense-bgp-agent:default node=worker-1", updatesource: "lan", connecttimer: "5" }),
          [UUID.n2]: neighborItem({ address: "FD00::12", remoteas: "", peergroup: UUID.pg, keepalive: "10", bfd: "1", password: "s3cret", enabled: "0" }),
        },
      }),
    );
  api()
    .get("/api/firewall/category/searchItem")
    .reply(200, categorySearch([{ uuid: UUID.cat, name: "opnsense-bgp-agent" }, { uuid: UUID.catOther, name: "user" }]));
  api()
    .get("/api/firewall/alias/get")
    .reply(
      200,
      aliasGet({
        [UUID.aliasNodes]: aliasItem({ name: "k8s_nodes", type: "host", content: ["10.0.20.13", "10.0.20.11", "10.0.20.12"], categories: [UUID.cat], description: "agent nodes" }),
        [UUID.aliasEmpty]: aliasItem({ name: "k8s_lb", type: "network", content: [], categories: [UUID.cat] }),
        [UUID.aliasLb]: aliasItem({ name: "user_hosts", type: "host", content: ["192.168.1.10"] }),
      }),
    );
  api()
    .get("/api/firewall/filter/get")
    .reply(
      200,
      filterGet({
        [UUID.rule1]: ruleItem(v, {
          interfaces: ["wan", "lan"],
          protocol: "TCP",
          source_net: "k8s_nodes",
          destination_net: "(self)",
          destination_port: "179",
          statetype: "keep",
          description: "opnsense-bgp-agent:default bgp",
          categories: [UUID.cat],
        }),
        [UUID.rule2]: ruleItem(v, { interfaces: [], source_net: "lan,k8s_lb", statetype: "sloppy" }),
      }),
    );
  const running = o.running ?? [200, RUNNING];
  api().get("/api/quagga/diagnostics/generalrunningconfig").reply(running[0], running[1] as object);
  api().get("/api/quagga/diagnostics/bgpsummary").reply(200, SUMMARY as object);
  for (const [name, reply] of Object.entries(o.tables ?? {})) api().get(`/api/firewall/alias_util/list/${name}`).reply(reply[0], reply[1] as object);
}

describe("readSnapshot", () => {
  test("25.7: everything normalized into canonical types", async () => {
    mockPass("25.7", {
      tables: { k8s_nodes: [200, { total: 2, rowCount: 2, current: 1, rows: [{ ip: "10.0.20.12" }, { ip: "10.0.20.11", in_block_p: 3 }] }] },
    });
    const s = await client({ capabilities: caps({ ruleDirectionAny: false }) }).readSnapshot({ aliasNames: ["k8s_nodes", "missing_alias"] });
    expect(nock.pendingMocks()).toEqual([]);

    expect(s.frr).toEqual({ enabled: true, manualConfig: false });
    expect(s.bgp).toEqual({ enabled: true, asNumber: 64555, graceful: false, routerId: null });
    expect(s.peerGroups).toEqual([{ uuid: UUID.pg, name: "k8s" }]);
    expect(s.neighbors).toEqual([
      {
        uuid: UUID.n1,
        enabled: true,
        address: "10.0.20.11",
        remoteAs: 64555,
        updateSource: "lan",
        linkLocalInterface: "",
        description: "opnsense-bgp-agent:default node=worker-1",
        keepalive: null,
        holddown: null,
        connectTimer: 5,
        bfd: false,
        multihop: false,
        password: "",
        peerGroup: "",
        prefixListIn: "",
      },
      {
        uuid: UUID.n2,
        enabled: false,
        address: "fd00::12",
        remoteAs: null,
        updateSource: "",
        linkLocalInterface: "",
        description: "",
        keepalive: 10,
        holddown: null,
        connectTimer: null,
        bfd: true,
        multihop: false,
        password: "s3cret",
        peerGroup: "k8s",
        prefixListIn: "",
      },
    ]);
    expect(s.categories).toEqual([
      { uuid: UUID.cat, name: "opnsense-bgp-agent" },
      { uuid: UUID.catOther, name: "user" },
    ]);
    expect(s.aliases).toEqual([
      { uuid: UUID.aliasNodes, name: "k8s_nodes", type: "host", enabled: true, content: ["10.0.20.11", "10.0.20.12", "10.0.20.13"], description: "agent nodes", categories: [UUID.cat] },
      { uuid: UUID.aliasEmpty, name: "k8s_lb", type: "network", enabled: true, content: [], description: "", categories: [UUID.cat] },
      { uuid: UUID.aliasLb, name: "user_hosts", type: "host", enabled: true, content: ["192.168.1.10"], description: "", categories: [] },
    ]);
    expect(s.rules[0]).toEqual({
      uuid: UUID.rule1,
      enabled: true,
      action: "pass",
      quick: true,
      interfaces: ["lan", "wan"],
      direction: "in",
      ipprotocol: "inet",
      protocol: "TCP",
      sourceNet: "k8s_nodes",
      sourcePort: "",
      destinationNet: "(self)",
      destinationPort: "179",
      statetype: "keep",
      description: "opnsense-bgp-agent:default bgp",
      categories: [UUID.cat],
    });
    expect(s.rules[1]).toMatchObject({ interfaces: [], sourceNet: "k8s_lb,lan", statetype: "sloppy", categories: [] });
    expect(s.frrRunning?.neighbors.get("10.0.20.12")).toEqual({ remoteAs: 64555, description: "opnsense-bgp-agent:default node=worker-2", prefixListIn: null });
    expect(s.aliasTablesRunning).toEqual(new Map([["k8s_nodes", ["10.0.20.11", "10.0.20.12"]]]));
    expect(s.bgpSessions.ok && [...s.bgpSessions.peers.keys()]).toEqual(["10.0.20.11", "10.0.20.12", "10.0.20.13"]);
  });

  test("24.x: statetype null; bgpd down → frrRunning null; alias_util 403 → tables null", async () => {
    mockPass("24.1", {
      running: [200, { response: [] }],
      tables: { k8s_nodes: [403, { status: 403, message: "Forbidden" }] },
    });
    const s = await client({ capabilities: caps({ ruleStatetype: false, ruleDirectionAny: false }) }).readSnapshot({ aliasNames: ["k8s_nodes"] });
    expect(s.rules.map((r) => r.statetype)).toEqual([null, null]);
    expect(s.frrRunning).toBeNull();
    expect(s.aliasTablesRunning).toBeNull();
  });

  test("running-config error → null, no failure; no alias names → empty tables and no alias_util call", async () => {
    mockPass("26.1", { running: [500, { errorMessage: "Template error", errorTitle: "FRR" }] });
    const s = await client({ capabilities: caps() }).readSnapshot({ aliasNames: [] });
    expect(s.frrRunning).toBeNull();
    expect(s.aliasTablesRunning).toEqual(new Map());
  });

  test("the BGP root upgrades frrRendersDescription when maximumpaths is present", async () => {
    mockPass("26.1", { maximumpaths: true });
    const s = await client({ capabilities: caps({ frrRendersDescription: false }) }).readSnapshot({ aliasNames: [] });
    expect(s.capabilities.frrRendersDescription).toBe(true);
    mockPass("26.1");
    const t = await client({ capabilities: caps({ frrRendersDescription: false }) }).readSnapshot({ aliasNames: [] });
    expect(t.capabilities.frrRendersDescription).toBe(false);
  });
});
