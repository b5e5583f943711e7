import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../src/agent.ts";
import { startKubeFake, type KubeFake } from "../fakes/kube-apiserver/index.ts";
import { startOpnsenseSimulator, type Simulator } from "../fakes/opnsense/index.ts";
import { waitFor } from "../helpers/wait.ts";
import { baseEnv, configFrom } from "./world.ts";

/**
 * In a pod the agent talks to the API server over HTTPS with the service account's token and CA.
 * client-node's loadFromCluster reads them from a path prefix, so the same code path runs here.
 */
describe("in-cluster configuration (service account token + CA over HTTPS)", () => {
  let kube: KubeFake;
  let sim: Simulator;
  let agent: Agent | null = null;
  const saved = { host: process.env["KUBERNETES_SERVICE_HOST"], port: process.env["KUBERNETES_SERVICE_PORT"] };

  beforeAll(async () => {
    kube = await startKubeFake({ tls: true, token: "sa-token-123" });
    sim = await startOpnsenseSimulator({ version: "26.1.11", authFailDelayMs: 0 });
  });
  afterAll(async () => {
    await agent?.stop();
    await kube.close();
    await sim.close();
    process.env["KUBERNETES_SERVICE_HOST"] = saved.host;
    process.env["KUBERNETES_SERVICE_PORT"] = saved.port;
  });

  it("lists and watches nodes with the bearer token and the cluster CA, and syncs them", async () => {
    kube.control.createNode({ name: "worker-1", labels: { "homelab/role": "worker" }, addresses: [{ type: "InternalIP", address: "10.0.20.11" }] });
    const files = kube.writeInClusterFiles(mkdtempSync(join(tmpdir(), "sa-")));
    process.env["KUBERNETES_SERVICE_HOST"] = files.env.KUBERNETES_SERVICE_HOST;
    process.env["KUBERNETES_SERVICE_PORT"] = files.env.KUBERNETES_SERVICE_PORT;
    const kc = new KubeConfig();
    kc.loadFromCluster(files.pathPrefix);
    agent = await startAgent({ config: configFrom(baseEnv(sim)), logger: pino({ level: "silent" }), kubeConfig: kc, tuning: { defaultMetrics: false } });
    await waitFor(() => Object.keys(sim.control.state().neighbors).length === 1, "neighbor from the in-cluster watch");
    const authorized = kube.control.requests().filter((r) => r.path === "/api/v1/nodes");
    expect(authorized.length).toBeGreaterThan(0);
    expect(authorized.every((r) => r.status === 200)).toBe(true);
  });
});
