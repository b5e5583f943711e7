import type { V1Node, V1Service } from "@kubernetes/client-node";
import type { NodeView, ServiceView } from "./types.ts";

/** kubectl's client-side apply copy of the whole object; large and never useful to the agent. */
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

function withoutLastApplied(annotations: Record<string, string> | undefined): Record<string, string> {
  if (!annotations) return {};
  const { [LAST_APPLIED]: _dropped, ...rest } = annotations;
  return rest;
}

export function projectNode(node: V1Node): NodeView {
  return {
    name: node.metadata?.name ?? "",
    uid: node.metadata?.uid ?? "",
    labels: { ...(node.metadata?.labels ?? {}) },
    annotations: withoutLastApplied(node.metadata?.annotations),
    addresses: (node.status?.addresses ?? []).map((a) => ({ type: a.type, address: a.address })),
  };
}

export function projectService(svc: V1Service): ServiceView {
  return {
    namespace: svc.metadata?.namespace ?? "",
    name: svc.metadata?.name ?? "",
    uid: svc.metadata?.uid ?? "",
    type: svc.spec?.type ?? "ClusterIP",
    labels: { ...(svc.metadata?.labels ?? {}) },
    annotations: withoutLastApplied(svc.metadata?.annotations),
    ingress: (svc.status?.loadBalancer?.ingress ?? []).map((i) => ({ ip: i.ip ?? "", hostname: i.hostname ?? "" })),
    ports: (svc.spec?.ports ?? []).map((p) => ({ port: p.port, protocol: p.protocol ?? "TCP", name: p.name ?? "" })),
    loadBalancerSourceRanges: [...(svc.spec?.loadBalancerSourceRanges ?? [])],
  };
}

/**
 * Strip a Node down to the fields the agent reads before the informer caches it. A real Node
 * carries its image list, conditions and managedFields (tens of KB); with thousands of nodes that
 * is what would blow the memory budget.
 */
export function slimNode(node: V1Node): V1Node {
  return {
    apiVersion: node.apiVersion,
    kind: node.kind,
    metadata: {
      name: node.metadata?.name,
      uid: node.metadata?.uid,
      resourceVersion: node.metadata?.resourceVersion,
      labels: node.metadata?.labels,
      annotations: node.metadata?.annotations ? withoutLastApplied(node.metadata.annotations) : undefined,
    },
    status: { addresses: node.status?.addresses },
  };
}

export function slimService(svc: V1Service): V1Service {
  return {
    apiVersion: svc.apiVersion,
    kind: svc.kind,
    metadata: {
      name: svc.metadata?.name,
      namespace: svc.metadata?.namespace,
      uid: svc.metadata?.uid,
      resourceVersion: svc.metadata?.resourceVersion,
      labels: svc.metadata?.labels,
      annotations: svc.metadata?.annotations ? withoutLastApplied(svc.metadata.annotations) : undefined,
    },
    spec: {
      type: svc.spec?.type,
      ports: svc.spec?.ports?.map((p) => ({ port: p.port, protocol: p.protocol, name: p.name })),
      loadBalancerSourceRanges: svc.spec?.loadBalancerSourceRanges,
    },
    status: { loadBalancer: { ingress: svc.status?.loadBalancer?.ingress } },
  };
}
