/**
 * `npm run bench`: the performance figures of design.md §9, printed (never asserted by tests).
 *
 * 1. OPNsense calls against the simulator with BENCH_NODES enrolled: the pass after an apply, a steady
 *    pass (target ≤ 5 reads), a steady resync, a burst of 20 new nodes (target ≤ N + 8 requests, 1 FRR reconfigure).
 * 2. Agent overhead from a watch event to the first OPNsense write (minus DEBOUNCE).
 * 3. The pure middle for 1,000 and 5,000 nodes: computeDesired + computePlan time (linear?),
 *    operations when steady.
 * 4. The agent process as the image runs it (the bundle), BENCH_RUNS (3) times: start-up and idle
 *    RSS with 3 nodes, then 5,000 nodes: RSS after a steady pass and the peak (VmHWM), each
 *    against its footprint target.
 *
 * BENCH_NODES overrides 5,000 (BENCH_API_NODES for part 1 only); BENCH_ONLY=memory runs only 4, BENCH_ONLY=api
 * only 1 and 3; BENCH_ENTRY measures another build.
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
import { imageRuntime } from "./image-runtime.ts";

const N = Number(process.env["BENCH_NODES"] ?? 5000);

function row(label: string, value: string, target = ""): void {
  console.log(`  ${label.padEnd(58)} ${value.padEnd(16)} ${target}`);
}

/** The simulator's request log, counted the way the integration tests classify calls. */
function split(sim: Simulator): { reads: number; writes: number; actions: number } {
  return { reads: readCalls(sim).length, writes: writeCalls(sim).length, actions: actionCalls(sim).length };
}

/** Nodes enrolled before the request counts (BENCH_API_NODES, default 5,000) and the burst size. */
const API_NODES = Number(process.env["BENCH_API_NODES"] ?? N);
const BURST = 20;

