import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { allowed, grantsFor, parseRequest, readManifests } from "../../helpers/rbac.ts";

const SA = { namespace: "kube-system", name: "opnsense-bgp-agent" };
const grants = grantsFor(readManifests(), SA);
const can = (verb: string, path: string) => {
  const r = parseRequest(verb, path);
  if (r === null) throw new Error(`not a resource path: ${path}`);
  return allowed(grants, r);
};

describe("deploy/rbac.yaml grants least privilege", () => {
  it("has exactly these rules, bound to the agent's service account", () => {
    const summary = grants.map(({ rule, namespace, from }) => ({ from, namespace, ...rule }));
    expect(summary).toEqual([
      { from: "ClusterRole opnsense-bgp-agent", namespace: null, apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
      { from: "ClusterRole opnsense-bgp-agent", namespace: null, apiGroups: [""], resources: ["services"], verbs: ["get", "list", "watch"] },
      {
        from: "ClusterRole opnsense-bgp-agent",
        namespace: null,
        apiGroups: ["cilium.io"],
        resources: ["ciliumloadbalancerippools", "ciliumbgppeeringpolicies", "ciliumbgpclusterconfigs", "ciliumbgppeerconfigs"],
        verbs: ["get", "list", "watch"],
      },
      { from: "ClusterRole opnsense-bgp-agent", namespace: null, apiGroups: [""], resources: ["namespaces"], resourceNames: ["kube-system"], verbs: ["get"] },
      { from: "Role opnsense-bgp-agent-leader", namespace: "kube-system", apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: ["opnsense-bgp-agent"], verbs: ["get", "update"] },
      { from: "Role opnsense-bgp-agent-events", namespace: "default", apiGroups: [""], resources: ["events"], verbs: ["create"] },
    ]);
  });

  it("allows what the agent does", () => {
    expect(can("list", "/api/v1/nodes")).toBe(true);
    expect(can("watch", "/api/v1/services")).toBe(true);
    expect(can("get", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/opnsense-bgp-agent")).toBe(true);
    expect(can("update", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/opnsense-bgp-agent")).toBe(true);
    expect(can("create", "/api/v1/namespaces/default/events")).toBe(true);
    expect(can("watch", "/apis/cilium.io/v2/ciliumloadbalancerippools")).toBe(true);
    expect(can("list", "/apis/cilium.io/v2alpha1/ciliumbgppeeringpolicies")).toBe(true);
    expect(can("list", "/apis/cilium.io/v2/ciliumbgpclusterconfigs")).toBe(true);
    expect(can("watch", "/apis/cilium.io/v2/ciliumbgppeerconfigs")).toBe(true);
  });

  it("reads Cilium's resources only", () => {
    expect(can("update", "/apis/cilium.io/v2/ciliumloadbalancerippools/blue")).toBe(false);
    expect(can("patch", "/apis/cilium.io/v2alpha1/ciliumbgppeeringpolicies/rack0")).toBe(false);
    expect(can("list", "/apis/cilium.io/v2/ciliumnetworkpolicies")).toBe(false);
    expect(can("list", "/apis/cilium.io/v2/ciliumnodes")).toBe(false);
  });

  it("refuses other Leases, creating Leases, patching Events and Events outside default", () => {
    expect(can("get", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager")).toBe(false);
    expect(can("update", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler")).toBe(false);
    expect(can("list", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases")).toBe(false);
    expect(can("create", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases")).toBe(false);
    expect(can("patch", "/api/v1/namespaces/default/events/worker-1.abc")).toBe(false);
    expect(can("create", "/api/v1/namespaces/kube-system/events")).toBe(false);
    expect(can("create", "/apis/events.k8s.io/v1/namespaces/default/events")).toBe(false);
    expect(can("update", "/api/v1/nodes/worker-1")).toBe(false);
    expect(can("get", "/api/v1/namespaces/kube-system/secrets/opnsense-bgp-agent-api")).toBe(false);
    // Only the kube-system namespace (its UID identifies the cluster on the router), nothing else.
    expect(can("get", "/api/v1/namespaces/kube-system")).toBe(true);
    expect(can("get", "/api/v1/namespaces/default")).toBe(false);
    expect(can("list", "/api/v1/namespaces")).toBe(false);
  });

  it("ships the Lease the leader Role names, in the Role's namespace, without a holder", () => {
    const lease = parse(readFileSync(join(import.meta.dirname, "../../../deploy/lease.yaml"), "utf8")) as { kind: string; metadata: { name: string; namespace: string }; spec?: Record<string, unknown> };
    expect(lease).toMatchObject({ kind: "Lease", metadata: { name: "opnsense-bgp-agent", namespace: "kube-system" } });
    expect(lease.spec?.["holderIdentity"]).toBeUndefined();
    expect(readFileSync(join(import.meta.dirname, "../../../deploy/kustomization.yaml"), "utf8")).toMatch(/^\s+- lease\.yaml$/m);
  });
});
