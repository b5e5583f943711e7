import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { NO_SESSIONS_SEEN, NOT_RUNNING, downCauses, observeSessions, type DownFacts, type OwnedPeer } from "../../../src/controller/sessions.ts";
import type { BgpSessionsRead } from "../../../src/domain/types.ts";
import { parseBgpSummary } from "../../../src/opnsense/bgp-sessions.ts";

/** Summaries captured from real FRR in a lab (see test/unit/opnsense/fixtures/README.md). */
const summary = (name: string): BgpSessionsRead => ({
  ok: true,
  peers: parseBgpSummary(JSON.parse(readFileSync(new URL(`../opnsense/fixtures/${name}.json`, import.meta.url), "utf8")) as unknown),
});
const UP = summary("bgpsummary"); // .11, .12 Established; .13 Connect
const REMOVED = summary("bgpsummary-after-removal"); // .11 Established; .12 not run by FRR; .13 Active
const BGPD_DOWN = summary("bgpsummary-bgpd-down");
const UNAVAILABLE: BgpSessionsRead = { ok: false, reason: "forbidden (403)", privilege: "Routing (page-routing)" };

const owned = (...nodes: number[]): OwnedPeer[] => nodes.map((i) => ({ key: `node=worker-${i}`, node: `worker-${i}`, family: "ipv4", address: `10.0.20.1${i}`, remoteAs: 64555 }));
const WARN = 300_000;
const T0 = 1_800_000_000_000;

describe("observeSessions", () => {
  test("the first reading is a baseline: states, counts and numbers, but no Events", () => {
    const o = observeSessions(NO_SESSIONS_SEEN, owned(1, 2, 3), UP, T0, WARN);
    expect(o.events).toEqual([]);
    expect(o.counts).toEqual({ established: 2, notEstablished: 1 });
    expect(o.sessions?.map((s) => [s.node, s.state, s.prefixesReceived, s.prefixesAccepted, s.uptimeMs])).toEqual([
      ["worker-1", "Established", 1, 1, 36000],
      ["worker-2", "Established", 2, 2, 36000],
      ["worker-3", "Connect", 0, 0, 0],
    ]);
    // An Established session's last change is when it came up, not when the agent looked.
    expect(o.sessions?.[0]?.lastChangeAt).toBe(T0 - 36000);
    expect(o.nextWarnAt).toBe(T0 + WARN);
  });

  test("down and back up are Events; a neighbor FRR does not run is NotRunning", () => {
    const first = observeSessions(NO_SESSIONS_SEEN, owned(1, 2, 3), UP, T0, WARN);
    const down = observeSessions(first.memory, owned(1, 2, 3), REMOVED, T0 + 1000, WARN);
    expect(down.events).toEqual([{ node: "worker-2", type: "Warning", reason: "BGPSessionDown", message: "OPNsense's BGP session with 10.0.20.12 went down (FRR state NotRunning)" }]);
    expect(down.sessions?.find((s) => s.node === "worker-2")).toMatchObject({ state: NOT_RUNNING, established: false, prefixesReceived: 0, downSince: T0 + 1000, lastChangeAt: T0 + 1000 });
    const steady = observeSessions(down.memory, owned(1, 2, 3), REMOVED, T0 + 2000, WARN);
    expect(steady.events).toEqual([]);
    const back = observeSessions(steady.memory, owned(1, 2, 3), UP, T0 + 3000, WARN);
    expect(back.events).toEqual([{ node: "worker-2", type: "Normal", reason: "BGPSessionEstablished", message: "OPNsense's BGP session with 10.0.20.12 is Established (prefixes received: 2)" }]);
  });

  test("after the baseline, a new node's session coming up is an Event; one that never came up raises no BGPSessionDown", () => {
    const first = observeSessions(NO_SESSIONS_SEEN, owned(1), UP, T0, WARN);
    const added = observeSessions(first.memory, owned(1, 2, 3), UP, T0 + 1000, WARN);
    expect(added.events.map((e) => [e.node, e.reason])).toEqual([["worker-2", "BGPSessionEstablished"]]);
  });

  test("a session down for SESSION_DOWN_WARN is reported once per down period", () => {
    let o = observeSessions(NO_SESSIONS_SEEN, owned(3), UP, T0, WARN);
    o = observeSessions(o.memory, owned(3), UP, T0 + WARN - 1, WARN);
    expect(o.downTooLong).toEqual([]);
    expect(o.nextWarnAt).toBe(T0 + WARN);
    o = observeSessions(o.memory, owned(3), REMOVED, T0 + WARN, WARN);
    expect(o.downTooLong).toEqual([{ node: "worker-3", address: "10.0.20.13", state: "Active", downForMs: WARN }]);
    expect(o.nextWarnAt).toBeNull();
    o = observeSessions(o.memory, owned(3), REMOVED, T0 + 2 * WARN, WARN);
    expect(o.downTooLong).toEqual([]);
  });

  test("a node that is gone is forgotten; a changed address starts afresh", () => {
    const first = observeSessions(NO_SESSIONS_SEEN, owned(1, 2), UP, T0, WARN);
    const gone = observeSessions(first.memory, owned(1), UP, T0 + 1000, WARN);
    expect([...gone.memory.peers.keys()]).toEqual(["node=worker-1"]);
    const moved = observeSessions(gone.memory, [{ key: "node=worker-1", node: "worker-1", family: "ipv4", address: "10.0.20.12", remoteAs: 64555 }], UP, T0 + 2000, WARN);
    expect(moved.events.map((e) => e.reason)).toEqual(["BGPSessionEstablished"]);
  });

  test("a node with an IPv4 and an IPv6 neighbor has two sessions, remembered apart", () => {
    const v6: BgpSessionsRead = {
      ok: true,
      peers: new Map([
        ["10.0.20.11", { address: "10.0.20.11", state: "Established", remoteAs: 64555, uptimeMs: 1000, prefixesReceived: 1, description: null }],
        ["fd00:20::11", { address: "fd00:20::11", state: "Active", remoteAs: 64555, uptimeMs: 0, prefixesReceived: 0, description: null }],
      ]),
    };
    const both: OwnedPeer[] = [
      { key: "node=worker-1", node: "worker-1", family: "ipv4", address: "10.0.20.11", remoteAs: 64555 },
      { key: "node=worker-1 ipv6", node: "worker-1", family: "ipv6", address: "fd00:20::11", remoteAs: 64555 },
    ];
    const first = observeSessions(NO_SESSIONS_SEEN, both, v6, T0, WARN);
    expect(first.sessions?.map((s) => [s.node, s.family, s.state])).toEqual([
      ["worker-1", "ipv4", "Established"],
      ["worker-1", "ipv6", "Active"],
    ]);
    const up = new Map(v6.ok ? v6.peers : []);
    up.set("fd00:20::11", { address: "fd00:20::11", state: "Established", remoteAs: 64555, uptimeMs: 10, prefixesReceived: 1, description: null });
    const second = observeSessions(first.memory, both, { ok: true, peers: up }, T0 + 1000, WARN);
    expect(second.events.map((e) => [e.node, e.reason, e.message])).toEqual([
      ["worker-1", "BGPSessionEstablished", "OPNsense's BGP session with fd00:20::11 is Established (prefixes received: 1)"],
    ]);
  });

  test("bgpd down: every owned neighbor is NotRunning (known, not unknown)", () => {
    const o = observeSessions(NO_SESSIONS_SEEN, owned(1, 2), BGPD_DOWN, T0, WARN);
    expect(o.counts).toEqual({ established: 0, notEstablished: 2 });
    expect(o.sessions?.every((s) => s.state === NOT_RUNNING)).toBe(true);
  });

  test("unreadable sessions: unknown, no Events, and the memory survives for the next reading", () => {
    const first = observeSessions(NO_SESSIONS_SEEN, owned(1, 2), UP, T0, WARN);
    const blind = observeSessions(first.memory, owned(1, 2), UNAVAILABLE, T0 + 1000, WARN);
    expect(blind).toMatchObject({ sessions: null, counts: null, events: [], downTooLong: [] });
    const back = observeSessions(blind.memory, owned(1, 2), REMOVED, T0 + 2000, WARN);
    expect(back.events.map((e) => [e.node, e.reason])).toEqual([["worker-2", "BGPSessionDown"]]);
  });
});

