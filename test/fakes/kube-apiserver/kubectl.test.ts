import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startKubeFake } from "./index.ts";
import type { KubeFake } from "./index.ts";

// Drives the real kubectl (if installed) against the fake. kubectl gets its own kubeconfig,
// cache dir and HOME in a temp dir, so the user's ~/.kube is never read or written.

const run = promisify(execFile);
// KUBE_FAKE_KUBECTL picks another binary (a bogus path shows the skip behaviour).
const KUBECTL = process.env.KUBE_FAKE_KUBECTL ?? "kubectl";
const hasKubectl = spawnSync(KUBECTL, ["version", "--client"], { stdio: "ignore" }).status === 0;
const SKIP = hasKubectl ? "" : ` [SKIPPED: ${KUBECTL === "kubectl" ? "kubectl not found on PATH" : `${KUBECTL} not runnable`}]`;

if (!hasKubectl) {
  process.stderr.write(`kube-apiserver fake: kubectl tests${SKIP}\n`);
}

const SERVICE_YAML = (targetPort: number, extraLabel: string) => `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
  labels:
    app: web
${extraLabel ? `    ${extraLabel}\n` : ""}spec:
  type: LoadBalancer
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: ${targetPort}
  - name: https
    port: 443
`;

// Shaped like the examples in Cilium's LB IPAM and BGP control plane docs.
const CILIUM_YAML = (poolCidr: string) => `apiVersion: cilium.io/v2alpha1
kind: CiliumLoadBalancerIPPool
metadata:
  name: blue-pool
spec:
  blocks:
  - cidr: "${poolCidr}"
  - start: "10.21.0.100"
    stop: "10.21.0.200"
---
apiVersion: cilium.io/v2alpha1
kind: CiliumBGPPeeringPolicy
metadata:
  name: 01-bgp-peering-policy
spec:
  nodeSelector:
    matchLabels:
      homelab/role: worker
  virtualRouters:
  - localASN: 64555
    exportPodCIDR: false
    neighbors:
    - peerAddress: "10.0.0.1/32"
      peerASN: 64512
      holdTimeSeconds: 9
      keepAliveTimeSeconds: 3
      gracefulRestart:
        enabled: true
---
apiVersion: cilium.io/v2
kind: CiliumBGPClusterConfig
metadata:
  name: cilium-bgp
spec:
  nodeSelector:
    matchLabels:
      homelab/role: worker
  bgpInstances:
  - name: "instance-64555"
    localASN: 64555
    peers:
    - name: "opnsense"
      peerASN: 64512
      peerAddress: 10.0.0.1
      peerConfigRef:
        name: "cilium-peer"
---
apiVersion: cilium.io/v2
kind: CiliumBGPPeerConfig
metadata:
  name: cilium-peer
spec:
  timers:
    holdTimeSeconds: 9
    keepAliveTimeSeconds: 3
  gracefulRestart:
    enabled: true
    restartTimeSeconds: 15
`;

