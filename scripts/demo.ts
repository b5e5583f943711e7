/**
 * `npm run demo`: the agent against the in-repo fakes (a Kubernetes API server and an OPNsense 26.1.11
 * simulator), showing its own sync log and then what the router holds.
 *
 * Story: two labelled workers and a control-plane node exist; a hand-made neighbor is already on the
 * router. The agent starts and syncs; a third worker is enrolled (`kubectl label` when kubectl is
 * installed); another is unlabelled; a LoadBalancer Service appears and is removed again.
 */
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { KubeConfig } from "@kubernetes/client-node";
import { startAgent } from "../src/agent.ts";
import { loadConfig } from "../src/config/index.ts";
import type { PassReport } from "../src/controller/controller.ts";
import { createLogger } from "../src/log.ts";
import { mismatchMessage } from "../src/desired/cilium-check.ts";
import { renderStatusText } from "../src/server/status.ts";
import { startKubeFake } from "../test/fakes/kube-apiserver/index.ts";
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, startOpnsenseSimulator } from "../test/fakes/opnsense/index.ts";

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

function step(title: string): void {
  console.log(`\n${bold(`━━ ${title}`)}`);
}

/** The agent's JSON log lines, printed as they come (info and above). */
class LogPrinter extends Writable {
  override _write(chunk: Buffer, _e: string, cb: () => void): void {
    for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) console.log(dim("agent │ ") + line);
    cb();
  }
}

function table(rows: Record<string, string>[], columns: string[]): void {
  if (rows.length === 0) {
    console.log("  (none)");
    return;
  }
  const width = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: string[]) => "  " + cells.map((c, i) => c.padEnd(width[i] ?? 0)).join("  ");
  console.log(bold(line(columns)));
  for (const r of rows) console.log(line(columns.map((c) => r[c] ?? "")));
}