describe("downCauses", () => {
  const healthy: DownFacts = { address: "10.0.20.13", state: "Active", firewallSuspended: false, bgpRulePresent: true, addressInNodeTable: true, updateSource: { interface: "lan", networks: ["10.0.20.0/24"] } };

  test("nothing visible: points at the node's side", () => {
    expect(downCauses(healthy)).toEqual([expect.stringMatching(/^nothing wrong is visible on OPNsense/)]);
  });

  test("each visible cause is named", () => {
    expect(downCauses({ ...healthy, bgpRulePresent: false })).toEqual(["the TCP 179 pass rule for the nodes is not in place yet"]);
    expect(downCauses({ ...healthy, firewallSuspended: true, bgpRulePresent: false })[0]).toMatch(/suspended after a lockout undo/);
    expect(downCauses({ ...healthy, addressInNodeTable: false })[0]).toMatch(/not in pf's node table/);
    expect(downCauses({ ...healthy, state: NOT_RUNNING })[0]).toMatch(/FRR does not run it/);
    expect(downCauses({ ...healthy, address: "10.0.30.5" })).toEqual([
      "update-source lan has network 10.0.20.0/24, which does not contain 10.0.30.5: FRR's own connection attempts leave from the wrong address, so only sessions the node opens can come up",
    ]);
  });

  test("unknown facts accuse nothing", () => {
    expect(downCauses({ ...healthy, address: "10.0.30.5", addressInNodeTable: null, updateSource: { interface: "lan", networks: null } })).toHaveLength(1);
    expect(downCauses({ ...healthy, address: "10.0.30.5", updateSource: null })[0]).toMatch(/^nothing wrong/);
  });
});
