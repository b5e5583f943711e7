import { describe, expect, test } from "vitest";
import { computeDesired } from "../../../src/desired/compute.ts";
import { computePlan, type PlanOptions } from "../../../src/plan/compute.ts";
import type { NodeView, ServiceView } from "../../../src/cluster/types.ts";
import type { Config } from "../../../src/config/types.ts";
import type { Capabilities, RouterSnapshot } from "../../../src/domain/types.ts";
import type { DesiredState } from "../../../src/desired/types.ts";
import type { Operation, Plan } from "../../../src/plan/types.ts";
import { CAPS, NO_FACTS, lbService, makeConfig, node } from "../desired/fixtures.ts";
import { alias, applies, applyOps, neighbor, rule, snapshot, STEADY } from "./helpers.ts";
import { FRESH_START } from "../../../src/plan/types.ts";

const config = makeConfig();
const OPTS: PlanOptions = { ownerId: "default", policy: "sync", adoptExisting: false, carry: STEADY };
const M = (key: string, owner = "default") => `opnsense-bgp-agent:${owner} ${key}`;
const CAT = { uuid: "cat-1", name: "opnsense-bgp-agent" };

function want(nodes: readonly NodeView[], services: readonly ServiceView[] = [], cfg: Config = config, caps: Capabilities = CAPS["26.1"]): DesiredState {
  return computeDesired({ nodes, services }, cfg, caps, NO_FACTS);
}
function plan(desired: DesiredState, actual: RouterSnapshot, opts: Partial<PlanOptions> = {}): Plan {
  return computePlan(desired, actual, { ...OPTS, ...opts });
}
/** `kind key` per operation, in order. */
const steps = (p: Plan) => p.operations.map((op) => `${op.kind} ${op.kind === "create-category" ? op.name : op.key}`);
/** The router after a first full sync of `desired` on an empty box. */
function synced(desired: DesiredState, base: RouterSnapshot = snapshot()): RouterSnapshot {
  return applyOps(base, plan(desired, base).operations, desired.categoryName);
}

const twoNodes = [node("worker-1", "10.0.20.11"), node("worker-2", "10.0.20.12")];

describe("fresh router", () => {
  test("creates the category first, then neighbors, alias, rule; reconfigures each subsystem", () => {
    const p = plan(want(twoNodes), snapshot());
    expect(steps(p)).toEqual([
      "create-category opnsense-bgp-agent",
      "create-neighbor node=worker-1",
      "create-neighbor node=worker-2",
      "create-alias bgp-nodes",
      "create-rule bgp-peers",
    ]);
    expect(applies(p)).toEqual([true, "aliases"]);
    expect(p.conflicts).toEqual([]);
    expect(p.pendingReasons).toEqual([]);
  });

  test("no nodes and no category: still the empty alias and the rule (they need the category)", () => {
    expect(steps(plan(want([]), snapshot()))).toEqual(["create-category opnsense-bgp-agent", "create-alias bgp-nodes", "create-rule bgp-peers"]);
  });
});

