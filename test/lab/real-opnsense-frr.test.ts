// The BGP lab behind OPNsense's real API code (issue 11.4): the agent talks to a real OPNsense
// instance (its own PHP, any release); the configd stand-in (configd-frr.ts) renders os-frr's
// templates with OPNsense's template engine whenever that code reloads FRR, and loads the result
// into the lab's real FRR; gobgpd nodes peer with it. Nothing of the simulator is involved.
//
// Opt-in (npm run test:real sets nothing of this by itself): besides the BGP lab's own needs
// (root, frr, gobgpd) it needs the real target and three paths of that instance, seen from here:
//   OPNSENSE_REAL_URL, OPNSENSE_REAL_KEY, OPNSENSE_REAL_SECRET   the API
//   OPNSENSE_REAL_CONFIGD_SOCKET   the configd socket its PHP connects to
//   OPNSENSE_REAL_SERVICE_DIR      its configd service directory (modules/, templates/, conf/actions.d/)
//   OPNSENSE_REAL_CONFIG_XML       its config.xml
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeConfig } from "@kubernetes/client-node";
import { startAgent, type Agent } from "../../src/agent.ts";
import { loadConfig } from "../../src/config/index.ts";
import { createLogger } from "../../src/log.ts";
import { startKubeFake, type KubeFake } from "../fakes/kube-apiserver/index.ts";
import { startConfigdFrr, type ConfigdFrr } from "./configd-frr.ts";
import { LineCapture } from "./harness.ts";
import { createLab, labSkipReason, LAB_ASN, type Lab } from "./netns.ts";
import { eventually } from "./wait.ts";

const ENV = ["OPNSENSE_REAL_URL", "OPNSENSE_REAL_KEY", "OPNSENSE_REAL_SECRET", "OPNSENSE_REAL_CONFIGD_SOCKET", "OPNSENSE_REAL_SERVICE_DIR", "OPNSENSE_REAL_CONFIG_XML"] as const;
const env = (k: (typeof ENV)[number]): string => process.env[k] ?? "";
const missing = ENV.filter((k) => env(k) === "");
const labReason = missing.length === 0 ? await labSkipReason() : null;
const skipReason = missing.length > 0 ? `needs ${missing.join(", ")}` : labReason;

const W1 = { name: "worker-1", ip: "10.0.20.11", lb: "10.96.0.11/32" };
const W2 = { name: "worker-2", ip: "10.0.20.12", lb: "10.96.0.12/32" };
/** announced by worker-2 outside the LB pool: the agent's prefix list must keep it out */
const UNWANTED = "10.97.0.5/32";
/** the OPNsense interface whose address is the router's in the nodes' subnet (opt1 = 10.0.20.1 in the instance's config) */
const PEER_INTERFACE = process.env["OPNSENSE_REAL_PEER_INTERFACE"] ?? "opt1";

