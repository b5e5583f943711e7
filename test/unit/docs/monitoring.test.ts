import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../../../src/server/metrics.ts";

const ROOT = join(import.meta.dirname, "../../..");
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");

/** Every series name the agent exports: its registry (histograms with their suffixes), default metrics included. */
async function exported(): Promise<Set<string>> {
  const metrics = await createMetrics({ defaultMetrics: true }).registry.getMetricsAsJSON();
  return new Set(
    metrics.flatMap((m) => {
      const type = String(m.type);
      if (type === "histogram") return ["_bucket", "_sum", "_count"].map((s) => m.name + s);
      if (type === "summary") return [m.name, `${m.name}_sum`, `${m.name}_count`];
      return [m.name];
    }),
  );
}

const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan"]);

/** Metric names in a PromQL expression: what is left after strings, matchers, ranges, grouping labels, functions and keywords. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  return [...bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\()?)/g)].filter((m) => m[1] === undefined && !KEYWORDS.has(m[0].toLowerCase())).map((m) => m[0]);
}

type Rule = { alert?: string; expr?: string; for?: string };
type RuleFile = { kind?: string; spec?: { groups?: { rules?: Rule[] }[] } };
type Dashboard = { panels?: { title?: string; targets?: { expr?: string }[] }[] };

describe("deploy/monitoring", () => {
  it("the PromQL helper finds metric names and nothing else", () => {
    expect(metricNames('sum by (result) (increase(opnsense_bgp_agent_sync_total{result="error"}[5m])) > 0 and on() up == 1')).toEqual(["opnsense_bgp_agent_sync_total", "up"]);
    expect(metricNames("time() - opnsense_bgp_agent_last_success_timestamp_seconds > 900")).toEqual(["opnsense_bgp_agent_last_success_timestamp_seconds"]);
  });

  it("alerts.yaml is a PrometheusRule with the promised alerts, over exported metrics only", async () => {
    const file = parse(read("deploy/monitoring/alerts.yaml")) as RuleFile;
    expect(file.kind).toBe("PrometheusRule");
    const rules = (file.spec?.groups ?? []).flatMap((g) => g.rules ?? []);
    const names = await exported();
    for (const r of rules) for (const m of metricNames(r.expr ?? "")) expect(names, `${r.alert}: ${m}`).toContain(m);
    const byName = new Map(rules.map((r) => [r.alert, r]));
    expect(byName.get("OpnsenseBgpSessionDown")).toMatchObject({ expr: "opnsense_bgp_agent_bgp_session_up == 0", for: "10m" });
    expect(byName.get("OpnsenseBgpAgentNoSuccessfulSync")?.expr).toContain("opnsense_bgp_agent_last_success_timestamp_seconds");
    for (const m of ["opnsense_bgp_agent_conflicts", "opnsense_bgp_agent_firewall_suspended", "opnsense_bgp_agent_deletion_guard_active", "opnsense_bgp_agent_owner_conflict"])
      expect(rules.some((r) => metricNames(r.expr ?? "").includes(m)), m).toBe(true);
  });

  it("dashboard.json is valid JSON whose panels query exported metrics only", async () => {
    const dash = JSON.parse(read("deploy/monitoring/dashboard.json")) as Dashboard;
    const names = await exported();
    const exprs = (dash.panels ?? []).flatMap((p) => (p.targets ?? []).map((t) => [p.title, t.expr ?? ""] as const));
    expect(exprs.length).toBeGreaterThan(5);
    for (const [title, expr] of exprs) {
      expect(metricNames(expr).length, `${title}: ${expr}`).toBeGreaterThan(0);
      for (const m of metricNames(expr)) expect(names, `${title}: ${m}`).toContain(m);
    }
    const all = exprs.map(([, e]) => e).join("\n");
    for (const m of ["bgp_session_up", "bgp_prefixes_received", "bgp_prefixes_accepted", "sync_total", "opnsense_requests_total", "opnsense_applies_total", "opnsense_writes_total"]) expect(all).toContain(`opnsense_bgp_agent_${m}`);
  });

  it("is not part of the default kustomization", () => {
    expect(read("deploy/kustomization.yaml")).not.toContain("monitoring");
  });
});
