import type { PassReport } from "../controller/controller.ts";
import { describeOperation } from "../apply/describe.ts";
import { FIRST_PASS_REAPPLY } from "../plan/index.ts";
import type { Operation } from "../plan/types.ts";
import { table } from "./table.ts";

export type PlanOutcome = { readonly text: string; readonly exitCode: 0 | 1 | 2 };

/** What identifies the object besides its key: the address or name an operator recognises. */
function subject(op: Operation): string {
  const d = describeOperation(op);
  const value = d["address"] ?? d["name"] ?? d["network"] ?? "";
  return typeof value === "string" ? value : value.join(",");
}

function changed(op: Operation): string {
  if (op.kind.startsWith("create-")) return "(new)";
  if (op.kind.startsWith("delete-")) return "(removed)";
  if (op.kind === "release-neighbor") return "(handed back)";
  const c = describeOperation(op)["changed"];
  return Array.isArray(c) ? c.join(", ") : "";
}

/**
 * `plan`'s answer: the writes and applies a pass would make, then what it reported. Exit 2 when
 * anything would be written or applied, 0 when nothing, 1 when the pass failed.
 */
export function renderPlan(report: PassReport): PlanOutcome {
  const out: string[] = [];
  const plan = report.plan;
  if (report.result === "error" || plan === null) {
    out.push(`plan failed: ${report.error ?? "no plan was computed"}`);
    return { text: out.join("\n"), exitCode: 1 };
  }
  const ops = plan.operations;
  // The first pass after a start re-applies the agent's rules as a precaution; a plan is not a start.
  const reasons = plan.pendingReasons.filter((r) => r !== FIRST_PASS_REAPPLY);
  const { frr, firewall } = plan.actions;
  const applies = [
    ...(frr !== null ? ["reconfigure FRR"] : []),
    ...(firewall?.action === "aliases" ? ["reload aliases (and rules)"] : []),
    ...(firewall?.action === "filter" && ops.some((o) => o.kind.endsWith("-rule")) ? ["apply firewall rules"] : []),
  ];
  const pending = ops.length > 0 || applies.length > 0;
  if (ops.length > 0) {
    out.push(table(["OPERATION", "OBJECT", "KEY", "SUBJECT", "CHANGED"], ops.map((op) => {
      const d = describeOperation(op);
      return [op.kind.split("-")[0] ?? op.kind, String(d["object"]), op.kind === "create-category" ? op.name : op.key, subject(op), changed(op)];
    })));
  } else out.push("No writes: OPNsense matches the cluster.");
  if (applies.length > 0) out.push("", `Then: ${applies.join(", ")}.`);
  for (const r of reasons) out.push(`  because: ${r}`);
  const u = plan.unchanged;
  out.push("", `Unchanged: ${u.neighbors} neighbors, ${u.prefixRows} prefix rows, ${u.aliases} aliases, ${u.rules} rules.`);
  const desired = report.desired;
  if (desired && desired.held.length > 0) out.push(`Kept although no node asks for them: ${desired.held.map((h) => `${h.key} (${h.reason})`).join(", ")}.`);
  if (desired?.deletionGuard) out.push(`Deletions held back: ${desired.deletionGuard.message}`);
  for (const p of desired?.problems ?? []) out.push(`Problem (${p.kind} ${p.object}): ${p.message}`);
  for (const c of plan.conflicts) out.push(`Conflict (${c.objectKind} ${c.key}): ${c.reason}`);
  for (const s of plan.suppressed) out.push(`Suppressed by POLICY=${s.policy}: ${s.operation.kind} ${describeOperation(s.operation)["key"] ?? ""}`);
  out.push("", pending ? `${ops.length} write${ops.length === 1 ? "" : "s"} pending${applies.length ? ` and ${applies.length} apply step${applies.length === 1 ? "" : "s"}` : ""}.` : "Nothing to do.");
  return { text: out.join("\n"), exitCode: pending ? 2 : 0 };
}
