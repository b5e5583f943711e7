import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeFake, type KubeFake } from "../fakes/kube-apiserver/index.ts";
import { DEFAULT_API_SECRET, startOpnsenseSimulator, type Simulator } from "../fakes/opnsense/index.ts";
import { waitFor } from "../helpers/wait.ts";
import { baseEnv } from "./world.ts";
import pkg from "../../package.json" with { type: "json" };

const MAIN = join(import.meta.dirname, "../../src/main.ts");

/** A port nobody listens on right now (so parallel test runs do not collide). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

type Run = { code: number | null; out: string; kill(signal: NodeJS.Signals): void; exited: Promise<number | null>; output(): string };

function run(env: Record<string, string>): Run {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env["PATH"] ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const r: Run = {
    code: null,
    out: "",
    kill: (s) => child.kill(s),
    exited: new Promise((resolve) => child.on("exit", (code) => resolve((r.code = code)))),
    output: () => out,
  };
  return r;
}

describe("the agent process", () => {
  it("reports every configuration error at once, each naming its variable, and exits 1", async () => {
    const p = run({ BGP_REMOTE_ASN: "abc", POLICY: "yolo", SYNC_INTERVAL: "5 minutes", OPNSENSE_API_KEY: "k" });
    expect(await p.exited).toBe(1);
    const out = p.output();
    for (const name of ["OPNSENSE_URL", "OPNSENSE_API_SECRET", "BGP_REMOTE_ASN", "POLICY", "SYNC_INTERVAL"]) expect(out).toContain(name);
  });

  describe("with the fakes", () => {
    let sim: Simulator;
    let kube: KubeFake;
    let env: Record<string, string>;
    let port = 0;
    beforeAll(async () => {
      sim = await startOpnsenseSimulator({ version: "26.1.11", authFailDelayMs: 0 });
      kube = await startKubeFake({});
      kube.control.createNode({ name: "worker-1", labels: { "homelab/role": "worker" }, addresses: [{ type: "InternalIP", address: "10.0.20.11" }] });
      const dir = mkdtempSync(join(tmpdir(), "agent-proc-"));
      writeFileSync(join(dir, "kubeconfig"), kube.kubeconfig());
      writeFileSync(join(dir, "secret"), `${DEFAULT_API_SECRET}\n`);
      const { OPNSENSE_API_SECRET: _s, ...rest } = baseEnv(sim);
      port = await freePort();
      env = { ...rest, OPNSENSE_API_SECRET_FILE: join(dir, "secret"), KUBECONFIG: join(dir, "kubeconfig"), HTTP_PORT: String(port), LOG_LEVEL: "debug" };
    });
    afterAll(async () => {
      await sim.close();
      await kube.close();
    });

    it("syncs, serves health and metrics, exits 0 on SIGTERM, and never prints the secret", async () => {
      const p = run(env);
      await waitFor(() => p.output().includes('"msg":"sync complete"'), "first sync", 20_000);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/opnsense_bgp_agent_sync_total\{result="success"\} 1/);
      expect(metrics).toMatch(/opnsense_bgp_agent_opnsense_requests_total\{endpoint="quagga\/bgp\/get",code="200"\}/);
      // Standard process metrics under their standard names, so stock dashboards work.
      for (const name of ["process_resident_memory_bytes", "process_cpu_seconds_total", "nodejs_heap_size_used_bytes", "nodejs_eventloop_lag_seconds"]) expect(metrics).toMatch(new RegExp(`^${name} `, "m"));
      expect(metrics).not.toMatch(/^opnsense_bgp_agent_(process|nodejs)_/m);
      expect(metrics).toContain(`opnsense_bgp_agent_build_info{version="${pkg.version}",node_version="${process.version}"} 1`);
      expect(metrics).toMatch(/^opnsense_bgp_agent_leader 1$/m);
      p.kill("SIGTERM");
      expect(await p.exited).toBe(0);
      expect(p.output()).toContain('"msg":"stopped"');
      expect(p.output()).not.toContain(DEFAULT_API_SECRET);
      expect(Object.keys(sim.control.state().neighbors)).toHaveLength(1);
    });
  });
});