describe.skipIf(!hasKubectl)(`real kubectl against the fake${SKIP}`, () => {
  let fake: KubeFake;
  let tlsFake: KubeFake;
  let dir: string;

  async function kubectl(args: string[], via: "kubeconfig" | "server" = "kubeconfig"): Promise<string> {
    const conn = via === "kubeconfig" ? ["--kubeconfig", join(dir, "kubeconfig")] : ["--server", fake.url];
    const { stdout } = await run(KUBECTL, [...conn, "--cache-dir", join(dir, "cache"), "--request-timeout", "10s", ...args], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, KUBECONFIG: join(dir, "kubeconfig") },
      timeout: 15_000,
    });
    return stdout;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "kube-fake-kubectl-"));
    fake = await startKubeFake();
    writeFileSync(join(dir, "kubeconfig"), fake.kubeconfig());
    fake.control.createNode({ name: "cp-1", labels: { "node-role.kubernetes.io/control-plane": "" } });
    fake.control.createNode({ name: "worker-1", labels: { "homelab/role": "worker" } });
    fake.control.createNode({ name: "worker-2", labels: { "homelab/role": "worker" } });
  });
  afterAll(async () => {
    await fake?.close();
    await tlsFake?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("get nodes (Table), with -l selector, and with plain --server http://", async () => {
    const all = await kubectl(["get", "nodes"]);
    expect(all).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
    expect(all).toMatch(/cp-1\s+Ready\s+control-plane/);
    const workers = await kubectl(["get", "nodes", "-l", "homelab/role=worker", "-o", "name"]);
    expect(workers.trim().split("\n")).toEqual(["node/worker-1", "node/worker-2"]);
    const notin = await kubectl(["get", "no", "-l", "homelab/role notin (worker)", "-o", "jsonpath={.items[*].metadata.name}"], "server");
    expect(notin).toBe("cp-1");
  });

  test("label, annotate and delete a node", async () => {
    expect(await kubectl(["label", "node", "worker-1", "bgp.homelab/peer=true"])).toContain("node/worker-1 labeled");
    expect(fake.control.get("nodes", "worker-1")?.metadata.labels?.["bgp.homelab/peer"]).toBe("true");
    expect(await kubectl(["label", "node", "worker-1", "bgp.homelab/peer-"])).toContain("labeled");
    expect(fake.control.get("nodes", "worker-1")?.metadata.labels?.["bgp.homelab/peer"]).toBeUndefined();
    expect(await kubectl(["annotate", "node", "worker-2", "homelab/asn=64512"])).toContain("node/worker-2 annotated");
    expect(fake.control.get("nodes", "worker-2")?.metadata.annotations).toEqual({ "homelab/asn": "64512" });
    expect(await kubectl(["delete", "node", "worker-2"])).toContain('node "worker-2" deleted');
    expect(fake.control.get("nodes", "worker-2")).toBeUndefined();
  });

  test("apply -f a Service twice (create, then strategic merge patch), get svc -A", async () => {
    const file = join(dir, "svc.yaml");
    writeFileSync(file, SERVICE_YAML(8080, ""));
    expect(await kubectl(["apply", "-f", file])).toContain("service/web created");
    writeFileSync(file, SERVICE_YAML(9090, "tier: fe"));
    expect(await kubectl(["apply", "-f", file])).toContain("service/web configured");
    const svc = fake.control.get("services", "default", "web");
    const spec = svc?.spec as { ports: { port: number; targetPort: number; nodePort: number }[] };
    expect(spec.ports.map((p) => [p.port, p.targetPort])).toEqual([
      [80, 9090],
      [443, 443],
    ]);
    expect(svc?.metadata.labels).toEqual({ app: "web", tier: "fe" });
    expect(svc?.metadata.annotations?.["kubectl.kubernetes.io/last-applied-configuration"]).toContain('"tier":"fe"');
    const patch = fake.control.requests({ method: "PATCH", path: "/services/web" });
    expect(patch[0]?.contentType).toBe("application/strategic-merge-patch+json");

    fake.control.createService({ namespace: "kube-system", name: "dns", type: "ClusterIP", ports: [53] });
    fake.control.setServiceIngress("default", "web", ["10.20.0.10"]);
    const out = await kubectl(["get", "svc", "-A"]);
    expect(out).toMatch(/^NAMESPACE\s+NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE/);
    expect(out).toMatch(/default\s+web\s+LoadBalancer\s+10\.96\.\S+\s+10\.20\.0\.10\s+80:\d+\/TCP,443:\d+\/TCP/);
    expect(out).toMatch(/kube-system\s+dns\s+ClusterIP/);
  });

  test("apply -f Cilium's pool and BGP resources (v2alpha1 and v2), re-apply (merge patch), get and delete", async () => {
    const file = join(dir, "cilium.yaml");
    writeFileSync(file, CILIUM_YAML("10.20.0.0/24"));
    const created = await kubectl(["apply", "-f", file]);
    expect(created).toContain("ciliumloadbalancerippool.cilium.io/blue-pool created");
    expect(created).toContain("ciliumbgppeeringpolicy.cilium.io/01-bgp-peering-policy created");
    expect(created).toContain("ciliumbgpclusterconfig.cilium.io/cilium-bgp created");
    expect(created).toContain("ciliumbgppeerconfig.cilium.io/cilium-peer created");
    writeFileSync(file, CILIUM_YAML("10.20.1.0/24"));
    const again = await kubectl(["apply", "-f", file]);
    expect(again).toContain("ciliumloadbalancerippool.cilium.io/blue-pool configured");
    expect(again).toContain("ciliumbgppeeringpolicy.cilium.io/01-bgp-peering-policy unchanged");
    const pool = fake.control.get("CiliumLoadBalancerIPPool", "blue-pool");
    expect((pool?.spec as { blocks: unknown[] }).blocks).toEqual([{ cidr: "10.20.1.0/24" }, { start: "10.21.0.100", stop: "10.21.0.200" }]);
    const patch = fake.control.requests({ method: "PATCH", path: "/ciliumloadbalancerippools/blue-pool" });
    expect(patch[0]?.contentType).toBe("application/merge-patch+json");
    const cc = fake.control.get("CiliumBGPClusterConfig", "cilium-bgp");
    expect((cc?.spec as { bgpInstances: { peers: { peerConfigRef: { name: string } }[] }[] }).bgpInstances[0]?.peers[0]?.peerConfigRef.name).toBe("cilium-peer");
    expect(await kubectl(["get", "ippools", "-o", "name"])).toBe("ciliumloadbalancerippool.cilium.io/blue-pool\n");
    expect(await kubectl(["get", "ciliumbgppeeringpolicies.v2alpha1.cilium.io", "-o", "jsonpath={.items[0].spec.virtualRouters[0].localASN}"])).toBe("64555");
    expect(await kubectl(["delete", "-f", file])).toContain('ciliumloadbalancerippool.cilium.io "blue-pool" deleted');
    expect(fake.control.list("CiliumLoadBalancerIPPool")).toEqual([]);
  });

  test("HTTPS with token: --insecure-skip-tls-verify and the generated kubeconfig (CA data)", async () => {
    tlsFake = await startKubeFake({ tls: true, token: "kubectl-token" });
    tlsFake.control.createNode({ name: "tls-node" });
    const base = ["--cache-dir", join(dir, "cache-tls"), "--request-timeout", "10s"];
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, KUBECONFIG: join(dir, "none") };
    const insecure = await run(KUBECTL, [...base, "--server", tlsFake.url, "--insecure-skip-tls-verify", "--token", "kubectl-token", "get", "nodes", "-o", "name"], { env });
    expect(insecure.stdout.trim()).toBe("node/tls-node");
    writeFileSync(join(dir, "kubeconfig-tls"), tlsFake.kubeconfig());
    const withCa = await run(KUBECTL, [...base, "--kubeconfig", join(dir, "kubeconfig-tls"), "get", "nodes", "-o", "name"], { env });
    expect(withCa.stdout.trim()).toBe("node/tls-node");
    const denied = await run(KUBECTL, [...base, "--server", tlsFake.url, "--insecure-skip-tls-verify", "--token", "wrong", "get", "nodes"], { env }).catch((e: unknown) => e as { stderr: string });
    expect((denied as { stderr: string }).stderr).toMatch(/Unauthorized|must be logged in/);
  });
});
