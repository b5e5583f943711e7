import type { KubeObject } from "./types.ts";
import { isPlainObject } from "./json.ts";

// Server-side defaulting that the agent's code paths (and kubectl's printers) rely on:
// a Service gets a type, a cluster IP and node ports; a Node gets a Ready condition.

interface Allocators {
  nextClusterIp(): string;
  nextNodePort(): number;
}

export function createAllocators(): Allocators {
  let ip = 10;
  let port = 30000;
  return {
    nextClusterIp: () => {
      const n = ip++;
      return `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`;
    },
    nextNodePort: () => port++,
  };
}

function ensureObject(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = parent[key];
  if (isPlainObject(v)) return v;
  const fresh: Record<string, unknown> = {};
  parent[key] = fresh;
  return fresh;
}

function defaultService(obj: KubeObject, alloc: Allocators): void {
  const spec = ensureObject(obj, "spec");
  if (typeof spec.type !== "string") spec.type = "ClusterIP";
  const type = spec.type;
  if (type !== "ExternalName") {
    if (typeof spec.clusterIP !== "string" || spec.clusterIP === "") spec.clusterIP = alloc.nextClusterIp();
    if (!Array.isArray(spec.clusterIPs) && spec.clusterIP !== "None") spec.clusterIPs = [spec.clusterIP];
    if (!Array.isArray(spec.ipFamilies)) spec.ipFamilies = ["IPv4"];
    if (typeof spec.ipFamilyPolicy !== "string") spec.ipFamilyPolicy = "SingleStack";
    if (typeof spec.sessionAffinity !== "string") spec.sessionAffinity = "None";
    if (typeof spec.internalTrafficPolicy !== "string") spec.internalTrafficPolicy = "Cluster";
  }
  if ((type === "LoadBalancer" || type === "NodePort") && typeof spec.externalTrafficPolicy !== "string") {
    spec.externalTrafficPolicy = "Cluster";
  }
  if (type === "LoadBalancer" && spec.allocateLoadBalancerNodePorts === undefined) {
    spec.allocateLoadBalancerNodePorts = true;
  }
  if (Array.isArray(spec.ports)) {
    for (const p of spec.ports) {
      if (!isPlainObject(p)) continue;
      if (typeof p.protocol !== "string") p.protocol = "TCP";
      if (p.targetPort === undefined) p.targetPort = p.port;
      if ((type === "LoadBalancer" || type === "NodePort") && typeof p.nodePort !== "number") {
        p.nodePort = alloc.nextNodePort();
      }
    }
  }
  const status = ensureObject(obj, "status");
  ensureObject(status, "loadBalancer");
}

function defaultNode(obj: KubeObject, now: string): void {
  ensureObject(obj, "spec");
  const status = ensureObject(obj, "status");
  if (!Array.isArray(status.conditions)) {
    status.conditions = [
      {
        type: "Ready",
        status: "True",
        reason: "KubeletReady",
        message: "kubelet is posting ready status",
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      },
    ];
  }
  if (!Array.isArray(status.addresses)) status.addresses = [];
  const info = ensureObject(status, "nodeInfo");
  if (typeof info.kubeletVersion !== "string") info.kubeletVersion = "v1.32.0";
  if (typeof info.architecture !== "string") info.architecture = "amd64";
  if (typeof info.operatingSystem !== "string") info.operatingSystem = "linux";
}

function defaultNamespace(obj: KubeObject): void {
  ensureObject(obj, "spec").finalizers ??= ["kubernetes"];
  const status = ensureObject(obj, "status");
  if (typeof status.phase !== "string") status.phase = "Active";
  const labels = (obj.metadata.labels ??= {});
  if (obj.metadata.name) labels["kubernetes.io/metadata.name"] = obj.metadata.name;
}

export function applyCreateDefaults(plural: string, group: string, obj: KubeObject, alloc: Allocators, now: string): void {
  if (group !== "") return;
  if (plural === "services") defaultService(obj, alloc);
  else if (plural === "nodes") defaultNode(obj, now);
  else if (plural === "namespaces") defaultNamespace(obj);
}
