/**
 * Agent-level scenarios that need no fault injection, run against the simulator at each of its
 * versions, or against a real OPNsense when `OPNSENSE_REAL_URL` is set (see target.ts). The
 * router is judged only through its API and the recording proxy's counts, never through the
 * simulator's control API, so one assertion holds both targets to the same contract.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { countCalls, type RecordedCall } from "./recording-proxy.ts";
import { CATEGORY, HAND_ALIAS, HAND_MADE, LB_ALIAS, MARK, NODE_ALIAS, ensureBgpEnabled, startScenarioWorld, withUuid, owned, type ScenarioWorld } from "./scenario-world.ts";
import { routerApi, targetSpecs, versionAtLeast, type Flat, type Target } from "./target.ts";

// pf's readings of an alias (table size, load time, hit counters), not its configuration; they
// change when any alias reload loads the table. The counters are on real 26.1+ only.
const RUNTIME_FIELDS = new Set(["current_items", "last_updated", "eval_nomatch", "eval_match", "in_block_p", "in_block_b", "in_pass_p", "in_pass_b", "out_block_p", "out_block_b", "out_pass_p", "out_pass_b"]);

/** The proxy's numbers per target, printed once at the end (the report of a real run). */
const measured: Record<string, Record<string, string>> = {};
function note(label: string, what: string, calls: readonly RecordedCall[]): void {
  const c = countCalls(calls);
  (measured[label] ??= {})[what] = `reads=${c.reads} writes=${c.writes} applies=${c.applies}`;
}

