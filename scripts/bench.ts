/**
 * `npm run bench`: the performance figures of design.md §9, printed (never asserted by tests).
 *
 * 1. OPNsense calls per change against the simulator: one node added, steady resync, a burst of 50.
 * 2. Agent overhead from a watch event to the first OPNsense write (minus DEBOUNCE).
 * 3. The pure middle for 5,000 nodes: computeDesired + computePlan time, operations when steady.
 * 4. The agent process with 5,000 enrolled nodes: RSS after its first full sync and a steady pass.
 *
 * BENCH_NODES overrides 5,000.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { computeDesired } from "../src/desired/index.ts";
import type { ClusterView, NodeView } from "../src/cluster/types.ts";
import type { Alias, Neighbor, PrefixRow, RouterSnapshot, Rule } from "../src/domain/types.ts";
import { makeOwner, ownedNeighborsByKey } from "../src/plan/ownership.ts";
import { computePlan } from "../src/plan/index.ts";
import { startKubeFake } from "../test/fakes/kube-apiserver/index.ts";
import { DEFAULT_API_SECRET } from "../test/fakes/opnsense/index.ts";
import { actionCalls, neighbors, readCalls, writeCalls } from "../test/integration/helpers.ts";
import { baseEnv, configFrom, startWorld } from "../test/integration/world.ts";
import { startOpnsenseSimulator, type Simulator } from "../test/fakes/opnsense/index.ts";
import { waitFor } from "../test/helpers/wait.ts";
import { CAPS } from "../test/unit/desired/fixtures.ts";

const N = Number(process.env["BENCH_NODES"] ?? 5000);

function row(label: string, value: string, target = ""): void {
  console.log(`  ${label.padEnd(58)} ${value.padEnd(16)} ${target}`);
}

/** The simulator's request log, counted the way the integration tests classify calls. */
function split(sim: Simulator): { reads: number; writes: number; actions: number } {
  return { reads: readCalls(sim).length, writes: writeCalls(sim).length, actions: actionCalls(sim).length };
}

async function apiCalls(): Promise<void> {
  console.log("\nOPNsense API calls (simulator 26.1, real agent, real HTTP)");
  const w = await startWorld({ version: "26.1", agent: false });
  w.addWorker("worker-1", "10.0.20.11");
  w.addWorker("worker-2", "10.0.20.12");
  await w.startAgent();
  await w.settle(() => neighbors(w.sim).length === 2, "initial sync");

  w.sim.control.clearLog();
  const t0 = performance.now();
  w.addWorker("worker-3", "10.0.20.13");
  await w.settle(() => w.sim.control.requests().some((r) => r.method === "POST"), "first write", 10_000);
  const firstWrite = w.sim.control.requests().find((r) => r.method === "POST");
  const latency = firstWrite ? Date.parse(firstWrite.time) - (performance.timeOrigin + t0) : NaN;
  await w.settle(() => neighbors(w.sim).length === 3, "node added");
  const added = split(w.sim);
  row("one node added: reads / writes / applies", `${added.reads} / ${added.writes} / ${added.actions}`, "minimum: 2 writes (neighbor, alias), 2 applies (FRR, aliases)");
  row("event → first write, minus DEBOUNCE (50 ms)", `${Math.max(0, latency - w.config.debounceMs).toFixed(1)} ms`, "target ≤ 50 ms");

  w.sim.control.clearLog();
  await w.agent?.controller.runNow("resync", { fresh: true });
  const steady = split(w.sim);
  row("steady resync: reads / writes / applies", `${steady.reads} / ${steady.writes} / ${steady.actions}`, "target: 0 writes");

  const before = w.sim.control.counters().reconfigures;
  for (let i = 0; i < 50; i++) w.addWorker(`burst-${i}`, `10.0.21.${i + 1}`);
  await w.settle(() => neighbors(w.sim).length === 53, "burst", 30_000);
  row("burst of 50 nodes: FRR reconfigures", String(w.sim.control.counters().reconfigures - before), "target: 1");
  await w.close();
}

function nodes(n: number): NodeView[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `worker-${String(i).padStart(5, "0")}`,
    uid: `uid-${i}`,
    labels: { "homelab/role": "worker" },
    annotations: {},
    addresses: [{ type: "InternalIP", address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }],
  }));
}

