// The README's "Cilium + OPNsense" examples, applied with the real kubectl to the Kubernetes fake,
// with the agent's defaults: the pool becomes the accepted routes, and the only mismatch reported
// is the one the README tells the router's owner to fix on OPNsense (graceful restart).
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { neighbors } from "./helpers.ts";
import { startWorld, type World } from "./world.ts";

const run = promisify(execFile);
const hasKubectl = spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0;

/** The YAML blocks of the README section `## Cilium + OPNsense`, in order. */
function readmeExamples(): string[] {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const start = readme.indexOf("## Cilium + OPNsense");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 3));
  return [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
}

let w: World;
let dir = "";
afterEach(async () => {
  await w?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function kubectlApply(world: World, yaml: string): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), "cilium-readme-"));
  writeFileSync(join(dir, "kubeconfig"), world.kube.kubeconfig());
  writeFileSync(join(dir, "cilium.yaml"), yaml);
  const env = { ...process.env, HOME: dir, KUBECONFIG: join(dir, "kubeconfig") };
  const r = await run("kubectl", ["--cache-dir", join(dir, "cache"), "apply", "-f", join(dir, "cilium.yaml")], { env, encoding: "utf8" });
  return r.stdout;
}

describe.skipIf(!hasKubectl)(`README: Cilium + OPNsense${hasKubectl ? "" : " (skipped: kubectl is not on PATH)"}`, () => {
  it("has a v2 and a v2alpha1 example", () => {
    const [v2, v2alpha1] = readmeExamples();
    expect(v2).toContain("kind: CiliumBGPClusterConfig");
    expect(v2alpha1).toContain("kind: CiliumBGPPeeringPolicy");
  });

  it.each([0, 1])("example %i applies with kubectl and matches the agent's defaults (iBGP 64555, timers, the pool as accepted routes)", async (i) => {
    // The agent's defaults plus the README's timers; no LB_ADDRESSES and no BGP_REMOTE_ASN: both come from Cilium.
    w = await startWorld({ agent: false, env: { BGP_REMOTE_ASN: "", BGP_KEEPALIVE: "30", BGP_HOLDDOWN: "90" } });
    w.sim.control.setBgp({ routerid: "10.0.20.1", asnumber: "64555" });
    w.addWorker("worker-1", "10.0.20.11");
    const pool = readmeExamples()[0]?.split("---")[0] ?? "";
    const example = readmeExamples()[i] ?? "";
    const out = await kubectlApply(w, i === 0 ? example : `${pool}---\n${example}`);
    expect(out).toMatch(/created/);
    await w.startAgent();
    await w.settle(() => neighbors(w.sim).length === 1 && Object.keys(w.sim.control.state().prefixlists).length === 2, "peered with the pool as filter");
    expect(Object.values(w.sim.control.state().prefixlists).map((r) => r["network"])).toContain("10.96.0.0/24 le 32");
    expect(w.logs.withMsg("BGP settings in effect")[0]).toMatchObject({ peering: "iBGP", remoteAsn: 64555 });
    // OPNsense's graceful restart is off in a fresh install: the one thing left to align.
    expect(w.logs.withMsg("BGP config mismatch").map((l) => l["kind"])).toEqual(["graceful-restart"]);

    w.sim.control.setBgp({ graceful: "1" });
    await w.agent?.controller.runNow("resync", { fresh: true });
    expect(w.logs.withMsg("BGP config mismatch resolved").map((l) => l["kind"])).toEqual(["graceful-restart"]);
  });
});
