/** Planning the prefix list, adopted neighbors and the cluster record. */
import { describe, expect, test } from "vitest";
import { computeDesired } from "../../../src/desired/compute.ts";
import { anchorRowUuid } from "../../../src/desired/prefix-list.ts";
import type { DesiredState } from "../../../src/desired/types.ts";
import type { Alias, PrefixRow } from "../../../src/domain/types.ts";
import { computePlan, decideActions } from "../../../src/plan/compute.ts";
import { checkClusterClaim } from "../../../src/plan/cluster-claim.ts";
import { createGraceTracker } from "../../../src/controller/removal-grace.ts";
import { tableEntry } from "../../../src/plan/pending.ts";
import { CAPS, NO_FACTS, makeConfig, node } from "../desired/fixtures.ts";
import { applyOps, neighbor, snapshot, STEADY } from "./helpers.ts";

const OPTS = { ownerId: "default", policy: "sync" as const, adoptExisting: false, carry: STEADY };
const FILTERED = makeConfig({ LB_ADDRESSES: "10.96.0.0/24" });
const want = (cfg = FILTERED, nodes = [node("w1", "10.0.20.11")]): DesiredState => computeDesired({ nodes, services: [] }, cfg, CAPS["26.1"], NO_FACTS);
/** The BGP side of a plan: neighbor and prefix-list operations, in order. */
const steps = (ops: readonly { kind: string }[]) => ops.map((o) => o.kind).filter((k) => k.endsWith("-neighbor") || k.endsWith("-prefix"));
const bgpOps = <T extends { kind: string }>(ops: readonly T[]) => ops.filter((o) => o.kind.endsWith("-neighbor") || o.kind.endsWith("-prefix"));

describe("prefix-list rows", () => {
  test("first sync: rows before the neighbor that links the anchor, one FRR reconfigure; then nothing", () => {
    const d = want();
    const p = computePlan(d, snapshot(), OPTS);
    expect(steps(p.operations)).toEqual(["create-prefix", "create-prefix", "create-neighbor"]);
    expect(bgpOps(p.operations)[0]).toMatchObject({ kind: "create-prefix", uuid: anchorRowUuid("default") });
    expect(p.actions.frr).toBe("if-written");
    const after = applyOps(snapshot(), p.operations, d.categoryName);
    expect(after.neighbors[0]?.prefixListIn).toBe(anchorRowUuid("default"));
    expect(computePlan(d, after, OPTS).operations).toEqual([]);
  });

  test("turning filtering off unlinks the neighbors before deleting the rows", () => {
    const on = want();
    const first = computePlan(on, snapshot(), OPTS);
    const synced = applyOps(snapshot(), first.operations, on.categoryName);
    const off = computePlan(want(makeConfig()), synced, OPTS);
    expect(steps(off.operations)).toEqual(["update-neighbor", "delete-prefix", "delete-prefix"]);
  });

  test("a hand-edited anchor row and foreign rows under the agent's list name are reported and never written", () => {
    const d = want();
    const anchor: PrefixRow = { uuid: anchorRowUuid("default"), enabled: true, description: "mine now", name: "opnsense-bgp-agent-in", version: "IPv4", seqnumber: 5, action: "permit", network: "0.0.0.0/0 le 32" };
    const p = computePlan(d, snapshot({ prefixRows: [anchor] }), OPTS);
    expect(p.operations.some((op) => "uuid" in op && op.uuid === anchor.uuid)).toBe(false);
    expect(p.conflicts.map((c) => [c.objectKind, c.foreignUuid])).toEqual([["prefix", anchor.uuid]]);
  });
});

describe("adopted neighbors", () => {
  test("an adopted neighbor whose node is gone is released (marker removed, filter unlinked), never deleted", () => {
    const adopted = neighbor("hand", "10.0.20.11", "opnsense-bgp-agent:default node=w1 adopted", { prefixListIn: anchorRowUuid("default") });
    const p = computePlan(want(makeConfig(), []), snapshot({ neighbors: [adopted] }), OPTS);
    expect(bgpOps(p.operations)).toEqual([
      expect.objectContaining({ kind: "release-neighbor", uuid: "hand", spec: expect.objectContaining({ description: "released by opnsense-bgp-agent (was node=w1)", prefixListIn: "" }) }),
    ]);
  });

  test("an adopted neighbor that is still wanted keeps its flag", () => {
    const adopted = neighbor("hand", "10.0.20.11", "opnsense-bgp-agent:default node=w1 adopted", { updateSource: "" });
    expect(bgpOps(computePlan(want(makeConfig()), snapshot({ neighbors: [adopted] }), OPTS).operations)).toEqual([]);
  });

  test("POLICY=upsert-only also keeps adopted neighbors: a release is a removal", () => {
    const adopted = neighbor("hand", "10.0.20.11", "opnsense-bgp-agent:default node=w1 adopted");
    const p = computePlan(want(makeConfig(), []), snapshot({ neighbors: [adopted] }), { ...OPTS, policy: "upsert-only" });
    expect(bgpOps(p.operations)).toEqual([]);
    expect(p.suppressed.map((s) => s.operation.kind)).toEqual(["release-neighbor"]);
  });
});