async function api(method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> {
  const auth = "Basic " + Buffer.from(`${env("OPNSENSE_REAL_KEY")}:${env("OPNSENSE_REAL_SECRET")}`).toString("base64");
  const res = await fetch(env("OPNSENSE_REAL_URL") + path, {
    method,
    headers: { authorization: auth, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

describe.skipIf(skipReason !== null)(
  skipReason !== null ? `BGP lab behind real OPNsense — SKIPPED: ${skipReason}` : "BGP lab behind real OPNsense: os-frr's templates rendered by OPNsense, loaded into real FRR",
  () => {
    let lab: Lab | null = null;
    let configd: ConfigdFrr | null = null;
    let kube: KubeFake | null = null;
    let agent: Agent | null = null;
    let savedConfig: string | null = null;
    const logs = new LineCapture();
    const L = (): Lab => {
      if (lab === null) throw new Error("lab not created");
      return lab;
    };
    const diagnostics = async (): Promise<string> => {
      const parts = [`--- configd stand-in: ${configd?.events.filter((e) => e.handled !== "passed").map((e) => `${e.words.join(" ")} → ${e.handled}${e.error ? ` (${e.error})` : ""}${e.apply && !e.apply.ok ? ` FAILED: ${e.apply.output.slice(-400)}` : ""}`).join("; ")}`];
      parts.push(`--- last rendered frr.conf\n${configd?.lastConf() ?? ""}`);
      try {
        parts.push(`--- FRR summary\n${await L().frr.vtysh("show bgp summary")}`);
      } catch (e) {
        parts.push(`--- FRR summary: ${String(e)}`);
      }
      parts.push(`--- agent log tail\n${logs.tail()}`);
      return parts.join("\n");
    };
    const established = async (ip: string): Promise<boolean> => (await L().frr.summary()).get(ip)?.state === "Established";

    beforeAll(async () => {
      savedConfig = readFileSync(env("OPNSENSE_REAL_CONFIG_XML"), "utf8");
      lab = await createLab({ nodes: [W1, W2] });
      await lab.node(W1.name).announce(W1.lb);
      await lab.node(W2.name).announce(W2.lb);
      await lab.node(W2.name).announce(UNWANTED);
      configd = await startConfigdFrr({
        socketPath: env("OPNSENSE_REAL_CONFIGD_SOCKET"),
        files: { serviceDir: env("OPNSENSE_REAL_SERVICE_DIR"), configXml: env("OPNSENSE_REAL_CONFIG_XML") },
        frr: lab.frr,
        labDevices: { [PEER_INTERFACE]: lab.routerDevice },
      });
      // the router's owner turns on FRR and BGP (AS 64555, iBGP with the nodes, as in the seed setup)
      await api("POST", "/api/quagga/general/set", { general: { enabled: "1" } });
      await api("POST", "/api/quagga/bgp/set", { bgp: { enabled: "1", asnumber: String(LAB_ASN), routerid: lab.routerIp } });
      await api("POST", "/api/quagga/service/reconfigure");

      kube = await startKubeFake({});
      const kc = new KubeConfig();
      kc.loadFromString(kube.kubeconfig());
      const loaded = loadConfig({
        OPNSENSE_URL: env("OPNSENSE_REAL_URL"),
        OPNSENSE_API_KEY: env("OPNSENSE_REAL_KEY"),
        OPNSENSE_API_SECRET: env("OPNSENSE_REAL_SECRET"),
        OPNSENSE_TIMEOUT: "20s",
        NODE_SELECTOR: "homelab/role=worker",
        BGP_REMOTE_ASN: String(LAB_ASN),
        BGP_UPDATE_SOURCE: PEER_INTERFACE,
        BGP_CONNECT_TIMER: "5",
        LB_ADDRESSES: "10.96.0.0/24",
        OWNER_ID: "reallab",
        DEBOUNCE: "100ms",
        MIN_APPLY_INTERVAL: "0s",
        REMOVAL_GRACE: "0s",
        MAX_DELETE_FRACTION: "1",
        SYNC_INTERVAL: "1h",
        LEADER_ELECTION: "false",
        CILIUM_POOLS: "off",
        LOG_LEVEL: "debug",
      });
      if (!loaded.ok) throw new Error(`agent config invalid: ${loaded.errors.join("; ")}`);
      agent = await startAgent({
        config: { ...loaded.config, httpPort: 0 },
        logger: createLogger("debug", logs),
        kubeConfig: kc,
        tuning: { defaultMetrics: false, retries: 1, retryMinTimeoutMs: 10, informerRestartBackoffMs: { initial: 50, max: 500 } },
      });
    }, 120_000);

    afterAll(async () => {
      try {
        await agent?.stop();
        await kube?.close();
      } finally {
        // leave the instance as found (its objects carry this run's cluster claim)
        if (savedConfig !== null) writeFileSync(env("OPNSENSE_REAL_CONFIG_XML"), savedConfig);
        await configd?.close();
        await lab?.teardown();
      }
    }, 60_000);

    it("label → OPNsense reloads FRR with its own templates → Established, only the pool route; unlabel → gone", async () => {
      const k = kube?.control;
      if (k === undefined) throw new Error("no kube fake");
      for (const w of [W1, W2]) {
        k.createNode({ name: w.name, labels: { "homelab/role": "worker" }, addresses: [{ type: "InternalIP", address: w.ip }, { type: "Hostname", address: w.name }] });
      }
      for (const w of [W1, W2]) await eventually(`FRR session to ${w.ip} Established`, () => established(w.ip), diagnostics, 60_000);
      await eventually(`${W2.lb} in FRR's RIB`, async () => (await L().frr.rib()).has(W2.lb), diagnostics);

      // what OPNsense rendered, as FRR runs it: the agent's neighbors with the agent's prefix list
      const running = await L().frr.runningConfig();
      for (const w of [W1, W2]) {
        expect(running).toMatch(new RegExp(`^\\s+neighbor ${w.ip.replace(/\./g, "\\.")} update-source ${L().routerDevice}$`, "m"));
        expect(running).toMatch(new RegExp(`^\\s+neighbor ${w.ip.replace(/\./g, "\\.")} prefix-list opnsense-bgp-agent-reallab-in in$`, "m"));
      }
      expect([...(await L().frr.rib()).keys()].sort()).toEqual([W1.lb, W2.lb]);
      expect((await L().frr.summary()).get(W2.ip)?.pfxRcd).toBe(1);
      const applied = configd?.events.filter((e) => e.handled === "frr-apply") ?? [];
      expect(applied.length).toBeGreaterThan(0);
      expect(applied.every((e) => e.apply?.ok === true)).toBe(true);

      // the agent's session view comes from OPNsense's diagnostics, answered by the real FRR
      await agent?.controller.runNow("real lab: session status");
      const status = agent?.controller.status().nodes.find((n) => n.node === W2.name);
      expect(status).toMatchObject({ address: W2.ip, state: "Established" });
      expect(configd?.events.some((e) => e.handled === "vtysh")).toBe(true);

      // unlabel worker-1: OPNsense reloads FRR again; worker-2's session is not reset
      const before = (await L().frr.neighbors()).get(W2.ip);
      const unlabelled = Date.now();
      k.labelNode(W1.name, "homelab/role", null);
      await eventually(`neighbor ${W1.ip} gone from FRR`, async () => !(await L().frr.neighbors()).has(W1.ip), diagnostics);
      await eventually(`${W1.lb} withdrawn`, async () => !(await L().frr.rib()).has(W1.lb), diagnostics);
      await eventually(`session to ${W2.ip} Established after the change`, () => established(W2.ip), diagnostics, 60_000);
      const after = (await L().frr.neighbors()).get(W2.ip);
      // os-frr ≥ 1.43 reloads FRR (untouched sessions stay up); older releases stop and start it
      const last = configd?.events.filter((e) => e.handled === "frr-apply").at(-1)?.words[1];
      if (last === "reload") {
        expect(after?.connectionsEstablished).toBe(before?.connectionsEstablished);
      } else {
        // a stopped bgpd forgets its counters: the session's age shows it was re-established
        expect(["start", "restart"]).toContain(last);
        expect(after?.bgpTimerUpMsec).toBeLessThanOrEqual(Date.now() - unlabelled);
      }
      console.info(`[real-lab] FRR changes by OPNsense: ${configd?.events.filter((e) => e.handled !== "passed" && e.handled !== "vtysh").map((e) => e.words.slice(1).join(" ")).join(", ")}`);
    }, 180_000);
  },
);