async function apiCalls(): Promise<void> {
  console.log(`\nOPNsense API calls (simulator 26.1.11, real agent, real HTTP, ${API_NODES} nodes enrolled)`);
  // A debounce long enough for a burst to arrive before its pass starts, as DEBOUNCE (2 s) does in production.
  const w = await startWorld({ version: "26.1.11", agent: false, env: { DEBOUNCE: "500ms", LOG_LEVEL: "warn", OPNSENSE_TIMEOUT: "60s" } });
  for (const node of nodes(API_NODES)) w.kube.control.createNode({ name: node.name, labels: node.labels, addresses: [...node.addresses] }, { silent: true });
  await w.startAgent();
  await w.settle(() => neighbors(w.sim).length === API_NODES, "initial sync", 600_000);
  // The pass after an apply reads what it applied (FRR's running config, pf's tables) once.
  w.sim.control.clearLog();
  await w.agent?.controller.runNow("verify");
  const verify = split(w.sim);
  row("first pass after an apply: reads / writes / applies", `${verify.reads} / ${verify.writes} / ${verify.actions}`, "reads what the apply changed");

  w.sim.control.clearLog();
  await w.agent?.controller.runNow("steady");
  const steady = split(w.sim);
  row("steady pass: reads / writes / applies", `${steady.reads} / ${steady.writes} / ${steady.actions}`, `target ≤ 5 reads, 0 writes: ${steady.reads <= 5 && steady.writes === 0 ? "met" : "NOT met"}`);

  w.sim.control.clearLog();
  await w.agent?.controller.runNow("resync", { fresh: true });
  const resync = split(w.sim);
  row("steady resync (preflight + pass): reads / writes / applies", `${resync.reads} / ${resync.writes} / ${resync.actions}`, "target: 0 writes");
  await w.agent?.controller.runNow("verify");

  w.sim.control.clearLog();
  const before = w.sim.control.counters().reconfigures;
  const t0 = performance.now();
  for (let i = 0; i < BURST; i++) w.addWorker(`burst-${i}`, `10.250.0.${i + 1}`);
  await w.settle(() => w.sim.control.requests().some((r) => r.method === "POST"), "first write", 30_000);
  const firstWrite = w.sim.control.requests().find((r) => r.method === "POST");
  const latency = firstWrite ? Date.parse(firstWrite.time) - (performance.timeOrigin + t0) : NaN;
  await w.settle(() => neighbors(w.sim).length === API_NODES + BURST, "burst", 120_000);
  const burst = split(w.sim);
  const total = burst.reads + burst.writes + burst.actions;
  row(`burst of ${BURST} new nodes: requests (reads / writes / applies)`, `${total} (${burst.reads} / ${burst.writes} / ${burst.actions})`, `target ≤ N + 8 = ${BURST + 8}: ${total <= BURST + 8 ? "met" : "NOT met"}`);
  row(`burst of ${BURST} new nodes: FRR reconfigures`, String(w.sim.control.counters().reconfigures - before), "target: 1");
  row("event → first write, minus DEBOUNCE (500 ms)", `${Math.max(0, latency - 500).toFixed(1)} ms`, "includes the pass's reads");
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

/** Median time of one full pure pass (desired + plan, no I/O) for `n` nodes, and its operation count when steady. */
function pureMiddle(n: number): { ms: number; ops: number } {
  const config = configFrom(baseEnv({ url: "http://127.0.0.1:1" } as never));
  const caps = CAPS["26.1"];
  const view: ClusterView = { nodes: nodes(n), services: [] };
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
  const opts = { ownerId: "default", policy: "sync" as const, adoptExisting: false, carry: { frrPending: false, firewallPending: null, firstPassSinceStart: false } };
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
  return { ms: times[7] ?? NaN, ops };
}

function passTimes(): void {
  console.log(`\nPure middle (computeDesired + computePlan, no I/O), median of 15`);
  const small = pureMiddle(N / 5);
  const full = pureMiddle(N);
  row(`one full pass for ${N / 5} nodes`, `${small.ms.toFixed(1)} ms`);
  row(`one full pass for ${N} nodes`, `${full.ms.toFixed(1)} ms`, "target < 50 ms");
  row(`time ratio ${N} / ${N / 5} nodes`, `${(full.ms / small.ms).toFixed(1)}×`, "linear: ≈ 5×");
  row("operations planned when steady", String(full.ops), "target: 0");
}

/** Footprint targets (issue 13), in MB of the agent process as the container runs it. */
const TARGET = { idleRss: 80, steadyRss: 100, peakRss: 150 } as const;
const RUNS = Number(process.env["BENCH_RUNS"] ?? 3);
/** The bundle (npm run build); BENCH_ENTRY measures another build, e.g. an older one for comparison. */
const ENTRY = process.env["BENCH_ENTRY"] ?? join(import.meta.dirname, "../dist/main.js");

/** The process settings of the image (Dockerfile: ENV and ENTRYPOINT), so the bench measures what runs. */
const { env: IMAGE_ENV, nodeArgs: IMAGE_NODE_ARGS } = imageRuntime();

type Figures = { startupMs: number; idleRss: number; firstSyncS: number; steadyPassMs: number; steadyWrites: number; steadyRss: number; peakRss: number; heapMb: number };

function procStatus(pid: number | undefined, field: "VmRSS" | "VmHWM"): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;
}

/**
 * One agent process against the fakes: idle with 3 nodes, then `n - 3` more nodes, a steady pass.
 * The image's settings are passed the way the Dockerfile sets them (IMAGE_ENV, IMAGE_NODE_ARGS).
 */
