/**
 * Properties of the planner over random routers full of foreign objects:
 * (1) no update or delete ever targets an object the agent does not own (adoption aside),
 * (2) applying a plan and planning again gives no operations (idempotence, no drift).
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { computeDesired } from "../../../src/desired/compute.ts";
import { computePlan } from "../../../src/plan/compute.ts";
import { parseMarker } from "../../../src/domain/ownership.ts";
import type { Alias, Category, Neighbor, RouterSnapshot, Rule } from "../../../src/domain/types.ts";
import type { Policy } from "../../../src/config/types.ts";
import type { DesiredState } from "../../../src/desired/types.ts";
import type { Operation } from "../../../src/plan/types.ts";
import { CAPS, NO_FACTS, lbService, makeConfig, node, type Version } from "../desired/fixtures.ts";
import { alias, applyOps, neighbor, rule, snapshot, STEADY } from "./helpers.ts";

const OWNERS = ["default", "cluster-b"] as const;
const ADDRESSES = ["10.0.20.11", "10.0.20.12", "10.0.20.13", "10.0.20.14", "10.0.20.15"];
const LB_IPS = ["10.0.30.1", "10.0.30.2", "2001:db8::30"];
const KEYS = ["node=w1", "node=w2", "node=w3", "node=w4", "bgp-nodes", "lb-addresses", "bgp-peers", "lb 1 in inet", "lb 1 any inet", "lb 1 out inet", "lb 2 in inet", "lb 1 any inet6"];
const CATEGORIES: readonly Category[] = [
  { uuid: "cat-default", name: "opnsense-bgp-agent" },
  { uuid: "cat-b", name: "opnsense-bgp-agent-cluster-b" },
  { uuid: "cat-user", name: "user" },
];
const ALIAS_NAMES = ["k8s_bgp_nodes", "k8s_lb_addresses", "k8s_bgp_nodes_cluster_b", "k8s_lb_addresses_cluster_b", "user_alias"];

const descriptionArb = fc.oneof(
  fc.constant(""),
  fc.string({ maxLength: 40 }),
  fc.tuple(fc.constantFrom(...OWNERS, "other"), fc.constantFrom(...KEYS)).map(([o, k]) => `opnsense-bgp-agent:${o} ${k}`),
  fc.constantFrom("opnsense-bgp-agent default node=w1", "hand-made worker", "note: opnsense-bgp-agent:default node=w1"),
);
const categoriesArb = fc.subarray(CATEGORIES.map((c) => c.uuid));

const neighborsArb = fc
  .array(
    fc.record({
      address: fc.constantFrom(...ADDRESSES),
      description: descriptionArb,
      remoteAs: fc.constantFrom(64555, 65000, null),
      enabled: fc.boolean(),
      bfd: fc.boolean(),
    }),
    { maxLength: 8 },
  )
  .map((xs) => xs.map((x, i): Neighbor => neighbor(`n-${i}`, x.address, x.description, { remoteAs: x.remoteAs, enabled: x.enabled, bfd: x.bfd })));

const aliasesArb = fc
  .uniqueArray(
    fc.record({ name: fc.constantFrom(...ALIAS_NAMES), description: descriptionArb, categories: categoriesArb, content: fc.subarray([...ADDRESSES, ...LB_IPS]), type: fc.constantFrom("host", "network", "port") }),
    { selector: (a) => a.name, maxLength: 5 },
  )
  .map((xs) => xs.map((x, i): Alias => alias(`a-${i}`, x.name, x.description, x.categories, x.content, x.type)));

const rulesArb = fc
  .array(
    fc.record({
      description: descriptionArb,
      categories: categoriesArb,
      direction: fc.constantFrom("in", "out", "any"),
      sourceNet: fc.constantFrom("k8s_bgp_nodes", "lan", "any", "user_alias"),
      destinationNet: fc.constantFrom("(self)", "k8s_lb_addresses", "10.0.30.1"),
      statetype: fc.constantFrom("keep", "sloppy", null),
    }),
    { maxLength: 8 },
  )
  .map((xs) => xs.map((x, i): Rule => rule(`r-${i}`, x.description, x.categories, { direction: x.direction, sourceNet: x.sourceNet, destinationNet: x.destinationNet, statetype: x.statetype })));

const worldArb = fc.record({
  ownerId: fc.constantFrom(...OWNERS),
  version: fc.constantFrom<Version>("24.1", "24.7", "25.1", "25.7", "26.1", "26.7"),
  policy: fc.constantFrom<Policy>("sync", "upsert-only", "create-only"),
  adoptExisting: fc.boolean(),
  firstPass: fc.boolean(),
  lb: fc.constantFrom("", "interface=lan source=lan asymmetric=true", "interface=lan source=lan asymmetric=true; interface=opt1 source=192.168.50.0/24"),
  scope: fc.constantFrom("addresses", "ports"),
  nodes: fc.uniqueArray(fc.record({ name: fc.constantFrom("w1", "w2", "w3", "w4", "w5"), ip: fc.constantFrom(...ADDRESSES, "") }), { selector: (n) => n.name, maxLength: 5 }),
  services: fc.array(fc.subarray(LB_IPS), { maxLength: 3 }),
  categories: fc.subarray([...CATEGORIES]),
  neighbors: neighborsArb,
  aliases: aliasesArb,
  rules: rulesArb,
});
type World = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;

function build(w: World): { desired: DesiredState; actual: RouterSnapshot } {
  const config = makeConfig({ OWNER_ID: w.ownerId, LB_CLIENT_NETWORKS: w.lb, LB_ACCESS_SCOPE: w.scope });
  const caps = CAPS[w.version];
  const desired = computeDesired(
    {
      nodes: w.nodes.map((n) => node(n.name, n.ip === "" ? [] : n.ip)),
      services: w.services.map((ips, i) => lbService("ns", `svc${i}`, ips)),
    },
    config,
    caps,
    NO_FACTS,
  );
  const actual = snapshot({ categories: w.categories, neighbors: w.neighbors, aliases: w.aliases, rules: w.rules }, caps);
  return { desired, actual };
}

/** Ownership, restated independently of the planner's code. */
function ownedUuids(actual: RouterSnapshot, desired: DesiredState, ownerId: string): Set<string> {
  const ours = new Set(actual.categories.filter((c) => c.name === desired.categoryName).map((c) => c.uuid));
  const mine = (d: string) => parseMarker(d)?.owner === ownerId;
  // Neighbors: only the exact form `node=<node name>[ adopted]` counts.
  const mineNeighbor = (d: string) => mine(d) && /^node=[a-z0-9][-a-z0-9.~]*( adopted)?$/.test(parseMarker(d)?.key ?? "");
  return new Set([
    ...actual.neighbors.filter((n) => mineNeighbor(n.description)).map((n) => n.uuid),
    ...[...actual.aliases, ...actual.rules].filter((o) => mine(o.description) && o.categories.some((c) => ours.has(c))).map((o) => o.uuid),
  ]);
}