describe("cluster record", () => {
  const cat = { uuid: "cat", name: "opnsense-bgp-agent" };
  const nodeAlias = (description: string): Alias => ({ uuid: "a", name: "k8s_bgp_nodes", type: "host", enabled: true, content: [], description, categories: ["cat"] });
  const check = (description: string | null, clusterId: string | null) =>
    checkClusterClaim(snapshot({ categories: [cat], aliases: description === null ? [] : [nodeAlias(description)] }), "default", "opnsense-bgp-agent", clusterId);

  test.each([
    ["no alias yet: claim it", null, "uid-a", { ok: true, claim: "uid-a" }],
    ["an older agent's alias without a record: claim it", "opnsense-bgp-agent:default bgp-nodes", "uid-a", { ok: true, claim: "uid-a" }],
    ["our own record", "opnsense-bgp-agent:default bgp-nodes cluster=uid-a", "uid-a", { ok: true, claim: "uid-a" }],
    ["cluster id unreadable: keep what the router says", "opnsense-bgp-agent:default bgp-nodes cluster=uid-a", null, { ok: true, claim: "uid-a" }],
  ] as const)("%s", (_, description, clusterId, result) => expect(check(description, clusterId)).toEqual(result));

  test("another cluster's record: refused, naming both", () => {
    const r = check("opnsense-bgp-agent:default bgp-nodes cluster=uid-a", "uid-b");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.otherCluster).toBe("uid-a");
      expect(r.message).toContain("kube-system UID uid-a; this cluster: uid-b");
    }
  });
});

describe("removal grace clock", () => {
  test("a key missing from the view stays in grace until it runs out; coming back resets it", () => {
    const g = createGraceTracker(1000);
    const owned = ["node=a", "node=b"];
    expect(g.observe(owned, new Set(["node=a", "node=b"]), 0)).toEqual({ inGrace: new Set(), nextExpiryMs: null });
    expect(g.observe(owned, new Set(["node=a"]), 100)).toEqual({ inGrace: new Set(["node=b"]), nextExpiryMs: 1000 });
    expect(g.observe(owned, new Set(["node=a"]), 900)).toEqual({ inGrace: new Set(["node=b"]), nextExpiryMs: 200 });
    expect(g.observe(owned, new Set(["node=a"]), 1100)).toEqual({ inGrace: new Set(), nextExpiryMs: null });
    // Back, then gone again: a fresh grace.
    g.observe(owned, new Set(["node=a", "node=b"]), 1200);
    expect(g.observe(owned, new Set(["node=a"]), 1300).inGrace).toEqual(new Set(["node=b"]));
  });
});

describe("pf table entries", () => {
  test.each([
    ["10.96.0.5/24", "10.96.0.0/24"],
    ["10.96.0.5/32", "10.96.0.5"],
    ["10.96.0.5", "10.96.0.5"],
    ["2001:DB8::5/64", "2001:db8::/64"],
    ["2001:db8::5/128", "2001:db8::5"],
    ["lan", "lan"],
  ])("%s is shown by pf as %s", (saved, live) => expect(tableEntry(saved)).toBe(live));
});

describe("the plan decides every apply (decideActions)", () => {
  const none = { bgpOps: false, aliasOps: false, ruleOps: false, frrNotRunning: false, aliasesNotLoaded: false, firstPassApply: false, carry: STEADY, serverRollback: true };
  test.each([
    ["nothing to do", {}, { frr: null, firewall: null, savepoint: false }],
    ["neighbor writes: FRR if a write succeeds", { bgpOps: true }, { frr: "if-written", firewall: null, savepoint: false }],
    ["saved but not running: FRR regardless", { frrNotRunning: true }, { frr: "always", firewall: null, savepoint: false }],
    ["a reconfigure left undone by the last pass", { carry: { ...STEADY, frrPending: true } }, { frr: "always", firewall: null, savepoint: false }],
    ["rule writes on 24.1–25.1: filter apply inside a savepoint", { ruleOps: true }, { frr: null, firewall: { action: "filter", mode: "if-written" }, savepoint: true }],
    ["rule writes where the rollback does not work: no savepoint", { ruleOps: true, serverRollback: false }, { frr: null, firewall: { action: "filter", mode: "if-written" }, savepoint: false }],
    ["alias and rule writes: one alias reload, no savepoint", { aliasOps: true, ruleOps: true }, { frr: null, firewall: { action: "aliases", mode: "if-written" }, savepoint: false }],
    [
      "rule writes with an alias reload carried over: the reload, no savepoint (its revision would never be applied)",
      { ruleOps: true, carry: { ...STEADY, firewallPending: "aliases" as const } },
      { frr: null, firewall: { action: "aliases", mode: "always" }, savepoint: false },
    ],
    ["first pass after a start with owned rules: filter apply regardless", { firstPassApply: true }, { frr: null, firewall: { action: "filter", mode: "always" }, savepoint: false }],
    ["alias writes and the first-pass apply: the alias reload becomes unconditional", { aliasOps: true, firstPassApply: true }, { frr: null, firewall: { action: "aliases", mode: "always" }, savepoint: false }],
  ] as const)("%s", (_, over, actions) => {
    expect(decideActions({ ...none, ...over })).toEqual(actions);
  });
});
