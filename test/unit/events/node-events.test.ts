import { describe, expect, it } from "vitest";
import type { ApplyResult } from "../../../src/apply/apply.ts";
import type { PassReport } from "../../../src/controller/controller.ts";
import { nodeEvents } from "../../../src/controller/node-events.ts";
import type { DesiredState } from "../../../src/desired/types.ts";
import type { Plan } from "../../../src/plan/types.ts";
import { neighbor } from "../plan/helpers.ts";
import { passSettings } from "../../../src/desired/pass-config.ts";
import { makeConfig } from "../desired/fixtures.ts";

const { uuid: _u, ...spec } = neighbor("-", "10.0.20.11", "opnsense-bgp-agent:default node=worker-1");
const zero = { created: 0, updated: 0, deleted: 0, adopted: 0, released: 0 };

function report(parts: { written?: ApplyResult["written"]; failures?: ApplyResult["failures"]; conflicts?: Plan["conflicts"]; problems?: DesiredState["problems"] }): PassReport {
  const desired: DesiredState = { categoryName: "c", neighbors: [{ key: "node=worker-1", node: "worker-1", spec, ownAddress: true }], prefixRows: [], aliases: [], rules: [], problems: parts.problems ?? [], held: [], deletionGuard: null, lbAddresses: [], settings: passSettings(makeConfig(), { nodes: [], services: [] }) };
  const plan: Plan = { operations: [], conflicts: parts.conflicts ?? [], suppressed: [], unchanged: { neighbors: 0, prefixRows: 0, aliases: 0, rules: 0 }, actions: { frr: null, firewall: null, savepoint: false }, pendingReasons: [] };
  const applied: ApplyResult = {
    counts: { neighbor: zero, prefix: zero, alias: zero, rule: zero, category: zero },
    written: parts.written ?? [],
    failures: parts.failures ?? [],
    frrReconfigured: false,
    aliasesReloaded: false,
    filterApplied: false,
    lockout: null,
    firewallPending: null,
    frrPending: false,
    aborted: null,
    dryRun: false,
  };
  return { trigger: "t", result: "success", desired, plan, applied, error: null };
}

describe("nodeEvents", () => {
  it("a steady pass raises no events", () => {
    expect(nodeEvents(report({}))).toEqual([]);
  });

  it("names the node and what happened for creates, updates, adoptions and deletes", () => {
    const events = nodeEvents(
      report({
        written: [
          { kind: "create-neighbor", key: "node=worker-1", spec },
          { kind: "update-neighbor", key: "node=worker-1", uuid: "u", spec, changed: ["address"], adopt: false },
          { kind: "update-neighbor", key: "node=worker-1", uuid: "u", spec, changed: ["description"], adopt: true },
          { kind: "delete-neighbor", key: "node=gone", uuid: "u2", address: "10.0.20.99" },
          { kind: "release-neighbor", key: "node=was-adopted", uuid: "u3", spec, address: "10.0.20.98" },
          { kind: "create-prefix", key: "prefix-in deny-rest", uuid: "p", spec: { enabled: true, description: "", name: "x", version: "IPv4", seqnumber: 1, action: "deny", network: "0.0.0.0/0 le 32" } },
          { kind: "create-alias", key: "bgp-nodes", spec: { name: "k8s_bgp_nodes", type: "host", enabled: true, content: [], description: "" } },
        ],
      }),
    );
    expect(events.map((e) => [e.node, e.reason, e.message])).toEqual([
      ["worker-1", "BGPPeerConfigured", "OPNsense BGP neighbor 10.0.20.11 (remote AS 64555) created"],
      ["worker-1", "BGPPeerConfigured", "OPNsense BGP neighbor 10.0.20.11 updated (address)"],
      ["worker-1", "BGPPeerConfigured", "existing OPNsense BGP neighbor 10.0.20.11 adopted (ADOPT_EXISTING)"],
      ["gone", "BGPPeerRemoved", "OPNsense BGP neighbor 10.0.20.99 removed"],
      ["was-adopted", "BGPPeerRemoved", "adopted OPNsense BGP neighbor 10.0.20.98 handed back (marker removed, not deleted)"],
    ]);
  });

  it("warns about conflicts, skipped nodes and failed writes on the node they concern", () => {
    const events = nodeEvents(
      report({
        conflicts: [{ objectKind: "neighbor", key: "node=worker-2", subject: "worker-2", foreignUuid: "f", reason: "foreign neighbor 10.0.20.12" }],
        problems: [{ kind: "node", object: "no-ip", message: "no IPv4 InternalIP" }],
        failures: [{ target: "create-neighbor node=worker-1", error: "validation failed", kind: "validation", operation: { kind: "create-neighbor", key: "node=worker-1", spec } }],
      }),
    );
    expect(events.map((e) => [e.node, e.type, e.reason])).toEqual([
      ["worker-1", "Warning", "BGPPeerFailed"],
      ["worker-2", "Warning", "BGPPeerConflict"],
      ["no-ip", "Warning", "BGPPeerSkipped"],
    ]);
  });
});
