import { describe, expect, test } from "vitest";
import type { AliasSpec, NeighborSpec, RuleSpec } from "../../../src/domain/types.ts";
import { OpnsenseError } from "../../../src/opnsense/index.ts";
import { isUpsertableUuid } from "../../../src/opnsense/codec.ts";
import { api, caps, client, inspect, rejectionOf, useNock } from "./helpers.ts";
import type { SeenRequest } from "./helpers.ts";
import { UUID } from "./fixtures/replies.ts";

useNock();


/** Intercepts one POST under `prefix`, answering `reply`, and records what was sent. */
function capture(prefix: string, reply: object): SeenRequest[] {
  const seen: SeenRequest[] = [];
  api()
    .post((uri) => uri.startsWith(prefix))
    .reply(async (req: unknown) => {
      seen.push(await inspect(req));
      return [200, reply];
    });
  return seen;
}

/** Every leaf of a write body is a string: no arrays, objects, numbers or JSON booleans (§1.3). */
function expectStringLeaves(body: unknown, key: string): Record<string, string> {
  expect(Object.keys(body as object)).toEqual([key]);
  const item = (body as Record<string, unknown>)[key] as Record<string, unknown>;
  for (const [k, v] of Object.entries(item)) expect(typeof v, k).toBe("string");
  return item as Record<string, string>;
}

const NEIGHBOR: NeighborSpec = {
  enabled: true,
  address: "10.0.20.11",
  remoteAs: 64555,
  updateSource: "lan",
  linkLocalInterface: "",
  description: "opnsense-bgp-agent:default node=worker-1",
  keepalive: 10,
  holddown: 30,
  connectTimer: 5,
  bfd: true,
  multihop: false,
  password: "",
  peerGroup: "",
prefixListIn: "",
};

describe("neighbors", () => {
  test("create: POST setNeighbor/<fresh v4 uuid> with the full item, strings only", async () => {
    const seen = capture("/api/quagga/bgp/setNeighbor/", { result: "saved" });
    const uuid = await client().createNeighbor(NEIGHBOR, []);
    expect(isUpsertableUuid(uuid)).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.path).toBe(`/api/quagga/bgp/setNeighbor/${uuid}`);
    expect(seen[0]?.contentType).toBe("application/json");
    expect(expectStringLeaves(seen[0]?.body, "neighbor")).toEqual({
      enabled: "1",
      address: "10.0.20.11",
      remoteas: "64555",
      remote_as_mode: "",
      updatesource: "lan",
      linklocalinterface: "",
      description: "opnsense-bgp-agent:default node=worker-1",
      keepalive: "10",
      holddown: "30",
      connecttimer: "5",
      bfd: "1",
      multihop: "0",
      password: "",
      peergroup: "",
      linkedPrefixlistIn: "",
    });
  });

  test("two creates never share a uuid", async () => {
    capture("/api/quagga/bgp/setNeighbor/", { result: "saved" });
    capture("/api/quagga/bgp/setNeighbor/", { result: "saved" });
    const c = client();
    const a = await c.createNeighbor(NEIGHBOR, []);
    const b = await c.createNeighbor(NEIGHBOR, []);
    expect(a).not.toBe(b);
  });

  test("update: peer group name → uuid; fields the os-frr version lacks are omitted", async () => {
    const seen = capture(`/api/quagga/bgp/setNeighbor/${UUID.n1}`, { result: "saved" });
    // os-frr 1.40: no remote_as_mode yet
    const neighborFields = ["enabled", "description", "address", "remoteas", "updatesource", "keepalive", "holddown", "connecttimer", "bfd", "multihop", "password", "peergroup"];
    await client({ capabilities: caps({ neighborFields }) }).updateNeighbor(UUID.n1, { ...NEIGHBOR, address: "FD00::11", peerGroup: "k8s", keepalive: null }, [{ uuid: UUID.pg, name: "k8s" }]);
    const item = expectStringLeaves(seen[0]?.body, "neighbor");
    expect(item.peergroup).toBe(UUID.pg);
    expect(item.address).toBe("fd00::11");
    expect(item.keepalive).toBe("");
    expect("remote_as_mode" in item).toBe(false);
    expect(Object.keys(item).sort()).toEqual([...neighborFields].sort());
  });

  test("an unknown peer group is refused before any request", async () => {
    const e = (await rejectionOf(client().createNeighbor({ ...NEIGHBOR, peerGroup: "nope" }, []))) as OpnsenseError;
    expect(e.kind).toBe("validation");
    expect(e.validations?.["neighbor.peergroup"]?.[0]).toContain("nope");
  });

  test("delete: deleted and not found are both success", async () => {
    capture(`/api/quagga/bgp/delNeighbor/${UUID.n1}`, { result: "deleted" });
    await client().deleteNeighbor(UUID.n1);
    const seen = capture(`/api/quagga/bgp/delNeighbor/${UUID.n2}`, { result: "not found" });
    await client().deleteNeighbor(UUID.n2);
    expect(seen[0]?.body).toEqual({});
  });

  test("delete in use (os-frr ≥ 1.53 safe delete) → in-use", async () => {
    api()
      .post(`/api/quagga/bgp/delNeighbor/${UUID.n1}`)
      .reply(500, { errorMessage: `Item bgp.neighbors.neighbor.${UUID.n1} {10.0.20.11} in use by: bfd`, errorTitle: "Item in use" });
    expect(await rejectionOf(client().deleteNeighbor(UUID.n1))).toMatchObject({ kind: "in-use", endpoint: "quagga/bgp/delNeighbor" });
  });
});

const ALIAS: AliasSpec = {
  name: "k8s_nodes",
  type: "host",
  enabled: true,
  content: ["10.0.20.12", "10.0.20.11", "10.0.20.13"],
  description: "opnsense-bgp-agent:default nodes",
};

