// Wiring for the lab tests: OPNsense simulator + FRR bridge (+ kube fake + the real agent).
import { Writable } from "node:stream";
import { KubeConfig } from "@kubernetes/client-node";
import { startAgent, type Agent } from "../../src/agent.ts";
import { loadConfig } from "../../src/config/index.ts";
import { createLogger } from "../../src/log.ts";
import { startKubeFake, type KubeFake } from "../fakes/kube-apiserver/index.ts";
import { startOpnsenseSimulator, type OpnVersion, type Simulator } from "../fakes/opnsense/index.ts";
import { startFrrBridge, type FrrBridge } from "./bridge.ts";
import type { Lab } from "./netns.ts";

export class LineCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    for (const l of chunk.toString("utf8").split("\n")) if (l.trim() !== "") this.lines.push(l);
    cb();
  }
  tail(n = 25): string {
    return this.lines.slice(-n).join("\n");
  }
}

export type SimWorld = {
  readonly sim: Simulator;
  readonly bridge: FrrBridge;
  /** POST an OPNsense API call with the simulator's key (what an API user would do) */
  api(method: "GET" | "POST", path: string, body?: unknown): Promise<unknown>;
  diagnostics(): Promise<string>;
  close(): Promise<void>;
};

export async function startSimWorld(lab: Lab, version: OpnVersion): Promise<SimWorld> {
  const sim = await startOpnsenseSimulator({ version, authFailDelayMs: 0 });
  const bridge = startFrrBridge({ control: sim.control, frr: lab.frr, interfaceDevices: { lan: lab.routerDevice } });
  // the bridge first puts the real FRR into the simulator's (stopped) state: no BGP
  await bridge.synced();
  const auth = "Basic " + Buffer.from(`${sim.apiKey}:${sim.apiSecret}`).toString("base64");
  return {
    sim,
    bridge,
    async api(method, path, body) {
      const res = await fetch(sim.url + path, {
        method,
        headers: { authorization: auth, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
      return JSON.parse(text) as unknown;
    },
    diagnostics: () => labDiagnostics(lab, bridge),
    async close() {
      await bridge.stop();
      await sim.close();
    },
  };
}

export async function labDiagnostics(lab: Lab, bridge: FrrBridge, extra = ""): Promise<string> {
  const parts: string[] = [];
  const safe = async (label: string, f: () => Promise<string>): Promise<void> => {
    try {
      parts.push(`--- ${label}\n${await f()}`);
    } catch (e) {
      parts.push(`--- ${label}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  await safe("vtysh show bgp summary", () => lab.frr.vtysh("show bgp summary"));
  await safe("vtysh show bgp ipv4 unicast", () => lab.frr.vtysh("show bgp ipv4 unicast"));
  await safe("FRR running-config", () => lab.frr.runningConfig());
  const last = bridge.applies.at(-1);
  parts.push(
    `--- bridge: ${bridge.applies.length} applies, ${bridge.failures.length} failed` +
      (last ? `; last (${last.method}, ok=${String(last.ok)}) conf:\n${last.conf}\noutput tail:\n${last.output.split("\n").slice(-12).join("\n")}` : ""),
  );
  parts.push(`--- daemons\n${lab.daemons.logs()}`);
  if (extra !== "") parts.push(extra);
  return parts.join("\n");
}

export type AgentWorld = SimWorld & {
  readonly kube: KubeFake;
  readonly agent: Agent;
  readonly logs: LineCapture;
};

export async function startAgentWorld(lab: Lab, version: OpnVersion, env: Record<string, string> = {}): Promise<AgentWorld> {
  const w = await startSimWorld(lab, version);
  const kube = await startKubeFake({});
  const kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfig());
  const loaded = loadConfig({
    OPNSENSE_URL: w.sim.url,
    OPNSENSE_API_KEY: w.sim.apiKey,
    OPNSENSE_API_SECRET: w.sim.apiSecret,
    OPNSENSE_TIMEOUT: "5s",
    NODE_SELECTOR: "homelab/role=worker",
    BGP_REMOTE_ASN: "64555",
    BGP_UPDATE_SOURCE: "lan",
    BGP_CONNECT_TIMER: "5",
    DEBOUNCE: "100ms",
    MIN_APPLY_INTERVAL: "0s",
    REMOVAL_GRACE: "0s",
    SYNC_INTERVAL: "1h",
    LEADER_ELECTION: "false",
    LOG_LEVEL: "debug",
    ...env,
  });
  if (!loaded.ok) throw new Error(`lab agent config invalid: ${loaded.errors.join("; ")}`);
  const logs = new LineCapture();
  let agent: Agent;
  try {
    agent = await startAgent({
      config: { ...loaded.config, httpPort: 0 },
      logger: createLogger("debug", logs),
      kubeConfig: kc,
      tuning: { defaultMetrics: false, retries: 1, retryMinTimeoutMs: 10, informerRestartBackoffMs: { initial: 50, max: 500 } },
    });
  } catch (e) {
    await kube.close();
    await w.close();
    throw e;
  }
  return {
    ...w,
    kube,
    agent,
    logs,
    diagnostics: () => labDiagnostics(lab, w.bridge, `--- agent log tail\n${logs.tail()}`),
    async close() {
      await agent.stop();
      await kube.close();
      await w.close();
    },
  };
}
