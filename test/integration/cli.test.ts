import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startKubeFake, type KubeFake } from "../fakes/kube-apiserver/index.ts";
import { DEFAULT_API_SECRET, startOpnsenseSimulator, type Simulator } from "../fakes/opnsense/index.ts";
import { actionCalls, neighbors, writeCalls } from "./helpers.ts";
import { baseEnv } from "./world.ts";

const MAIN = join(import.meta.dirname, "../../src/main.ts");

type Result = { code: number | null; stdout: string; stderr: string };

/** The CLI as a process, as `npx opnsense-bgp-agent …` runs it. */
function cli(args: string[], env: Record<string, string>): Promise<Result> {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env["PATH"] ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

describe("the CLI against the fakes", () => {
  let sim: Simulator;
  let kube: KubeFake;
  let env: Record<string, string>;
  const worker = (name: string, ip: string) => kube.control.createNode({ name, labels: { "homelab/role": "worker" }, addresses: [{ type: "InternalIP", address: ip }] });

  beforeEach(async () => {
    sim = await startOpnsenseSimulator({ version: "26.1.11", authFailDelayMs: 0 });
    kube = await startKubeFake({});
    worker("worker-1", "10.0.20.11");
    worker("worker-2", "10.0.20.12");
    const dir = mkdtempSync(join(tmpdir(), "agent-cli-"));
    writeFileSync(join(dir, "kubeconfig"), kube.kubeconfig());
    env = { ...baseEnv(sim), OPNSENSE_API_SECRET: DEFAULT_API_SECRET, KUBECONFIG: join(dir, "kubeconfig"), LB_ADDRESSES: "10.96.0.0/24", LOG_LEVEL: "info" };
  });
  afterEach(async () => {
    await sim.close();
    await kube.close();
  });

  it("plan and run --once see what the agent sees: Cilium's pools count as LB prefixes", async () => {
    const pool = { apiVersion: "cilium.io/v2", kind: "CiliumLoadBalancerIPPool", metadata: { name: "blue" }, spec: { blocks: [{ cidr: "10.97.0.0/24" }] } };
    kube.control.create("ciliumloadbalancerippools", pool);
    expect((await cli(["check"], env)).stdout).toMatch(/^ok +cilium +1 pool\(s\) used as LB prefixes; /m);
    const ran = await cli(["run", "--once"], env);
    expect(ran.code).toBe(0);
    expect(Object.values(sim.control.state().prefixlists).map((r) => r["network"]).sort()).toEqual(["0.0.0.0/0 le 32", "10.96.0.0/24 le 32", "10.97.0.0/24 le 32"]);
    // A second look changes nothing: the pool is not planned away.
    const planned = await cli(["plan"], env);
    expect(planned.stdout).not.toContain("delete");
    expect(planned.code).toBe(0);
  });

  it("check: passes on a usable router and cluster (exit 0), names a missing privilege and exits 1, as text and as JSON", async () => {
    const good = await cli(["check"], env);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^ok +opnsense +http:\/\/127\.0\.0\.1:\d+ answers; credentials accepted$/m);
    // What was found on the simulator's 26.1.11, not a release guessed from it.
    expect(good.stdout).toMatch(/^ok +features +statetype: yes, direction any: yes, savepoint: yes, server rollback: no, peer groups: yes, remote_as_mode: yes, descriptions in frr\.conf: yes$/m);
    expect(good.stdout).toMatch(/^ok +interfaces +FIREWALL_INTERFACE=lan, BGP_UPDATE_SOURCE=lan$/m);
    expect(good.stdout).toMatch(/^ok +kubernetes +2 nodes match NODE_SELECTOR=homelab\/role=worker$/m);
    expect(good.stdout).toMatch(/^ok +cilium +0 pool\(s\) used as LB prefixes; 0 BGP config\(s\) cross-checked$/m);
    expect(good.stdout).not.toContain('"level"');

    sim.control.setPrivileges(["page-routing", "page-firewall-alias-edit", "page-firewall-categories", "page-diagnostics-tables"]);
    const bad = await cli(["check"], env);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAIL +opnsense +The API user lacks the privilege "Firewall: Rules \[new\]/m);

    const json = await cli(["check", "--json"], env);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as { ok: boolean; items: { name: string; ok: boolean; detail: string }[] };
    expect(parsed.ok).toBe(false);
    expect(parsed.items.find((i) => !i.ok)?.detail).toContain("page-filter-api");
    expect(parsed.items.find((i) => i.name === "kubernetes")?.ok).toBe(true);
  });

  it("check: an unknown interface is a failure naming the setting", async () => {
    const r = await cli(["check"], { ...env, FIREWALL_INTERFACE: "lan2" });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FIREWALL_INTERFACE: "lan2" is not an interface of this OPNsense');
  });

  it("plan never writes and exits 2 with the pending operations; run --once applies them (exit 0); then plan exits 0", async () => {
    const first = await cli(["plan"], { ...env, DRY_RUN: "false" });
    expect(first.code).toBe(2);
    expect(first.stdout).toMatch(/^create +neighbor +node=worker-1 +10\.0\.20\.11 +\(new\)$/m);
    expect(first.stdout).toMatch(/^create +alias +bgp-nodes +k8s_bgp_nodes +\(new\)$/m);
    expect(first.stdout).toContain("Then: reconfigure FRR, reload aliases (and rules).");
    expect(writeCalls(sim)).toEqual([]);
    expect(actionCalls(sim)).toEqual([]);
    expect(neighbors(sim)).toEqual([]);

    const run = await cli(["run", "--once"], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('"msg":"sync complete"');
    expect(neighbors(sim).map((n) => n["address"])).toEqual(["10.0.20.11", "10.0.20.12"]);

    sim.control.clearLog();
    const steady = await cli(["plan"], env);
    expect(steady.code).toBe(0);
    expect(steady.stdout).toContain("Nothing to do.");
    expect(writeCalls(sim)).toEqual([]);

    worker("worker-3", "10.0.20.13");
    const next = await cli(["plan"], env);
    expect(next.code).toBe(2);
    expect(next.stdout).toMatch(/^update +alias +bgp-nodes +k8s_bgp_nodes +content$/m);
    expect(next.stdout).toMatch(/^create +neighbor +node=worker-3 /m);
    expect(writeCalls(sim)).toEqual([]);
  });

  it("plan and run --once exit 1 when the pass fails", async () => {
    sim.control.setPrivileges(["page-filter-api", "page-firewall-alias-edit", "page-firewall-categories"]);
    const plan = await cli(["plan"], env);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toMatch(/^plan failed: OPNsense preflight failed:\n- The API user lacks the privilege "Routing"/m);
    const run = await cli(["run", "--once"], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('"msg":"sync failed"');
  });

  it("rejects an unknown command or argument with the usage (exit 1) and reports configuration errors in plain text", async () => {
    const unknown = await cli(["deploy"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown command deploy");
    expect(unknown.stderr).toContain("usage: opnsense-bgp-agent");
    expect((await cli(["run"], env)).code).toBe(1);
    expect((await cli(["plan", "--force"], env)).stderr).toContain("plan: unknown argument --force");
    const invalid = await cli(["check"], { ...env, BGP_REMOTE_ASN: "abc" });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^invalid configuration:\n {2}BGP_REMOTE_ASN/);
  });
});