describe("aliases", () => {
  test("create: content newline-joined, category uuid, setItem/<uuid>", async () => {
    const seen = capture("/api/firewall/alias/setItem/", { result: "saved" });
    const uuid = await client().createAlias(ALIAS, UUID.cat);
    expect(seen[0]?.path).toBe(`/api/firewall/alias/setItem/${uuid}`);
    expect(expectStringLeaves(seen[0]?.body, "alias")).toEqual({
      enabled: "1",
      name: "k8s_nodes",
      type: "host",
      content: "10.0.20.11\n10.0.20.12\n10.0.20.13",
      description: "opnsense-bgp-agent:default nodes",
      categories: UUID.cat,
    });
  });

  test("update with empty content sends an empty string", async () => {
    const seen = capture(`/api/firewall/alias/setItem/${UUID.aliasLb}`, { result: "saved" });
    await client().updateAlias(UUID.aliasLb, { ...ALIAS, name: "k8s_lb", type: "network", content: [] }, UUID.cat);
    expect(expectStringLeaves(seen[0]?.body, "alias").content).toBe("");
  });

  test("delete in use → in-use error (title and message of §5.4)", async () => {
    api()
      .post(`/api/firewall/alias/delItem/${UUID.aliasNodes}`)
      .reply(500, { errorMessage: "Cannot delete alias k8s_nodes. Currently in use by [Rule] opnsense-bgp-agent bgp", errorTitle: "Alias in use" });
    const e = (await rejectionOf(client().deleteAlias(UUID.aliasNodes))) as OpnsenseError;
    expect(e.kind).toBe("in-use");
    expect(e.message).toMatch(/^POST firewall\/alias\/delItem: /);
  });
});

const RULE: RuleSpec = {
  enabled: true,
  action: "pass",
  quick: true,
  interfaces: ["lan"],
  direction: "any",
  ipprotocol: "inet",
  protocol: "tcp",
  sourceNet: "k8s_nodes",
  sourcePort: "",
  destinationNet: "(self)",
  destinationPort: "179",
  statetype: "sloppy",
  description: "opnsense-bgp-agent:default bgp",
};

describe("rules", () => {
  test("create on 26.1: protocol upper-case, interfaces comma-joined, statetype, category", async () => {
    const seen = capture("/api/firewall/filter/setRule/", { result: "saved" });
    const uuid = await client({ capabilities: caps() }).createRule({ ...RULE, interfaces: ["opt1", "lan"] }, UUID.cat);
    expect(seen[0]?.path).toBe(`/api/firewall/filter/setRule/${uuid}`);
    expect(expectStringLeaves(seen[0]?.body, "rule")).toEqual({
      enabled: "1",
      action: "pass",
      quick: "1",
      interface: "lan,opt1",
      direction: "any",
      ipprotocol: "inet",
      protocol: "TCP",
      source_net: "k8s_nodes",
      source_port: "",
      destination_net: "(self)",
      destination_port: "179",
      statetype: "sloppy",
      description: "opnsense-bgp-agent:default bgp",
      categories: UUID.cat,
    });
  });

  test("24.x: statetype omitted (the model has no such field)", async () => {
    const seen = capture(`/api/firewall/filter/setRule/${UUID.rule1}`, { result: "saved" });
    await client({ capabilities: caps({ ruleStatetype: false, ruleDirectionAny: false }) }).updateRule(UUID.rule1, { ...RULE, direction: "in", statetype: null }, UUID.cat);
    const item = expectStringLeaves(seen[0]?.body, "rule");
    expect("statetype" in item).toBe(false);
    expect(item.direction).toBe("in");
  });

  test("statetype null is omitted on newer versions too", async () => {
    const seen = capture(`/api/firewall/filter/setRule/${UUID.rule1}`, { result: "saved" });
    await client({ capabilities: caps() }).updateRule(UUID.rule1, { ...RULE, statetype: null }, UUID.cat);
    expect("statetype" in expectStringLeaves(seen[0]?.body, "rule")).toBe(false);
  });

  test('direction "any" before 26.1 is refused client-side', async () => {
    const e = (await rejectionOf(client({ capabilities: caps({ ruleDirectionAny: false }) }).createRule(RULE, UUID.cat))) as OpnsenseError;
    expect(e.kind).toBe("validation");
    expect(e.validations?.["rule.direction"]?.[0]).toMatch(/26\.1/);
  });

  test("validation reply (§4.3 cross-field) carries the field map", async () => {
    api()
      .post((u) => u.startsWith("/api/firewall/filter/setRule/"))
      .reply(200, { result: "failed", validations: { "rule.destination_port": "Source/Destination ports are only valid for tcp or udp type rules." } });
    const e = (await rejectionOf(client({ capabilities: caps() }).createRule({ ...RULE, protocol: "any" }, UUID.cat))) as OpnsenseError;
    expect(e.validations).toEqual({ "rule.destination_port": ["Source/Destination ports are only valid for tcp or udp type rules."] });
  });

  test("delete", async () => {
    const seen = capture(`/api/firewall/filter/delRule/${UUID.rule1}`, { result: "deleted" });
    await client().deleteRule(UUID.rule1);
    expect(seen).toHaveLength(1);
  });
});

describe("categories", () => {
  test("create with auto=0 via setItem/<uuid>", async () => {
    const seen = capture("/api/firewall/category/setItem/", { result: "saved" });
    const uuid = await client().createCategory("opnsense-bgp-agent");
    expect(seen[0]?.path).toBe(`/api/firewall/category/setItem/${uuid}`);
    expect(seen[0]?.body).toEqual({ category: { name: "opnsense-bgp-agent", auto: "0" } });
  });
});
