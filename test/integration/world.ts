import { Writable } from "node:stream";
import { KubeConfig } from "@kubernetes/client-node";
import { startAgent, type Agent, type AgentOptions } from "../../src/agent.ts";
import { loadConfig } from "../../src/config/index.ts";
import type { Config } from "../../src/config/types.ts";
import type { PassReport } from "../../src/controller/controller.ts";
import { createLogger } from "../../src/log.ts";
import { startKubeFake, type KubeFake } from "../fakes/kube-apiserver/index.ts";
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, startOpnsenseSimulator, VERSIONS, type OpnVersion, type Simulator } from "../fakes/opnsense/index.ts";
import { waitFor } from "../helpers/wait.ts";

export type SimVersion = OpnVersion;
export { VERSIONS };

/** Captures the agent's JSON log lines. */
export class LogCapture extends Writable {
  readonly raw: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) this.raw.push(line);
    cb();
  }
  entries(): Record<string, unknown>[] {
    return this.raw.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  withMsg(msg: string): Record<string, unknown>[] {
    return this.entries().filter((e) => e["msg"] === msg);
  }
  text(): string {
    return this.raw.join("\n");
  }
}

export type World = {
  readonly sim: Simulator;
  readonly kube: KubeFake;
  readonly kc: KubeConfig;
  readonly logs: LogCapture;
  readonly reports: PassReport[];
  agent: Agent | null;
  config: Config;
  /** Start (or restart) the agent in-process with the world's config. */
  startAgent(env?: Record<string, string>): Promise<Agent>;
  stopAgent(): Promise<void>;
  /** Stop the agent, clear the simulator's request log, start it again and wait for its first pass: the log then holds what the restart did. */
  restartAgent(): Promise<void>;
  /** Resolves after the next pass that finishes after now. */
  nextPass(timeoutMs?: number): Promise<PassReport>;
  /** Wait until `cond` holds and the agent is idle. */
  settle(cond: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  addWorker(name: string, ip: string, extra?: { annotations?: Record<string, string>; labels?: Record<string, string> }): void;
  close(): Promise<void>;
};

/** What every agent in the tests runs with unless a test says otherwise. */
export const TEST_AGENT_ENV: Readonly<Record<string, string>> = {
  BGP_REMOTE_ASN: "64555",
  BGP_UPDATE_SOURCE: "lan",
  DEBOUNCE: "50ms",
  // Most tests make change after change and wait for each; the rate-limit tests set their own.
  MIN_APPLY_INTERVAL: "0s",
  // Removal is immediate and unguarded unless a test is about the grace or the deletion guard.
  REMOVAL_GRACE: "0s",
  MAX_DELETE_FRACTION: "1",
  SYNC_INTERVAL: "1h",
  LEADER_ELECTION: "false",
  LOG_LEVEL: "debug",
};

export function baseEnv(sim: Simulator, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OPNSENSE_URL: sim.url,
    OPNSENSE_API_KEY: DEFAULT_API_KEY,
    OPNSENSE_API_SECRET: DEFAULT_API_SECRET,
    OPNSENSE_TIMEOUT: "2s",
    ...TEST_AGENT_ENV,
    ...extra,
  };
}

export function configFrom(env: Record<string, string>): Config {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(`test config invalid: ${loaded.errors.join("; ")}`);
  return { ...loaded.config, httpPort: 0 };
}

type Tuning = NonNullable<AgentOptions["tuning"]>;

/**
 * The agent's tuning in tests: one retry, short backoffs, no default metrics, no compacting GC
 * (it would only slow the suites down; the process tests keep it), every pass report collected.
 */
export function testTuning(reports: PassReport[], waiters: ((r: PassReport) => void)[], extra: Pick<Tuning, "reachability" | "leaderElection">): Tuning {
  return {
    retries: 1,
    retryMinTimeoutMs: 1,
    retryBackoffMs: { initial: 100, max: 400 },
    informerRestartBackoffMs: { initial: 50, max: 200 },
    defaultMetrics: false,
    releaseMemory: false,
    ...extra,
    onPass: (r) => {
      reports.push(r);
      for (const w of waiters.splice(0)) w(r);
    },
  };
}

/** The Kubernetes fake (with an `apps` namespace), a kubeconfig for it, and where the agent's logs and pass reports go. */
export async function startClusterSide(opts: Parameters<typeof startKubeFake>[0] = {}): Promise<{
  kube: KubeFake;
  kc: KubeConfig;
  logs: LogCapture;
  reports: PassReport[];
  waiters: ((r: PassReport) => void)[];
}> {
  const kube = await startKubeFake(opts);
  kube.control.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "apps" } });
  const kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfig());
  return { kube, kc, logs: new LogCapture(), reports: [], waiters: [] };
}

export async function startWorld(o: { version?: SimVersion; env?: Record<string, string>; agent?: boolean; tls?: boolean; ciliumCrds?: boolean } = {}): Promise<World> {
  const sim = await startOpnsenseSimulator({ version: o.version ?? "26.1.11", authFailDelayMs: 0, ...(o.tls ? { tls: { hostname: "opnsense.home.arpa" } } : {}) });
  const { kube, kc, logs, reports, waiters } = await startClusterSide(o.ciliumCrds === false ? { ciliumCrds: false } : {});
  let env = baseEnv(sim, o.env);

  const world: World = {
    sim,
    kube,
    kc,
    logs,
    reports,
    agent: null,
    config: configFrom(env),
    async startAgent(extra) {
      if (extra) env = { ...env, ...extra };
      world.config = configFrom(env);
      const logger = createLogger(world.config.logLevel, logs);
      world.agent = await startAgent({
        config: world.config,
        logger,
        kubeConfig: kc,
        tuning: testTuning(reports, waiters, {
          reachability: { checkTimeoutMs: 300, attempts: 2, intervalMs: 50, undoDeadlineMs: 5000 },
          // Tests that turn LEADER_ELECTION on (the Lease carries the firewall suspension) want fast rounds.
          ...(world.config.leaderElection ? { leaderElection: { leaseDurationMs: 1000, renewDeadlineMs: 700, retryPeriodMs: 100, namespace: "kube-system" } } : {}),
        }),
      });
      return world.agent;
    },
    async stopAgent() {
      await world.agent?.stop();
      world.agent = null;
    },
    async restartAgent() {
      await world.stopAgent();
      sim.control.clearLog();
      await world.startAgent();
      await world.nextPass();
      await world.agent?.controller.idle();
    },
    nextPass(timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("no pass finished in time")), timeoutMs);
        waiters.push((r) => {
          clearTimeout(t);
          resolve(r);
        });
      });
    },
    async settle(cond, what, timeoutMs = 10_000) {
      await waitFor(cond, what, timeoutMs);
      await world.agent?.controller.idle();
    },
    addWorker(name, ip, extra = {}) {
      kube.control.createNode({
        name,
        labels: { "homelab/role": "worker", ...(extra.labels ?? {}) },
        ...(extra.annotations ? { annotations: extra.annotations } : {}),
        addresses: [
          { type: "InternalIP", address: ip },
          { type: "Hostname", address: name },
        ],
      });
    },
    async close() {
      await world.stopAgent();
      await sim.close();
      await kube.close();
    },
  };
  if (o.agent ?? true) await world.startAgent();
  return world;
}

/** The agent's /readyz answer. */
export async function readyz(world: World): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${world.agent?.http.port}/readyz`);
  return { status: res.status, text: await res.text() };
}
