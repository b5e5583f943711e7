/**
 * The real agent (config loader + `startAgent`, as the integration tests run it) against the
 * in-repo Kubernetes fake and an OPNsense target seen through the recording proxy. The target
 * may be a real box that is not fresh: the world removes what its owner id left behind before
 * and after each scenario, and restores the FRR/BGP switches it had to turn on.
 */
import { startAgent, type Agent } from "../../src/agent.ts";
import type { PassReport } from "../../src/controller/controller.ts";
import { createLogger } from "../../src/log.ts";
import type { KubeFake } from "../fakes/kube-apiserver/index.ts";
import { waitFor } from "../helpers/wait.ts";
import { configFrom, startClusterSide, TEST_AGENT_ENV, testTuning, type LogCapture } from "../integration/world.ts";
import { startRecordingProxy, type RecordingProxy } from "./recording-proxy.ts";
import { routerApi, type Flat, type RouterApi, type Target } from "./target.ts";

/** Its own owner id, so a shared box's other objects (even another agent's) are foreign here. */
export const OWNER = "scenario";
export const MARK = `opnsense-bgp-agent:${OWNER}`;
export const CATEGORY = `opnsense-bgp-agent-${OWNER}`;
export const NODE_ALIAS = "k8s_bgp_nodes_scenario";
export const LB_ALIAS = "k8s_lb_addresses_scenario";
/** Hand-made objects the scenarios create carry this in their description (alias: in the name). */
export const HAND_MADE = "scenario hand-made";
export const HAND_ALIAS = "scenario_hand_hosts";

const owned = (f: Flat): boolean => (f["description"] ?? "").startsWith(`${MARK} `);
const handMade = (f: Flat): boolean => (f["description"] ?? "").startsWith(HAND_MADE) || f["name"] === HAND_ALIAS;

export type ScenarioWorld = {
  readonly api: RouterApi;
  readonly proxy: RecordingProxy;
  readonly kube: KubeFake;
  readonly logs: LogCapture;
  readonly reports: PassReport[];
  agent: Agent | null;
  startAgent(env?: Record<string, string>): Promise<Agent>;
  stopAgent(): Promise<void>;
  /** Poll the router through the API until `cond` holds, then wait for the agent to be idle. */
  until(cond: () => Promise<boolean>, what: string, timeoutMs?: number): Promise<void>;
  /** Resolves after the next pass that finishes from now on. */
  nextPass(timeoutMs?: number): Promise<PassReport>;
  addWorker(name: string, ip: string): void;
  ownedNeighbors(): Promise<(Flat & { uuid: string })[]>;
  close(): Promise<void>;
};

function withUuid(items: Record<string, Flat>, keep: (f: Flat) => boolean): (Flat & { uuid: string })[] {
  const sortKey = (f: Flat): string => f["address"] ?? f["description"] ?? "";
  return Object.entries(items)
    .filter(([, f]) => keep(f))
    .sort(([, a], [, b]) => sortKey(a).localeCompare(sortKey(b)))
    .map(([uuid, f]) => ({ ...f, uuid }));
}

/** Deletes this owner's objects and the scenarios' hand-made ones, in reference order; applies when something went. */
export async function removeScenarioObjects(api: RouterApi): Promise<number> {
  let removed = 0;
  const del = async (path: string): Promise<void> => {
    const r = await api.call("POST", path);
    if (r.status !== 200) throw new Error(`cleanup POST ${path}: ${r.status} ${JSON.stringify(r.json)}`);
    removed++;
  };
  for (const [uuid, f] of Object.entries(await api.rules())) if (owned(f) || handMade(f)) await del(`firewall/filter/delRule/${uuid}`);
  for (const [uuid, f] of Object.entries(await api.aliases())) if (owned(f) || handMade(f)) await del(`firewall/alias/delItem/${uuid}`);
  // Neighbors before prefix-list rows: from os-frr 1.52 a linked row cannot be deleted (§3.7).
  for (const [uuid, f] of Object.entries(await api.neighbors())) if (owned(f) || handMade(f)) await del(`quagga/bgp/delNeighbor/${uuid}`);
  for (const [uuid, f] of Object.entries(await api.prefixRows())) if (owned(f)) await del(`quagga/bgp/delPrefixlist/${uuid}`);
  for (const [uuid, f] of Object.entries(await api.categories())) if (f["name"] === CATEGORY || (f["name"] ?? "").startsWith(HAND_MADE)) await del(`firewall/category/delItem/${uuid}`);
  if (removed > 0) {
    await api.post("quagga/service/reconfigure");
    await api.post("firewall/alias/reconfigure");
  }
  return removed;
}