async function main(): Promise<void> {
  const sim = await startOpnsenseSimulator({ version: "26.1.11", authFailDelayMs: 0 });
  const kube = await startKubeFake({});
  const dir = mkdtempSync(join(tmpdir(), "opnsense-bgp-agent-demo-"));
  const kubeconfigPath = join(dir, "kubeconfig");
  writeFileSync(kubeconfigPath, kube.kubeconfig());
  const kubectl = spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0;

  const node = (name: string, ip: string, worker: boolean) =>
    kube.control.createNode({
      name,
      labels: worker ? { "homelab/role": "worker" } : { "node-role.kubernetes.io/control-plane": "" },
      addresses: [
        { type: "InternalIP", address: ip },
        { type: "Hostname", address: name },
      ],
    });
  node("cp-1", "10.0.20.10", false);
  node("worker-1", "10.0.20.11", true);
  node("worker-2", "10.0.20.12", true);
  node("worker-3", "10.0.20.13", false);
  kube.control.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "apps" } });
  sim.control.seedNeighbor({ address: "192.168.1.254", remoteas: "65000", description: "upstream ISP (hand-made)", enabled: "1" });

  // A Cilium BGP peering policy with a deliberately wrong local AS (the agent writes 64555).
  const ciliumPolicy = {
    apiVersion: "cilium.io/v2alpha1",
    kind: "CiliumBGPPeeringPolicy",
    metadata: { name: "opnsense" },
    spec: {
      nodeSelector: { matchLabels: { "homelab/role": "worker" } },
      virtualRouters: [{ localASN: 64600, neighbors: [{ peerAddress: "10.0.20.1/32", peerASN: 64555 }] }],
    },
  };
  const ciliumPolicyJson = JSON.stringify(ciliumPolicy);
  const ciliumPolicyFile = join(dir, "cilium-policy.json");
  writeFileSync(ciliumPolicyFile, ciliumPolicyJson);
  sim.control.setBgp({ routerid: "10.0.20.1" });

  step("Setup");
  console.log(`  Kubernetes API fake   ${kube.url}   nodes: cp-1, worker-1 and worker-2 (labelled homelab/role=worker), worker-3 (not labelled)`);
  console.log(`  OPNsense 26.1.11 sim  ${sim.url}   one hand-made neighbor (192.168.1.254) the agent must leave alone`);
  console.log("  LB pool               10.96.0.0/24: the only prefixes the nodes may announce to the router");

  const loaded = loadConfig({
    OPNSENSE_URL: sim.url,
    OPNSENSE_API_KEY: DEFAULT_API_KEY,
    OPNSENSE_API_SECRET: DEFAULT_API_SECRET,
    BGP_REMOTE_ASN: "64555",
    BGP_UPDATE_SOURCE: "lan",
    LB_CLIENT_NETWORKS: "interface=lan source=lan asymmetric=true",
    DEBOUNCE: "300ms",
    // The demo makes one change per step and waits for it; the rate limit would only slow it down.
    MIN_APPLY_INTERVAL: "0s",
    // …and so would the removal grace (a node that leaves keeps its neighbor this long).
    REMOVAL_GRACE: "0s",
    // The LB pool: the only prefixes the nodes may announce (the agent's inbound prefix list).
    LB_ADDRESSES: "10.96.0.0/24",
    SYNC_INTERVAL: "5m",
    LEADER_ELECTION: "false",
    LOG_LEVEL: "info",
  });
  if (!loaded.ok) throw new Error(loaded.errors.join("\n"));
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  let passes: PassReport[] = [];
  let waiter: (() => void) | null = null;
  const nextPass = () => new Promise<void>((r) => (waiter = r));

  step("The agent starts (its own log follows: one JSON line per event, one \"sync complete\" line per pass)");
  const firstPass = nextPass();
  const agent = await startAgent({
    config: { ...loaded.config, httpPort: 0 },
    logger: createLogger("info", new LogPrinter()),
    kubeConfig: kc,
    tuning: {
      defaultMetrics: false,
      onPass: (p) => {
        passes.push(p);
        console.log(bold(`  → ${describePass(p)}`));
        waiter?.();
      },
    },
  });
  await firstPass;
  await agent.controller.idle();

  const change = async (title: string, kubectlArgs: string[], fallback: () => void) => {
    step(title);
    const pass = nextPass();
    if (kubectl) {
      console.log(dim(`  $ kubectl ${kubectlArgs.join(" ")}`));
      // Asynchronously: the fake API server answering kubectl runs in this very process.
      try {
        const r = await promisify(execFile)("kubectl", ["--kubeconfig", kubeconfigPath, "--cache-dir", join(dir, "cache"), ...kubectlArgs], { encoding: "utf8" });
        process.stdout.write(r.stdout.replace(/^(?=.)/gm, "  "));
      } catch (err) {
        console.log(`  kubectl failed (${String(err).split("\n")[0]}); using the fake's control API instead`);
        fallback();
      }
    } else {
      console.log(dim("  (kubectl not installed: changing the fake through its control API)"));
      fallback();
    }
    await pass;
    await agent.controller.idle();
  };

  await change("Enroll worker-3", ["label", "node", "worker-3", "homelab/role=worker"], () => kube.control.labelNode("worker-3", "homelab/role", "worker"));
  await change("Unlabel worker-1", ["label", "node", "worker-1", "homelab/role-"], () => kube.control.labelNode("worker-1", "homelab/role", null));
  await change(
    "worker-3's kubelet tries to peer as worker-2 (annotates worker-2's address): refused, worker-3 keeps its own neighbor",
    ["annotate", "node", "worker-3", "opnsense-bgp-agent/address=10.0.20.12"],
    () => kube.control.annotateNode("worker-3", "opnsense-bgp-agent/address", "10.0.20.12"),
  );

  step("The nodes' BGP speakers connect (simulated peers): every pass reads FRR's session table");
  for (const [ip, lb] of [["10.0.20.12", "10.96.0.10/32"], ["10.0.20.13", "10.96.0.10/32"]] as const) sim.control.setPeerState(ip, "Established", [lb]);
  await agent.controller.runNow("sessions up");
  console.log(renderStatusText(agent.controller.status()).replace(/^/gm, "  "));

  await change(
    "Cilium's BGP config says the nodes are AS 64600 while the agent writes 64555: reported as a mismatch",
    ["apply", "-f", ciliumPolicyFile],
    () => kube.control.create("ciliumbgppeeringpolicies", ciliumPolicy),
  );

  step("A LoadBalancer Service labelled homelab/public-service=true gets 10.96.0.10");
  let pass = nextPass();
  kube.control.createService({ namespace: "apps", name: "web", labels: { "homelab/public-service": "true" }, ports: [443], ingress: ["10.96.0.10"] });
  await pass;
  await agent.controller.idle();

  showRouter("The router now", sim);

  step("The Service is deleted");
  pass = nextPass();
  kube.control.deleteService("apps", "web");
  await pass;
  await agent.controller.idle();

  showRouter("The router at the end", sim);
  const c = sim.control.counters();
  step("Totals");
  console.log(`  passes: ${passes.length}   config writes: ${c.writes}   FRR reconfigures: ${c.reconfigures}   alias reloads: ${c.aliasReconfigures}   filter applies: ${c.filterApplies}`);
  const summary = passes.at(-1);
  console.log(`  last pass: ${summary?.result}; the hand-made neighbor 192.168.1.254 is ${Object.values(sim.control.state().neighbors).some((n) => n["address"] === "192.168.1.254") ? "untouched" : "GONE (bug!)"}`);

  await agent.stop();
  await sim.close();
  await kube.close();
  rmSync(dir, { recursive: true, force: true });
  passes = [];
}