describe("steady state", () => {
  test("a synced router gives an empty plan and counts unchanged objects", () => {
    const d = want(twoNodes, [], makeConfig({ LB_CLIENT_NETWORKS: "interface=lan source=lan asymmetric=true" }));
    const p = plan(d, synced(d));
    expect(p.operations).toEqual([]);
    expect(p.unchanged).toEqual({ neighbors: 2, prefixRows: 0, aliases: 2, rules: 2 });
    expect(applies(p)).toEqual([false, null]);
  });

  test("canonical comparison: reordered content, lists and protocol case are not changes", () => {
    const d = want(twoNodes);
    const s = synced(d);
    const shuffled: RouterSnapshot = {
      ...s,
      aliases: s.aliases.map((a) => ({ ...a, content: [...a.content].reverse() })),
      rules: s.rules.map((r) => ({ ...r, protocol: "tcp", interfaces: [...r.interfaces] })),
      neighbors: s.neighbors.map((n) => ({ ...n, address: n.address.toUpperCase() })),
    };
    expect(plan(d, shuffled).operations).toEqual([]);
  });

  test("a field the installed os-frr does not know is not compared (it could never converge)", () => {
    const d = want(twoNodes, [], makeConfig({ BGP_BFD: "true" }));
    const caps: Capabilities = { ...CAPS["26.1"], neighborFields: CAPS["26.1"].neighborFields.filter((f) => f !== "bfd") };
    const s = synced(d, snapshot({}, caps));
    const withoutBfd = { ...s, neighbors: s.neighbors.map((n) => ({ ...n, bfd: false })) };
    expect(plan(d, withoutBfd).operations).toEqual([]);
    expect(steps(plan(d, { ...withoutBfd, capabilities: CAPS["26.1"] }))).toEqual(["update-neighbor node=worker-1", "update-neighbor node=worker-2"]);
  });

  test("a rule without statetype (24.x) equals a desired rule without one", () => {
    const d = want(twoNodes, [], config, CAPS["24.7"]);
    const s = synced(d, snapshot({}, CAPS["24.7"]));
    expect(plan(d, { ...s, rules: s.rules.map((r) => ({ ...r, statetype: "keep" })) }).operations).toEqual([]);
  });
});

describe("changes", () => {
  test("IP change updates the neighbor in place and the alias content; never a duplicate", () => {
    const before = want(twoNodes);
    const s = synced(before);
    const after = want([node("worker-1", "10.0.20.99"), node("worker-2", "10.0.20.12")]);
    const p = plan(after, s);
    expect(p.operations).toEqual([
      {
        kind: "update-neighbor",
        key: "node=worker-1",
        uuid: s.neighbors[0]?.uuid,
        spec: after.neighbors[0]?.spec,
        changed: ["address"],
        adopt: false,
      },
      { kind: "update-alias", key: "bgp-nodes", uuid: s.aliases[0]?.uuid, spec: after.aliases[0]?.spec, changed: ["content"] },
    ]);
    expect(applies(p)).toEqual([true, "aliases"]);
  });

  test("removed node: neighbor deleted, alias updated", () => {
    const s = synced(want(twoNodes));
    const p = plan(want([node("worker-1", "10.0.20.11")]), s);
    expect(steps(p)).toEqual(["delete-neighbor node=worker-2", "update-alias bgp-nodes"]);
    expect(p.operations[0]).toMatchObject({ uuid: s.neighbors[1]?.uuid, address: "10.0.20.12" });
  });

  test("renamed node with the same address: the owned neighbor is rekeyed, not recreated", () => {
    const s = synced(want(twoNodes));
    const p = plan(want([node("worker-1", "10.0.20.11"), node("worker-2b", "10.0.20.12")]), s);
    expect(p.operations).toEqual([
      expect.objectContaining({ kind: "update-neighbor", key: "node=worker-2b", uuid: s.neighbors[1]?.uuid, changed: ["description"], adopt: false }),
    ]);
  });

  test("two neighbors with one node key (a GUI clone): the one at the node's address is updated, the copy is a conflict and never deleted", () => {
    const d = want([node("worker-1", "10.0.20.11")]);
    const s = synced(d);
    const [n] = s.neighbors;
    if (n === undefined) throw new Error("no neighbor");
    const dup = { ...s, neighbors: [{ ...n, uuid: "zzz", address: "10.0.20.77" }, { ...n, uuid: "aaa", remoteAs: 1 }] };
    const p = plan(d, dup);
    expect(p.operations).toEqual([expect.objectContaining({ kind: "update-neighbor", uuid: "aaa", changed: ["remoteAs"] })]);
    expect(p.conflicts).toEqual([expect.objectContaining({ objectKind: "neighbor", foreignUuid: "zzz", subject: "worker-1" })]);
    // The node gone: neither copy is deleted, both are reported.
    const gone = plan(want([]), dup);
    expect(gone.operations.filter((op) => op.kind.endsWith("-neighbor"))).toEqual([]);
    expect(gone.conflicts.map((c) => c.foreignUuid).sort()).toEqual(["aaa", "zzz"]);
  });

  test("owned duplicate rules of one key: delete all but the first", () => {
    const d = want([]);
    const s = synced(d);
    const [r] = s.rules;
    if (r === undefined) throw new Error("no rule");
    expect(steps(plan(d, { ...s, rules: [r, { ...r, uuid: "zzz-dup" }] }))).toEqual(["delete-rule bgp-peers"]);
  });

  test("LB disabled: LB rules deleted before the LB alias", () => {
    const d = want([], [lbService("web", "a", ["10.0.30.1"])], makeConfig({ LB_CLIENT_NETWORKS: "interface=lan source=lan" }));
    const p = plan(want([]), synced(d));
    expect(steps(p)).toEqual(["delete-rule lb 1 in inet", "delete-alias lb-addresses"]);
    expect(applies(p)).toEqual([false, "aliases"]);
  });

  test("full order with every kind of operation", () => {
    const cfg = makeConfig({ LB_CLIENT_NETWORKS: "interface=lan source=lan; interface=opt1 source=opt1" });
    const before = want([node("a", "10.0.0.1"), node("b", "10.0.0.2")], [lbService("x", "y", ["10.0.30.1"])], cfg);
    const s = synced(before);
    const cfg2 = makeConfig({ LB_CLIENT_NETWORKS: "interface=lan source=lan", BGP_REMOTE_ASN: "65000", FIREWALL_INTERFACE: "opt9" });
    const after = want([node("a", "10.0.0.1"), node("c", "10.0.0.3")], [lbService("x", "y", ["10.0.30.2"])], cfg2);
    expect(steps(plan(after, s))).toEqual([
      "update-neighbor node=a",
      "create-neighbor node=c",
      "delete-neighbor node=b",
      "update-alias bgp-nodes",
      "update-alias lb-addresses",
      "update-rule bgp-peers",
      "delete-rule lb 2 in inet",
    ]);
  });
});

