/**
 * `npm run cli-examples`: runs the CLI commands against the in-repo fakes (Kubernetes API server,
 * OPNsense 26.1.11 simulator) and prints each command with its real output and exit code — the
 * examples in the README come from here.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startKubeFake } from "../test/fakes/kube-apiserver/index.ts";
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, startOpnsenseSimulator } from "../test/fakes/opnsense/index.ts";

const MAIN = join(import.meta.dirname, "../src/main.ts");

async function main(): Promise<void> {
  const sim = await startOpnsenseSimulator({ version: "26.1.11", authFailDelayMs: 0 });
  const kube = await startKubeFake({});
  const dir = mkdtempSync(join(tmpdir(), "cli-examples-"));
  writeFileSync(join(dir, "kubeconfig"), kube.kubeconfig());
  const worker = (name: string, ip: string) => kube.control.createNode({ name, labels: { "homelab/role": "worker" }, addresses: [{ type: "InternalIP", address: ip }] });
  worker("worker-1", "10.0.20.11");
  worker("worker-2", "10.0.20.12");
  const env = {
    PATH: process.env["PATH"] ?? "",
    KUBECONFIG: join(dir, "kubeconfig"),
    OPNSENSE_URL: sim.url,
    OPNSENSE_API_KEY: DEFAULT_API_KEY,
    OPNSENSE_API_SECRET: DEFAULT_API_SECRET,
    BGP_REMOTE_ASN: "64555",
    BGP_UPDATE_SOURCE: "lan",
    LB_ADDRESSES: "10.96.0.0/24",
    LEADER_ELECTION: "false",
  };
  // Asynchronously: this process serves the fakes the CLI talks to.
  const run = async (args: string[]): Promise<void> => {
    const child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    console.log(`$ opnsense-bgp-agent ${args.join(" ")}\n${out.trimEnd()}\n(exit ${code})\n`);
  };

  await run(["check"]);
  await run(["plan"]);
  await run(["run", "--once"]);
  await run(["plan"]);
  worker("worker-3", "10.0.20.13");
  kube.control.deleteNode("worker-2");
  await run(["plan"]);
  sim.control.setPrivileges(["page-routing", "page-firewall-alias-edit", "page-firewall-categories"]);
  await run(["check"]);
  await run(["check", "--json"]);
  await sim.close();
  await kube.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