/** Turns FRR and BGP on where the box has them off; returns how to put them back. */
export async function ensureBgpEnabled(api: RouterApi): Promise<() => Promise<void>> {
  const general = (await api.get("quagga/general/get"))["general"] as Record<string, unknown>;
  const bgp = (await api.get("quagga/bgp/get"))["bgp"] as Record<string, unknown>;
  const undo: Record<string, unknown>[] = [];
  if (String(general["enabled"]) !== "1") {
    await api.post("quagga/general/set", { general: { enabled: "1" } });
    undo.push({ path: "quagga/general/set", body: { general: { enabled: String(general["enabled"] ?? "0") } } });
  }
  if (String(bgp["enabled"]) !== "1" || !/^\d+$/.test(String(bgp["asnumber"] ?? ""))) {
    await api.post("quagga/bgp/set", { bgp: { enabled: "1", asnumber: /^\d+$/.test(String(bgp["asnumber"] ?? "")) ? String(bgp["asnumber"]) : "64512" } });
    undo.push({ path: "quagga/bgp/set", body: { bgp: { enabled: String(bgp["enabled"] ?? "0"), asnumber: String(bgp["asnumber"] ?? "") } } });
  }
  if (undo.length > 0) await api.post("quagga/service/reconfigure");
  return async () => {
    for (const u of undo.reverse()) await api.post(String(u["path"]), u["body"]);
    if (undo.length > 0) await api.post("quagga/service/reconfigure");
  };
}

export async function startScenarioWorld(target: Target, env: Record<string, string> = {}): Promise<ScenarioWorld> {
  const api = routerApi(target);
  await removeScenarioObjects(api);
  const proxy = await startRecordingProxy(target.url);
  const { kube, kc, logs, reports, waiters } = await startClusterSide();
  let agentEnv: Record<string, string> = {
    OPNSENSE_URL: proxy.url,
    OPNSENSE_API_KEY: target.key,
    OPNSENSE_API_SECRET: target.secret,
    // Real PHP answers an API-key request in tens of milliseconds, a cold one slower.
    OPNSENSE_TIMEOUT: "10s",
    ...TEST_AGENT_ENV,
    OWNER_ID: OWNER,
    CILIUM_POOLS: "off",
    ...env,
  };

  const world: ScenarioWorld = {
    api,
    proxy,
    kube,
    logs,
    reports,
    agent: null,
    async startAgent(extra) {
      if (extra) agentEnv = { ...agentEnv, ...extra };
      const config = configFrom(agentEnv);
      world.agent = await startAgent({
        config,
        logger: createLogger(config.logLevel, logs),
        kubeConfig: kc,
        // a real box answers slower than the simulator: more time for the reachability check
        tuning: testTuning(reports, waiters, { reachability: { checkTimeoutMs: 3000, attempts: 2, intervalMs: 50, undoDeadlineMs: 20_000 } }),
      });
      return world.agent;
    },
    async stopAgent() {
      await world.agent?.stop();
      world.agent = null;
    },
    async until(cond, what, timeoutMs = 20_000) {
      await waitFor(cond, what, timeoutMs, 100);
      await world.agent?.controller.idle();
    },
    nextPass(timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("no pass finished in time")), timeoutMs);
        waiters.push((r) => {
          clearTimeout(t);
          resolve(r);
        });
      });
    },
    addWorker(name, ip) {
      kube.control.createNode({ name, labels: { "homelab/role": "worker" }, addresses: [{ type: "InternalIP", address: ip }, { type: "Hostname", address: name }] });
    },
    async ownedNeighbors() {
      return withUuid(await api.neighbors(), owned);
    },
    async close() {
      await world.stopAgent();
      await proxy.close();
      await kube.close();
      await removeScenarioObjects(api);
    },
  };
  return world;
}

export { owned, withUuid };