describe("ownership and conflicts", () => {
  test("a foreign neighbor with the same address is a conflict naming its description; nothing is written for it", () => {
    const s = snapshot({ neighbors: [neighbor("hand-1", "10.0.20.11", "worker-1 by hand")] });
    const p = plan(want(twoNodes), s);
    expect(steps(p).filter((x) => x.includes("neighbor"))).toEqual(["create-neighbor node=worker-2"]);
    expect(p.conflicts).toEqual([
      {
        objectKind: "neighbor",
        key: "node=worker-1",
        subject: "worker-1",
        foreignUuid: "hand-1",
        reason: 'address 10.0.20.11 is already used by a neighbor the agent does not own (description "worker-1 by hand"); set ADOPT_EXISTING=true to take it over',
      },
    ]);
  });

  test("ADOPT_EXISTING takes over an unmarked neighbor by updating it (marker set)", () => {
    const s = snapshot({ neighbors: [neighbor("hand-1", "10.0.20.11", "", { remoteAs: 64555 })] });
    const d = want(twoNodes);
    const p = plan(d, s, { adoptExisting: true });
    const spec = d.neighbors[0]?.spec;
    expect(p.operations[1]).toEqual({
      kind: "update-neighbor",
      key: "node=worker-1",
      uuid: "hand-1",
      spec: spec && { ...spec, description: "opnsense-bgp-agent:default node=worker-1 adopted" },
      changed: ["description"],
      adopt: true,
    });
    expect(p.conflicts).toEqual([]);
    // After adoption the neighbor is ours and stays put.
    expect(plan(d, applyOps(s, p.operations, d.categoryName)).operations).toEqual([]);
  });

  test("a node moving onto an address a foreign neighbor holds: conflict, the agent's neighbor is left as it is", () => {
    const s = synced(want(twoNodes));
    const withHand = { ...s, neighbors: [...s.neighbors, neighbor("hand-9", "10.0.20.99", "router uplink")] };
    const p = plan(want([node("worker-1", "10.0.20.99"), node("worker-2", "10.0.20.12")]), withHand);
    expect(p.operations.filter((op) => op.kind.endsWith("-neighbor"))).toEqual([]);
    expect(p.conflicts).toEqual([
      {
        objectKind: "neighbor",
        key: "node=worker-1",
        subject: "worker-1",
        foreignUuid: "hand-9",
        reason: 'node worker-1 moved to 10.0.20.99, which a neighbor the agent does not own already uses (description "router uplink"); the agent\'s neighbor for 10.0.20.11 is left unchanged',
      },
    ]);
  });

  test("another owner's neighbor is never adopted", () => {
    const s = snapshot({ neighbors: [neighbor("b-1", "10.0.20.11", M("node=worker-1", "cluster-b"))] });
    const p = plan(want(twoNodes), s, { adoptExisting: true });
    expect(p.operations.some((op) => "uuid" in op && op.uuid === "b-1")).toBe(false);
    expect(p.conflicts[0]?.reason).toBe(
      'address 10.0.20.11 is already used by a neighbor of another opnsense-bgp-agent (owner "cluster-b", description "opnsense-bgp-agent:cluster-b node=worker-1")',
    );
  });

  test("another owner's objects are neither updated nor deleted", () => {
    const catB = { uuid: "cat-b", name: "opnsense-bgp-agent-cluster-b" };
    const s = snapshot({
      categories: [CAT, catB],
      neighbors: [neighbor("b-1", "10.0.20.50", M("node=worker-9", "cluster-b"))],
      aliases: [alias("b-a", "k8s_bgp_nodes_cluster_b", M("bgp-nodes", "cluster-b"), ["cat-b"])],
      rules: [rule("b-r", M("bgp-peers", "cluster-b"), ["cat-b"]), rule("b-r2", M("bgp-peers", "cluster-b"), ["cat-1"])],
    });
    const p = plan(want(twoNodes), s);
    expect(steps(p)).toEqual(["create-neighbor node=worker-1", "create-neighbor node=worker-2", "create-alias bgp-nodes", "create-rule bgp-peers"]);
  });

  test("an alias with our marker but without our category is not ours: conflict, and the rule using it is skipped", () => {
    const s = snapshot({ categories: [CAT], aliases: [alias("u-1", "k8s_bgp_nodes", M("bgp-nodes"), [])] });
    const p = plan(want(twoNodes), s);
    expect(steps(p)).toEqual(["create-neighbor node=worker-1", "create-neighbor node=worker-2"]);
    expect(p.conflicts.map((c) => [c.objectKind, c.key, c.subject, c.foreignUuid])).toEqual([
      ["alias", "bgp-nodes", "k8s_bgp_nodes", "u-1"],
      ["rule", "bgp-peers", "k8s_bgp_nodes", "u-1"],
    ]);
  });

  test("an owned rule that would now point at a foreign alias is deleted, never kept pointing at it", () => {
    const d = want(twoNodes);
    const s = synced(d);
    const foreignAlias = { ...s.aliases[0], uuid: "user-alias", categories: [] } as RouterSnapshot["aliases"][number];
    const p = plan(d, { ...s, aliases: [foreignAlias] });
    expect(steps(p)).toEqual(["delete-rule bgp-peers"]);
    expect(p.conflicts.map((c) => c.objectKind)).toEqual(["alias", "rule"]);
  });

  test("a rule in our category with foreign or free-text description is left alone", () => {
    const s = synced(want([]));
    const extra = [rule("x-1", "allow ssh", ["cat-1"].map(() => s.categories[0]?.uuid ?? "")), rule("x-2", "", [])];
    expect(plan(want([]), { ...s, rules: [...s.rules, ...extra] }).operations).toEqual([]);
  });

  test("an existing category is reused", () => {
    expect(steps(plan(want([]), snapshot({ categories: [CAT] })))).toEqual(["create-alias bgp-nodes", "create-rule bgp-peers"]);
  });

  test("no category is created when only neighbors change", () => {
    const s = synced(want([]));
    expect(steps(plan(want([node("a", "10.0.0.1")]), { ...s }))).toEqual(["create-neighbor node=a", "update-alias bgp-nodes"]);
    const onlyNeighbors = plan(want([node("a", "10.0.0.1")]), { ...s, categories: [] , aliases: [], rules: [] });
    expect(steps(onlyNeighbors)[0]).toBe("create-category opnsense-bgp-agent");
  });
});