const targetUuid = (op: Operation): string | null => ("uuid" in op ? op.uuid : null);

describe("plan properties", () => {
  test("(1) no operation targets an object the agent does not own; adoption only of unmarked neighbors, only when asked", () => {
    fc.assert(
      fc.property(worldArb, (w) => {
        const { desired, actual } = build(w);
        const owned = ownedUuids(actual, desired, w.ownerId);
        const p = computePlan(desired, actual, { ownerId: w.ownerId, policy: w.policy, adoptExisting: w.adoptExisting, carry: { ...STEADY, firstPassSinceStart: w.firstPass } });
        for (const op of [...p.operations, ...p.suppressed.map((s) => s.operation)]) {
          const uuid = targetUuid(op);
          if (uuid === null || owned.has(uuid)) continue;
          expect(op.kind).toBe("update-neighbor");
          expect(op.kind === "update-neighbor" && op.adopt).toBe(true);
          expect(w.adoptExisting).toBe(true);
          const target = actual.neighbors.find((n) => n.uuid === uuid);
          expect(target).toBeDefined();
          expect(parseMarker(target?.description)).toBeNull();
        }
        // At most one write per object, and the category (if created) comes first.
        const uuids = p.operations.map(targetUuid).filter((u) => u !== null);
        expect(new Set(uuids).size).toBe(uuids.length);
        const catIndex = p.operations.findIndex((op) => op.kind === "create-category");
        expect(catIndex === -1 || catIndex === 0).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test("(2) planning again after applying the plan gives no operations", () => {
    fc.assert(
      fc.property(worldArb, (w) => {
        const { desired, actual } = build(w);
        const opts = { ownerId: w.ownerId, policy: w.policy, adoptExisting: w.adoptExisting, carry: STEADY };
        const first = computePlan(desired, actual, opts);
        const after = applyOps(actual, first.operations, desired.categoryName);
        const second = computePlan(desired, after, opts);
        expect(second.operations).toEqual([]);
        expect(second.actions).toEqual({ frr: null, firewall: null, savepoint: false });
        // What was suppressed stays suppressed (and is reported again), nothing more.
        expect(second.suppressed.length).toBeLessThanOrEqual(first.suppressed.length);
      }),
      { numRuns: 500 },
    );
  });

  test("(2b) under sync the router ends up holding exactly the desired objects that are not in conflict", () => {
    fc.assert(
      fc.property(worldArb, (w) => {
        const { desired, actual } = build(w);
        const opts = { ownerId: w.ownerId, policy: "sync" as const, adoptExisting: w.adoptExisting, carry: STEADY };
        const p = computePlan(desired, actual, opts);
        const after = applyOps(actual, p.operations, desired.categoryName);
        const owned = ownedUuids(after, desired, w.ownerId);
        const ownedBefore = ownedUuids(actual, desired, w.ownerId);
        const nodeKey = (description: string) => parseMarker(description)?.key.replace(/ adopted$/, "");
        const keysBefore = new Set(actual.neighbors.filter((n) => ownedBefore.has(n.uuid)).map((n) => nodeKey(n.description)));
        const conflicted = new Set(p.conflicts.map((c) => c.key));
        // A key two owned neighbors carry (a GUI clone) is a conflict: those neighbors stay as they are.
        const beforeKeys = actual.neighbors.filter((n) => ownedBefore.has(n.uuid)).map((n) => nodeKey(n.description));
        const duplicated = new Set(beforeKeys.filter((k, i) => beforeKeys.indexOf(k) !== i));
        const ownedNeighborKeys = after.neighbors.filter((n) => owned.has(n.uuid)).map((n) => nodeKey(n.description)).filter((k) => !duplicated.has(k));
        // A conflicting neighbor is not created; one the agent already had (or adopts despite a
        // leftover duplicate) is kept.
        const written = new Set(p.operations.filter((op) => op.kind.endsWith("-neighbor")).map((op) => ("key" in op ? op.key : "")));
        const expectedNeighbors = desired.neighbors.filter((d) => (!conflicted.has(d.key) || keysBefore.has(d.key) || written.has(d.key)) && !duplicated.has(d.key));
        expect(ownedNeighborKeys.sort()).toEqual(expectedNeighbors.map((d) => d.key).sort());
        const ownedRuleKeys = after.rules.filter((r) => owned.has(r.uuid)).map((r) => parseMarker(r.description)?.key);
        expect(ownedRuleKeys.sort()).toEqual(desired.rules.filter((d) => !conflicted.has(d.key)).map((d) => d.key).sort());
      }),
      { numRuns: 300 },
    );
  });
});
