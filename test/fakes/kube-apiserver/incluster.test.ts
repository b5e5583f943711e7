import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterEach, expect, test } from "vitest";
import { startKubeFake, writeInClusterFiles } from "./index.ts";
import type { KubeFake } from "./index.ts";

// loadFromCluster(pathPrefix) against the fake over HTTPS with a private CA and a bearer token.

let fake: KubeFake | undefined;
let dir: string | undefined;
const savedEnv = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };

afterEach(async () => {
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  for (const [k, v] of [["KUBERNETES_SERVICE_HOST", savedEnv.host], ["KUBERNETES_SERVICE_PORT", savedEnv.port]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

function inClusterConfig(f: KubeFake, token?: string): KubeConfig {
  dir = mkdtempSync(join(tmpdir(), "kube-fake-sa-"));
  const files = writeInClusterFiles(f, dir, { namespace: "homelab", token });
  Object.assign(process.env, files.env);
  const kc = new KubeConfig();
  kc.loadFromCluster(files.pathPrefix);
  return kc;
}

test("in-cluster config over HTTPS: CA from ca.crt, token from the token file, namespace file", async () => {
  fake = await startKubeFake({ tls: true, token: "sa-token" });
  expect(fake.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  expect(fake.caPem).toContain("BEGIN CERTIFICATE");
  fake.control.createNode({ name: "n1" });
  const kc = inClusterConfig(fake);
  expect(kc.getCurrentCluster()?.server).toBe(fake.url);
  expect(kc.getContextObject(kc.getCurrentContext())?.namespace).toBe("homelab");
  const nodes = await kc.makeApiClient(CoreV1Api).listNode();
  expect(nodes.items.map((n) => n.metadata?.name)).toEqual(["n1"]);
  const auth = fake.control.requests({ verb: "list" });
  expect(auth[0]?.status).toBe(200);
  // kubeconfig() inlines the CA for https.
  expect(fake.kubeconfig()).toContain("certificate-authority-data:");
});

test("a wrong service-account token is rejected with 401", async () => {
  fake = await startKubeFake({ tls: true, token: "sa-token" });
  const kc = inClusterConfig(fake, "not-the-token");
  const err = await kc.makeApiClient(CoreV1Api).listNode().catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 401 });
  // client-node drops the body of a 401 (the Status shape is checked in api.test.ts).
  expect(fake.control.requests({ verb: "list" }).map((r) => r.status)).toEqual([401]);
});

test("a client without the CA fails TLS verification", async () => {
  fake = await startKubeFake({ tls: true });
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: fake.url }],
    users: [{ name: "u", token: "x" }],
    contexts: [{ name: "c", cluster: "c", user: "u" }],
    currentContext: "c",
  });
  const err = await kc.makeApiClient(CoreV1Api).listNode().catch((e: unknown) => e);
  expect(String((err as { cause?: { code?: string } }).cause?.code ?? err)).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|self.signed|certificate/i);
});

test("writeInClusterFiles refuses a plain-http fake", async () => {
  fake = await startKubeFake();
  expect(() => fake?.writeInClusterFiles("/tmp/never")).toThrow(/tls: true/);
});