describe("policies", () => {
  const s = synced(want(twoNodes));
  const after = want([node("worker-1", "10.0.20.99"), node("worker-3", "10.0.20.13")]);
  test("sync: create, update, delete", () => {
    expect(steps(plan(after, s))).toEqual(["update-neighbor node=worker-1", "create-neighbor node=worker-3", "delete-neighbor node=worker-2", "update-alias bgp-nodes"]);
  });
  test("upsert-only: deletes suppressed", () => {
    const p = plan(after, s, { policy: "upsert-only" });
    expect(steps(p)).toEqual(["update-neighbor node=worker-1", "create-neighbor node=worker-3", "update-alias bgp-nodes"]);
    expect(p.suppressed.map((x) => [x.operation.kind, x.policy])).toEqual([["delete-neighbor", "upsert-only"]]);
  });
  test("create-only: updates and deletes suppressed", () => {
    const p = plan(after, s, { policy: "create-only" });
    expect(steps(p)).toEqual(["create-neighbor node=worker-3"]);
    expect(p.suppressed.map((x) => x.operation.kind)).toEqual(["update-neighbor", "delete-neighbor", "update-alias"]);
    expect(applies(p)).toEqual([true, null]);
  });
  test("create-only still refuses to adopt (adoption is an update)", () => {
    const hand = snapshot({ neighbors: [neighbor("hand-1", "10.0.20.11", "")] });
    const p = plan(want([node("worker-1", "10.0.20.11")]), hand, { policy: "create-only", adoptExisting: true });
    expect(p.operations.some((op) => op.kind === "update-neighbor")).toBe(false);
    expect(p.suppressed.map((x) => x.operation.kind)).toEqual(["update-neighbor"]);
  });
});

