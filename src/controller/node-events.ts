import type { NodeEvent } from "../cluster/events.ts";
import type { PassReport } from "./controller.ts";
import { mismatchMessage } from "../desired/cilium-check.ts";
import { nodeOfKey } from "../domain/ownership.ts";

export type { NodeEvent };

/**
 * The Events a pass should raise on Nodes (pure). Only changes and trouble make events: a steady
 * pass yields none, so the Event stream stays a history of what happened to each peer.
 */
export function nodeEvents(report: PassReport): NodeEvent[] {
  const out: NodeEvent[] = [];
  const nodeByKey = new Map((report.desired?.neighbors ?? []).map((n) => [n.key, n.node]));
  const node = (key: string) => nodeByKey.get(key) ?? nodeOfKey(key);

  for (const op of report.applied?.written ?? []) {
    if (op.kind === "create-neighbor")
      out.push({ node: node(op.key), type: "Normal", reason: "BGPPeerConfigured", message: `OPNsense BGP neighbor ${op.spec.address} (remote AS ${op.spec.remoteAs ?? "?"}) created` });
    else if (op.kind === "update-neighbor")
      out.push({
        node: node(op.key),
        type: "Normal",
        reason: "BGPPeerConfigured",
        message: op.adopt
          ? `existing OPNsense BGP neighbor ${op.spec.address} adopted (ADOPT_EXISTING)`
          : `OPNsense BGP neighbor ${op.spec.address} updated (${op.changed.join(", ")})`,
      });
    else if (op.kind === "delete-neighbor")
      out.push({ node: node(op.key), type: "Normal", reason: "BGPPeerRemoved", message: `OPNsense BGP neighbor ${op.address} removed` });
    else if (op.kind === "release-neighbor")
      out.push({ node: node(op.key), type: "Normal", reason: "BGPPeerRemoved", message: `adopted OPNsense BGP neighbor ${op.address} handed back (marker removed, not deleted)` });
  }
  for (const f of report.applied?.failures ?? []) {
    const op = f.operation;
    if (op && op.kind.endsWith("-neighbor") && "key" in op) out.push({ node: node(op.key), type: "Warning", reason: "BGPPeerFailed", message: `${op.kind} failed: ${f.error}` });
  }
  for (const c of report.plan?.conflicts ?? []) {
    if (c.objectKind === "neighbor") out.push({ node: c.subject, type: "Warning", reason: "BGPPeerConflict", message: `not peered: ${c.reason}` });
  }
  for (const p of report.desired?.problems ?? []) {
    if (p.kind === "node") out.push({ node: p.object, type: "Warning", reason: "BGPPeerSkipped", message: p.message });
  }
  out.push(...(report.sessionEvents ?? []));
  for (const m of report.mismatches ?? []) out.push({ node: m.node, type: "Warning", reason: "BGPConfigMismatch", message: mismatchMessage(m) });
  return out;
}