function pureMiddle(): void {
  console.log(`\nPure middle for ${N} nodes (computeDesired + computePlan, no I/O)`);
  const config = configFrom(baseEnv({ url: "http://127.0.0.1:1" } as never));
  const caps = CAPS["26.1"];
  const view: ClusterView = { nodes: nodes(N), services: [] };
  const noFacts = { ownedNeighbors: new Map(), inGrace: new Set<string>(), clusterClaim: null };
  const desired = computeDesired(view, config, caps, noFacts);
  // The router as it looks after a successful sync: every desired object, owned.
  const cat = "11111111-1111-4111-8111-111111111111";
  const snapshot: RouterSnapshot = {
    capabilities: caps,
    frr: { enabled: true, manualConfig: false },
    bgp: { enabled: true, asNumber: 64555, routerId: null },
    neighbors: desired.neighbors.map((d, i): Neighbor => ({ ...d.spec, uuid: `n-${i}` })),
    peerGroups: [],
    prefixRows: desired.prefixRows.map((r, i): PrefixRow => ({ ...r.spec, uuid: r.uuid ?? `p-${i}` })),
    categories: [{ uuid: cat, name: desired.categoryName }],
    aliases: desired.aliases.map((a, i): Alias => ({ ...a.spec, uuid: `a-${i}`, categories: [cat] })),
    rules: desired.rules.map((r, i): Rule => ({ ...r.spec, uuid: `r-${i}`, categories: [cat] })),
    frrRunning: { neighbors: new Map(desired.neighbors.map((d) => [d.spec.address, { remoteAs: d.spec.remoteAs, description: d.spec.description }])) },
    aliasTablesRunning: new Map(desired.aliases.map((a) => [a.spec.name, a.spec.content])),
    bgpSessions: { ok: false, reason: "not part of the planning benchmark", privilege: null },
  };
  const opts = { ownerId: "default", policy: "sync" as const, adoptExisting: false, firstPassSinceStart: false };
  const facts = { ...noFacts, ownedNeighbors: ownedNeighborsByKey(snapshot.neighbors, makeOwner("default", "", [])).unique };
  const times: number[] = [];
  let ops = -1;
  for (let i = 0; i < 15; i++) {
    const t = performance.now();
    const d = computeDesired(view, config, caps, facts);
    const p = computePlan(d, snapshot, opts);
    times.push(performance.now() - t);
    ops = p.operations.length;
  }
  times.sort((a, b) => a - b);
  row("one full pass (desired + plan), median of 15", `${(times[7] ?? NaN).toFixed(1)} ms`, "target < 50 ms");
  row("operations planned when steady", String(ops), "target: 0");
}

async function agentMemory(nodeFlags: string[]): Promise<void> {
  console.log(`\nAgent process with ${N} enrolled nodes (dist/main.js as a child process${nodeFlags.length ? ` with ${nodeFlags.join(" ")}` : ""}; fakes in this process)`);
  const sim = await startOpnsenseSimulator({ version: "26.1", authFailDelayMs: 0 });
  const kube = await startKubeFake({});
  for (const n of nodes(N)) kube.control.createNode({ name: n.name, labels: n.labels, addresses: [...n.addresses] }, { silent: true });
  const dir = mkdtempSync(join(tmpdir(), "bench-"));
  writeFileSync(join(dir, "kubeconfig"), kube.kubeconfig());
  const env = { ...baseEnv(sim), OPNSENSE_API_SECRET: DEFAULT_API_SECRET, KUBECONFIG: join(dir, "kubeconfig"), HTTP_PORT: "18099", LOG_LEVEL: "info", OPNSENSE_TIMEOUT: "60s" };
  // The compiled agent, as the container runs it (Node's TypeScript stripping adds ~20 MB of its own).
  const main = join(import.meta.dirname, "../dist/main.js");
  if (!existsSync(main)) throw new Error("dist/main.js is missing: npm run bench builds it first (npm run build)");
  const child = spawn(process.execPath, [...nodeFlags, main], { env: { PATH: process.env["PATH"] ?? "", ...env }, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;
  const heapUsed = async () => {
    const text = await (await fetch("http://127.0.0.1:18099/metrics")).text();
    return Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? NaN) / 1e6;
  };
  const started = performance.now();
  await waitFor(() => out.includes('"msg":"sync complete"'), "first sync", 600_000, 100);
  const firstSync = performance.now() - started;
  row("first sync (creates every neighbor through the simulator)", `${(firstSync / 1000).toFixed(1)} s`);
  row("RSS after the first sync", `${rss().toFixed(0)} MB`, "target < 100 MB");
  row("V8 heap in use after the first sync", `${(await heapUsed()).toFixed(0)} MB`);
  sim.control.clearLog();
  const passes = () => out.split('"msg":"sync complete"').length - 1;
  const before = passes();
  kube.control.labelNode("worker-00000", "bench", "touch");
  await waitFor(() => passes() > before, "steady pass", 120_000, 50);
  const last = JSON.parse(out.trim().split("\n").filter((l) => l.includes('"sync complete"')).at(-1) ?? "{}") as { durationMs?: number };
  const steady = split(sim);
  row("steady pass: duration incl. OPNsense reads", `${last.durationMs ?? NaN} ms`);
  row("steady pass: writes", String(steady.writes), "target: 0");
  row("RSS after a steady pass", `${rss().toFixed(0)} MB`, "target < 100 MB");
  row("V8 heap in use after a steady pass", `${(await heapUsed()).toFixed(0)} MB`);
  child.kill("SIGTERM");
  await new Promise((r) => child.on("exit", r));
  await sim.close();
  await kube.close();
}

/** RSS of a process that only loads the agent's modules: the floor any node count starts from. */
async function baseline(nodeFlags: string[]): Promise<void> {
  const code = `await import(${JSON.stringify(join(import.meta.dirname, "../dist/agent.js"))}); setTimeout(() => { console.log(process.memoryUsage().rss); }, 300);`;
  const child = spawn(process.execPath, [...nodeFlags, "--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise((r) => child.on("exit", r));
  row("RSS of a process that only loads the agent's modules", `${(Number(out) / 1024 / 1024).toFixed(0)} MB`, "(@kubernetes/client-node alone: ~130 MB)");
}

async function main(): Promise<void> {
  console.log(`opnsense-bgp-agent benchmark (Node ${process.version})`);
  await apiCalls();
  pureMiddle();
  // The Dockerfile's NODE_OPTIONS: a 1 MB young generation instead of 16 MB, which costs a few
  // more minor GCs and saves tens of MB of RSS in an agent that is idle most of the time.
  await agentMemory(["--max-semi-space-size=1"]);
  await baseline(["--max-semi-space-size=1"]);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error("bench failed:", err);
    process.exit(1);
  },
);