describe("pending changes (saved but not running)", () => {
  const d = want(twoNodes);
  const s = synced(d);
  const running = (entries: readonly (readonly [string, number | null, string | null])[]) => ({
    neighbors: new Map(entries.map(([a, remoteAs, description]) => [a, { remoteAs, description }] as const)),
  });

  test("FRR runs everything saved: nothing to do", () => {
    const p = plan(d, { ...s, frrRunning: running([["10.0.20.11", 64555, null], ["10.0.20.12", 64555, null]]) });
    expect([p.actions.frr, p.pendingReasons]).toEqual([null, []]);
  });

  test("a saved owned neighbor FRR does not run → reconfigure", () => {
    const p = plan(d, { ...s, frrRunning: running([["10.0.20.11", 64555, null]]) });
    expect(p.operations).toEqual([]);
    expect(p.actions.frr).toBe("always");
    expect(p.pendingReasons).toEqual(["neighbor 10.0.20.12 (opnsense-bgp-agent:default node=worker-2) is saved but FRR does not run it"]);
  });

  test("remote-as differs from what FRR runs → reconfigure", () => {
    const p = plan(d, { ...s, frrRunning: running([["10.0.20.11", 64555, null], ["10.0.20.12", 65000, null]]) });
    expect(p.pendingReasons).toEqual(["neighbor 10.0.20.12 (opnsense-bgp-agent:default node=worker-2) is saved with remote-as 64555 but FRR runs remote-as 65000"]);
  });

  test("FRR runs a neighbor no longer saved (delete not applied) → reconfigure", () => {
    const p = plan(d, { ...s, frrRunning: running([["10.0.20.11", 64555, null], ["10.0.20.12", 64555, null], ["10.0.20.13", 64555, null]]) });
    expect(p.pendingReasons).toEqual(["FRR still runs neighbor 10.0.20.13, which is no longer saved"]);
  });

  test("peer-group entries in the running config are not neighbors", () => {
    const p = plan(d, { ...s, frrRunning: running([["10.0.20.11", 64555, null], ["10.0.20.12", 64555, null], ["cilium", null, null]]) });
    expect(p.actions.frr).toBeNull();
  });

  test("with descriptions rendered: FRR runs our marker on an address now saved as someone else's", () => {
    const withForeign = { ...s, capabilities: CAPS["26.7"], neighbors: [...s.neighbors.slice(0, 1), neighbor("hand", "10.0.20.12", "by hand")] };
    const live = running([["10.0.20.11", 64555, M("node=worker-1")], ["10.0.20.12", 64555, M("node=worker-2")]]);
    const p = plan(want([node("worker-1", "10.0.20.11")]), { ...withForeign, frrRunning: live });
    expect(steps(p)).toEqual(["update-alias bgp-nodes"]);
    expect(p.actions.frr).toBe("always");
    expect(p.pendingReasons).toEqual(['FRR runs neighbor 10.0.20.12 as "opnsense-bgp-agent:default node=worker-2", which is no longer saved as the agent\'s']);
  });

  test("unknown running state or FRR disabled: no pending detection", () => {
    expect(plan(d, { ...s, frrRunning: null }).actions.frr).toBeNull();
    expect(plan(d, { ...s, frr: { enabled: false, manualConfig: false }, frrRunning: running([]) }).actions.frr).toBeNull();
  });

  test("a disabled owned neighbor is not expected to run", () => {
    const disabled = { ...s, neighbors: s.neighbors.map((n) => ({ ...n, enabled: n.address === "10.0.20.11" })) };
    // The plan re-enables it (an update), which reconfigures anyway; the pending check itself stays quiet.
    const p = plan(d, { ...disabled, frrRunning: running([["10.0.20.11", 64555, null]]) });
    expect(p.pendingReasons).toEqual([]);
    expect(steps(p)).toEqual(["update-neighbor node=worker-2"]);
  });

  test("live alias table differs from saved content → reload aliases", () => {
    const p = plan(d, { ...s, aliasTablesRunning: new Map([["k8s_bgp_nodes", ["10.0.20.11"]]]) });
    expect(p.operations).toEqual([]);
    expect(p.actions.firewall).toEqual({ action: "aliases", mode: "always" });
    expect(p.pendingReasons).toEqual(["alias k8s_bgp_nodes: pf holds 1 entries but 2 are saved"]);
  });

  test("live alias table equal up to pf's spelling (/32, masked host bits) → nothing", () => {
    const cfg = makeConfig({ LB_CLIENT_NETWORKS: "interface=lan source=lan", LB_ADDRESSES: "10.0.31.5/24,2001:db8::1/128" });
    const dl = want(twoNodes, [], cfg);
    const sl = synced(dl);
    const tables = new Map([
      ["k8s_bgp_nodes", ["10.0.20.12/32", "10.0.20.11"]],
      ["k8s_lb_addresses", ["10.0.31.0/24", "2001:db8::1"]],
    ]);
    expect(plan(dl, { ...sl, aliasTablesRunning: tables }).actions.firewall).toBeNull();
  });

  test("first pass since start with owned rules → apply the filter", () => {
    const p = plan(d, s, { carry: FRESH_START });
    expect(p.operations).toEqual([]);
    expect([p.actions.firewall, p.pendingReasons]).toEqual([{ action: "filter", mode: "always" }, ["first pass since start: OPNsense cannot show which rules pf runs"]]);
  });

  test("first pass without owned rules → nothing to apply", () => {
    expect(plan(want([]), snapshot({ rules: [rule("x", "user rule", [])] }), { carry: FRESH_START, policy: "create-only" }).pendingReasons).toEqual([]);
  });
});

test("every update lists its changed fields and is never a no-op", () => {
  const s = synced(want(twoNodes));
  const p = plan(want(twoNodes, [], makeConfig({ BGP_KEEPALIVE: "10", BGP_HOLDDOWN: "30", FIREWALL_INTERFACE: "opt1" })), s);
  const changed = p.operations.map((op: Operation) => ("changed" in op ? op.changed : null));
  expect(changed).toEqual([["keepalive", "holddown"], ["keepalive", "holddown"], ["interfaces"]]);
});