const announced = new Set<string>();

/** One plain sentence per pass, from the same report the summary log line is built from. */
function describePass(p: PassReport): string {
  const a = p.applied;
  if (!a) return `pass ${p.result}${p.error ? `: ${p.error}` : ""}`;
  const parts: string[] = [];
  for (const [kind, c] of Object.entries(a.counts)) {
    if (c.created) parts.push(`${c.created} ${kind}(s) created`);
    if (c.updated) parts.push(`${c.updated} ${kind}(s) updated`);
    if (c.deleted) parts.push(`${c.deleted} ${kind}(s) deleted`);
  }
  const applies = [a.frrReconfigured ? "FRR reconfigured once" : "", a.aliasesReloaded ? "aliases reloaded once" : "", a.filterApplied ? "filter applied once" : ""].filter(Boolean);
  // Every pass re-reports what it still refuses (level-triggered); the demo prints each only once.
  const refused = [
    ...(p.desired?.problems ?? []).map((x) => `refused ${x.object}: ${x.message}`),
    ...(p.mismatches ?? []).map((m) => `BGP config mismatch on ${m.node}: ${mismatchMessage(m)}`),
    ...(p.sessionEvents ?? []).map((e) => `${e.reason} on ${e.node}: ${e.message}`),
  ];
  const held = (p.desired?.held ?? []).map((h) => `${h.key} kept (${h.reason})`);
  const notes = [...refused, ...held].filter((n) => !announced.has(n));
  for (const n of notes) announced.add(n);
  return `pass ${p.result}: ${parts.length ? parts.join(", ") : "no changes"}${applies.length ? `; ${applies.join(", ")}` : ""}${notes.length ? `\n    ${notes.join("\n    ")}` : ""}`;
}

function showRouter(title: string, sim: Awaited<ReturnType<typeof startOpnsenseSimulator>>): void {
  const state = sim.control.state();
  const running = new Set(sim.control.running().frr.neighbors.map((n) => n.address));
  step(`${title}: BGP neighbors (Routing ▸ BGP ▸ Neighbors)`);
  table(
    Object.values(state.neighbors).map((n) => ({
      address: n["address"] ?? "",
      "remote AS": n["remoteas"] ?? "",
      "update-source": n["updatesource"] ?? "",
      "FRR runs it": running.has(n["address"] ?? "") ? "yes" : "no",
      description: n["description"] ?? "",
    })),
    ["address", "remote AS", "update-source", "FRR runs it", "description"],
  );
  step(`${title}: the agent's prefix list (Routing ▸ BGP ▸ Prefix lists), linked as every neighbor's inbound filter`);
  table(
    Object.values(state.prefixlists).map((r) => ({
      name: r["name"] ?? "",
      seq: r["seqnumber"] ?? "",
      action: r["action"] ?? "",
      network: r["network"] ?? "",
    })),
    ["name", "seq", "action", "network"],
  );
  step(`${title}: aliases (Firewall ▸ Aliases)`);
  const tables = sim.control.running().pf.tables;
  table(
    Object.values(state.aliases).map((a) => ({
      name: a["name"] ?? "",
      type: a["type"] ?? "",
      content: (a["content"] ?? "").split("\n").join(", "),
      "pf table": (tables[a["name"] ?? ""] ?? []).join(", "),
    })),
    ["name", "type", "content", "pf table"],
  );
  step(`${title}: rules (Firewall ▸ Rules [new])`);
  table(
    Object.values(state.rules).map((r) => ({
      interface: r["interface"] ?? "",
      direction: r["direction"] ?? "",
      protocol: r["protocol"] ?? "",
      source: r["source_net"] ?? "",
      destination: `${r["destination_net"] ?? ""}${r["destination_port"] ? `:${r["destination_port"]}` : ""}`,
      state: r["statetype"] ?? "",
      description: r["description"] ?? "",
    })),
    ["interface", "direction", "protocol", "source", "destination", "state", "description"],
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error("demo failed:", err);
    process.exit(1);
  },
);