// Real PHP is slower than the simulator (an API-key request costs tens of milliseconds).
describe.each(targetSpecs())("agent scenarios against $label", { timeout: 90_000 }, (spec) => {
  let target: Target;
  let restoreBgp: () => Promise<void> = async () => {};
  let w: ScenarioWorld;

  beforeAll(async () => {
    target = await spec.start();
    restoreBgp = await ensureBgpEnabled(routerApi(target));
  }, 60_000);
  afterAll(async () => {
    await restoreBgp();
    await target.close();
    if (measured[spec.label]) console.info(`[proxy counts] ${spec.label}: ${JSON.stringify(measured[spec.label])}`);
  }, 60_000);
  beforeEach(async () => {
    w = await startScenarioWorld(target);
  }, 60_000);
  afterEach(async () => {
    await w?.close();
  }, 60_000);

  async function enrolThree(): Promise<void> {
    w.addWorker("worker-1", "10.0.20.11");
    w.addWorker("worker-2", "10.0.20.12");
    w.addWorker("worker-3", "10.0.20.13");
    w.kube.control.createNode({ name: "cp-1", labels: { "node-role.kubernetes.io/control-plane": "" }, addresses: [{ type: "InternalIP", address: "10.0.20.5" }] });
    await w.startAgent();
    await w.until(async () => (await w.ownedNeighbors()).length === 3, "three neighbors");
  }

  async function ownedByName(kind: "aliases" | "rules"): Promise<(Flat & { uuid: string })[]> {
    return withUuid(await w.api[kind](), owned);
  }

  it("enrols labelled nodes: neighbors, the nodes alias and the TCP 179 rule, read back through the API", async () => {
    await enrolThree();
    const ns = await w.ownedNeighbors();
    expect(ns.map((n) => n["address"])).toEqual(["10.0.20.11", "10.0.20.12", "10.0.20.13"]);
    for (const [i, n] of ns.entries()) {
      expect(n).toMatchObject({ enabled: "1", remoteas: "64555", updatesource: "lan", description: `${MARK} node=worker-${i + 1}` });
      // The per-item read agrees with the model-level one.
      expect(await w.api.neighbor(n.uuid)).toMatchObject({ address: n["address"], description: n["description"] });
    }
    const cats = Object.entries(await w.api.categories()).filter(([, c]) => c["name"] === CATEGORY);
    expect(cats).toHaveLength(1);
    const catUuid = cats[0]?.[0] ?? "";
    const alias = (await ownedByName("aliases")).find((a) => a["name"] === NODE_ALIAS);
    expect(alias).toMatchObject({ type: "host", enabled: "1", categories: catUuid });
    expect((alias?.["content"] ?? "").split(/[\n,]/).sort()).toEqual(["10.0.20.11", "10.0.20.12", "10.0.20.13"]);
    const rules = await ownedByName("rules");
    expect(rules).toHaveLength(1);
    const rule = await w.api.rule(rules[0]?.uuid ?? "");
    expect(rule).toMatchObject({
      enabled: "1",
      action: "pass",
      quick: "1",
      interface: "lan",
      direction: "in",
      ipprotocol: "inet",
      protocol: "TCP",
      source_net: NODE_ALIAS,
      destination_net: "(self)",
      destination_port: "179",
      categories: catUuid,
      description: `${MARK} bgp-peers`,
    });
    expect(w.logs.withMsg("sync complete").at(-1)).toMatchObject({ result: "success", nodes: 3 });
    note(spec.label, "enrol", w.proxy.calls());
    const detected = w.logs.entries().find((e) => String(e["msg"]).startsWith("OPNsense capabilities detected"));
    expect(detected?.["capabilities"]).toMatchObject({ statetype: versionAtLeast(spec.version, "25.1"), directionAny: versionAtLeast(spec.version, "26.1"), savepoint: !versionAtLeast(spec.version, "26.7"), serverRollback: !versionAtLeast(spec.version, "25.7") });
    (measured[spec.label] ??= {})["detected"] = String(detected?.["msg"]);
  });

  it("unlabelling a node removes its neighbor and its alias entry", async () => {
    await enrolThree();
    w.kube.control.labelNode("worker-1", "homelab/role", null);
    await w.until(async () => (await w.ownedNeighbors()).length === 2, "worker-1 removed");
    expect((await w.ownedNeighbors()).map((n) => n["description"])).toEqual([`${MARK} node=worker-2`, `${MARK} node=worker-3`]);
    const alias = (await ownedByName("aliases")).find((a) => a["name"] === NODE_ALIAS);
    expect((alias?.["content"] ?? "").split(/[\n,]/).sort()).toEqual(["10.0.20.12", "10.0.20.13"]);
  });

  it("deleting a node removes its neighbor", async () => {
    await enrolThree();
    w.kube.control.deleteNode("worker-2");
    await w.until(async () => (await w.ownedNeighbors()).length === 2, "worker-2 removed");
    expect((await w.ownedNeighbors()).map((n) => n["address"])).toEqual(["10.0.20.11", "10.0.20.13"]);
  });

  it("a node's IP change updates its neighbor in place (same uuid)", async () => {
    await enrolThree();
    const before = (await w.ownedNeighbors()).find((n) => n["address"] === "10.0.20.13");
    w.kube.control.setNodeAddresses("worker-3", [{ type: "InternalIP", address: "10.0.20.23" }]);
    await w.until(async () => (await w.ownedNeighbors()).some((n) => n["address"] === "10.0.20.23"), "worker-3 address updated");
    const after = (await w.ownedNeighbors()).find((n) => n["address"] === "10.0.20.23");
    expect(after?.uuid).toBe(before?.uuid);
    expect(after?.["description"]).toBe(`${MARK} node=worker-3`);
    expect(await w.ownedNeighbors()).toHaveLength(3);
    const alias = (await ownedByName("aliases")).find((a) => a["name"] === NODE_ALIAS);
    expect((alias?.["content"] ?? "").split(/[\n,]/).sort()).toEqual(["10.0.20.11", "10.0.20.12", "10.0.20.23"]);
  });

  it("never touches foreign objects: hand-made neighbors, alias and rule (and whatever the box held) read back unchanged", async () => {
    await w.api.post("quagga/bgp/addNeighbor", { neighbor: { enabled: "1", address: "192.168.1.1", remoteas: "65000", description: `${HAND_MADE} upstream` } });
    // A hand-made neighbor at a node's address: the agent reports the conflict and leaves it.
    await w.api.post("quagga/bgp/addNeighbor", { neighbor: { enabled: "1", address: "10.0.20.12", remoteas: "64555", description: `${HAND_MADE} worker-2` } });
    await w.api.post("firewall/alias/addItem", { alias: { enabled: "1", name: HAND_ALIAS, type: "host", content: "192.168.1.10", description: `${HAND_MADE} hosts` } });
    await w.api.post("firewall/filter/addRule", {
      rule: { enabled: "1", action: "block", quick: "1", interface: "lan", direction: "in", ipprotocol: "inet", protocol: "any", source_net: HAND_ALIAS, destination_net: "any", description: `${HAND_MADE} rule` },
    });
    // An alias's pf table size and load time are runtime readings, not configuration.
    const config = (items: Record<string, Flat>) => Object.fromEntries(Object.entries(items).map(([u, f]) => [u, Object.fromEntries(Object.entries(f).filter(([k]) => !RUNTIME_FIELDS.has(k)))]));
    const read = async () => ({ neighbors: await w.api.neighbors(), aliases: config(await w.api.aliases()), rules: await w.api.rules(), categories: await w.api.categories() });
    const before = await read();
    expect(Object.values(before.rules).filter((r) => r["description"] === `${HAND_MADE} rule`)).toHaveLength(1);
    w.addWorker("worker-1", "10.0.20.11");
    w.addWorker("worker-2", "10.0.20.12");
    await w.startAgent();
    await w.until(async () => (await w.ownedNeighbors()).length === 1 && (await ownedByName("rules")).length === 1, "worker-1 peered next to the foreign neighbors");
    const after = await read();
    for (const kind of ["neighbors", "aliases", "rules", "categories"] as const) {
      for (const [uuid, fields] of Object.entries(before[kind])) expect(JSON.stringify(after[kind][uuid]), `${kind} ${uuid}`).toBe(JSON.stringify(fields));
    }
    const conflicts = w.logs.withMsg("conflict with an object the agent does not own; left alone");
    expect(JSON.stringify(conflicts)).toContain("worker-2");
  });

  it("a steady resync makes zero writes, and applies only what the router reports as not running", async () => {
    await enrolThree();
    w.proxy.clear();
    await w.agent?.controller.runNow("resync", { fresh: true });
    const calls = w.proxy.calls();
    note(spec.label, "steady resync", calls);
    expect(calls.filter((c) => c.kind === "write")).toEqual([]);
    // a resync re-runs the preflight, whose feature probes answer 404 where the feature is absent
    const probe404 = (c: { path: string; status: number }) => c.status === 404 && /\/(getPeergroup|savepoint)$/.test(c.path);
    expect(calls.filter((c) => c.status !== 200 && !probe404(c))).toEqual([]);
    // An apply is due only when the router says a saved neighbor is not running. Ask it: on the
    // simulator FRR runs them; a real box whose FRR is stubbed never shows one, so there the
    // agent must reconfigure FRR, and nothing else.
    const running = String((await w.api.get("quagga/diagnostics/generalrunningconfig"))["response"] ?? "");
    const allRunning = (await w.ownedNeighbors()).every((n) => running.includes(`neighbor ${n["address"]} `));
    const applies = calls.filter((c) => c.kind === "apply").map((c) => c.path);
    expect(applies).toEqual(allRunning ? [] : ["/api/quagga/service/reconfigure"]);
  });

  it("an agent restart makes zero config writes", async () => {
    await enrolThree();
    await w.stopAgent();
    w.proxy.clear();
    await w.startAgent();
    await w.nextPass();
    await w.agent?.controller.idle();
    const calls = w.proxy.calls();
    note(spec.label, "restart", calls);
    expect(calls.filter((c) => c.kind === "write")).toEqual([]);
    expect(w.logs.withMsg("sync complete").at(-1)).toMatchObject({ result: "success" });
  });

  it("LB rules for an asymmetric client network take the fields this release's rule template offers", async () => {
    await w.startAgent({ LB_CLIENT_NETWORKS: "interface=lan source=lan asymmetric=true", LB_ADDRESSES: "10.96.0.0/24" });
    w.addWorker("worker-1", "10.0.20.11");
    w.kube.control.createService({ namespace: "apps", name: "web", labels: { "homelab/public-service": "true" }, ports: [443], ingress: ["10.96.0.10"] });
    // Expectations from the release number (contract §4.3/§4.5), not from the agent's detection.
    const statetype = versionAtLeast(spec.version, "25.1");
    const directionAny = versionAtLeast(spec.version, "26.1");
    const expected = !statetype ? [] : directionAny ? [{ direction: "any", statetype: "sloppy" }] : [{ direction: "in", statetype: "sloppy" }, { direction: "out", statetype: "sloppy" }];
    // The LB alias holds the pool (LB_ADDRESSES) and the Service's ingress address.
    await w.until(async () => (await ownedByName("aliases")).some((a) => a["name"] === LB_ALIAS && (a["content"] ?? "").split(/[\n,]/).includes("10.96.0.10")), "LB alias");
    await w.until(async () => (await ownedByName("rules")).filter((r) => r["destination_net"] === LB_ALIAS).length === expected.length, "LB rules");
    const lb = (await ownedByName("rules")).filter((r) => r["destination_net"] === LB_ALIAS);
    const readBack = (await Promise.all(lb.map((r) => w.api.rule(r.uuid)))).sort((a, b) => (a?.["direction"] ?? "").localeCompare(b?.["direction"] ?? ""));
    expect(readBack.map((r) => ({ direction: r?.["direction"], statetype: r?.["statetype"] }))).toEqual(expected);
    for (const r of readBack) expect(r).toMatchObject({ action: "pass", interface: "lan", ipprotocol: "inet", protocol: "any", source_net: "lan", destination_net: LB_ALIAS, enabled: "1" });
    if (!statetype) expect(w.logs.withMsg("input problem; object skipped").some((p) => String(p["error"]).includes("sloppy"))).toBe(true);
    note(spec.label, "lb", w.proxy.calls());
  });
});
