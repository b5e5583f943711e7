import type { V1Node, V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { projectNode, projectService, slimNode, slimService } from "../../../src/cluster/project.ts";

const bigNode: V1Node = {
  apiVersion: "v1",
  kind: "Node",
  metadata: {
    name: "worker-1",
    uid: "u1",
    resourceVersion: "42",
    labels: { "homelab/role": "worker" },
    annotations: { "opnsense-bgp-agent/asn": "64600", "kubectl.kubernetes.io/last-applied-configuration": "{...}" },
    managedFields: [{ manager: "kubelet" }],
  },
  status: {
    addresses: [
      { type: "InternalIP", address: "10.0.20.11" },
      { type: "Hostname", address: "worker-1" },
    ],
    images: [{ names: ["registry/image:1"], sizeBytes: 1 }],
    conditions: [{ type: "Ready", status: "True" }],
  },
};

describe("node projection", () => {
  it("keeps name, uid, labels, annotations (without kubectl's copy) and addresses only", () => {
    expect(projectNode(bigNode)).toEqual({
      name: "worker-1",
      uid: "u1",
      labels: { "homelab/role": "worker" },
      annotations: { "opnsense-bgp-agent/asn": "64600" },
      addresses: [
        { type: "InternalIP", address: "10.0.20.11" },
        { type: "Hostname", address: "worker-1" },
      ],
    });
  });

  it("slims the cached object but keeps the resourceVersion the informer needs", () => {
    const slim = slimNode(bigNode);
    expect(slim.metadata?.resourceVersion).toBe("42");
    expect(slim.status?.images).toBeUndefined();
    expect(slim.metadata?.managedFields).toBeUndefined();
    expect(projectNode(slim)).toEqual(projectNode(bigNode));
  });
});

describe("service projection", () => {
  const svc: V1Service = {
    metadata: { name: "web", namespace: "apps", uid: "s1", resourceVersion: "7", labels: { "homelab/public-service": "true" } },
    spec: { type: "LoadBalancer", ports: [{ port: 443, protocol: "TCP", name: "https" }, { port: 53 }], loadBalancerSourceRanges: ["192.168.1.0/24"] },
    status: { loadBalancer: { ingress: [{ ip: "10.96.0.10" }, { hostname: "lb.example" }] } },
  };
  it("keeps type, ports (protocol defaults to TCP), source ranges and ingress", () => {
    expect(projectService(svc)).toEqual({
      namespace: "apps",
      name: "web",
      uid: "s1",
      type: "LoadBalancer",
      labels: { "homelab/public-service": "true" },
      annotations: {},
      ingress: [
        { ip: "10.96.0.10", hostname: "" },
        { ip: "", hostname: "lb.example" },
      ],
      ports: [
        { port: 443, protocol: "TCP", name: "https" },
        { port: 53, protocol: "TCP", name: "" },
      ],
      loadBalancerSourceRanges: ["192.168.1.0/24"],
    });
    expect(projectService(slimService(svc))).toEqual(projectService(svc));
  });
});