async function agentRun(n: number, port: number): Promise<Figures> {
  const sim = await startOpnsenseSimulator({ version: "26.1.11", authFailDelayMs: 0 });
  const kube = await startKubeFake({});
  const all = nodes(n);
  for (const node of all.slice(0, 3)) kube.control.createNode({ name: node.name, labels: node.labels, addresses: [...node.addresses] }, { silent: true });
  const dir = mkdtempSync(join(tmpdir(), "bench-"));
  writeFileSync(join(dir, "kubeconfig"), kube.kubeconfig());
  const env = {
    ...baseEnv(sim),
    OPNSENSE_API_SECRET: DEFAULT_API_SECRET,
    KUBECONFIG: join(dir, "kubeconfig"),
    HTTP_PORT: String(port),
    LOG_LEVEL: "info",
    OPNSENSE_TIMEOUT: "60s",
    ...IMAGE_ENV,
  };
  const child = spawn(process.execPath, [...IMAGE_NODE_ARGS, ENTRY], { env: { PATH: process.env["PATH"] ?? "", ...env }, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const passes = () => out.split('"msg":"sync complete"').length - 1;
  const lastPass = () => JSON.parse(out.trim().split("\n").filter((l) => l.includes('"sync complete"')).at(-1) ?? "{}") as { durationMs?: number };
  // The agent returns memory right after a pass; an idle agent is one some seconds after its pass.
  const settle = () => new Promise((r) => setTimeout(r, 2000));
  /** Settled, and no request to OPNsense nor pass ending in the last 2 s: no pass is under way. */
  const quiet = async () => {
    for (;;) {
      const seen = [sim.control.requests().length, passes()].join();
      await settle();
      if ([sim.control.requests().length, passes()].join() === seen) return;
    }
  };
  const heapUsed = async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? NaN) / 1e6;
  };
  try {
    const started = performance.now();
    await waitFor(() => passes() >= 1, "first sync", 60_000, 20);
    const startupMs = performance.now() - started;
    await settle();
    const idleRss = procStatus(child.pid, "VmRSS");

    const t0 = performance.now();
    // Real watch events, as when a fleet is enrolled; the debounce folds them into a few passes.
    for (const node of all.slice(3)) kube.control.createNode({ name: node.name, labels: node.labels, addresses: [...node.addresses] });
    await waitFor(() => neighbors(sim).length === n && passes() >= 2, "sync of every node", 600_000, 100);
    await waitFor(() => out.endsWith("\n") && lastPass().durationMs !== undefined, "pass summary", 10_000, 20);
    const firstSyncS = (performance.now() - t0) / 1000;

    // Passes queued by the enrolment's last watch events run first: measuring while one of them is
    // under way (a pass at 5,000 nodes takes seconds) would report a pass in progress, not an idle
    // agent after one.
    await quiet();
    sim.control.clearLog();
    const before = passes();
    kube.control.labelNode(all[0]?.name ?? "", "bench", "touch");
    await waitFor(() => passes() > before, "steady pass", 120_000, 50);
    const steadyPassMs = lastPass().durationMs ?? NaN;
    const steadyWrites = split(sim).writes;
    await quiet();
    return { startupMs, idleRss, firstSyncS, steadyPassMs, steadyWrites, steadyRss: procStatus(child.pid, "VmRSS"), peakRss: procStatus(child.pid, "VmHWM"), heapMb: await heapUsed() };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.on("exit", r));
    await sim.close();
    await kube.close();
  }
}

function minMedian(values: number[], digits = 0): string {
  const v = [...values].sort((a, b) => a - b);
  return `${(v[0] ?? NaN).toFixed(digits)} / ${(v[Math.floor(v.length / 2)] ?? NaN).toFixed(digits)}`;
}

function verdict(values: number[], limit: number): string {
  return `target ≤ ${limit} MB: ${Math.max(...values) <= limit ? "met" : Math.min(...values) <= limit ? "met in some runs only" : "NOT met"}`;
}

async function agentMemory(): Promise<void> {
  const settings = [...Object.entries(IMAGE_ENV).map(([k, v]) => `${k}=${v}`), "node", ...IMAGE_NODE_ARGS].join(" ");
  console.log(`\nAgent process (${ENTRY.replace(join(import.meta.dirname, ".."), ".")} as the image runs it: ${settings}; fakes in this process), ${RUNS} runs, min / median`);
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: npm run bench builds it first (npm run build)`);
  const runs: Figures[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await agentRun(N, 18099));
  const col = <K extends keyof Figures>(k: K) => runs.map((r) => r[k]);
  row("start-up to the first sync complete (3 nodes)", `${minMedian(col("startupMs"))} ms`);
  row("idle RSS with 3 nodes", `${minMedian(col("idleRss"))} MB`, verdict(col("idleRss"), TARGET.idleRss));
  row(`sync of ${N} new nodes (creates every neighbor through the simulator)`, `${minMedian(col("firstSyncS"), 1)} s`);
  row(`steady pass with ${N} nodes: duration incl. OPNsense reads`, `${minMedian(col("steadyPassMs"))} ms`);
  row("steady pass: writes", minMedian(col("steadyWrites")), "target: 0");
  row(`RSS after a steady pass with ${N} nodes`, `${minMedian(col("steadyRss"))} MB`, verdict(col("steadyRss"), TARGET.steadyRss));
  row("peak RSS of the whole run (VmHWM)", `${minMedian(col("peakRss"))} MB`, verdict(col("peakRss"), TARGET.peakRss));
  row("V8 heap in use after the steady pass", `${minMedian(col("heapMb"))} MB`);
}

async function main(): Promise<void> {
  console.log(`opnsense-bgp-agent benchmark (Node ${process.version})`);
  if (process.env["BENCH_ONLY"] !== "memory") {
    await apiCalls();
    passTimes();
  }
  if (process.env["BENCH_ONLY"] !== "api") await agentMemory();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error("bench failed:", err);
    process.exit(1);
  },
);
