import type { ResourceDef } from "./types.ts";

export const CILIUM_GROUP = "cilium.io";

// Only what the agent and kubectl need. Adding a resource here makes it appear in
// discovery and gives it the generic CRUD/list/watch handlers.
const defs: ResourceDef[] = [
  {
    group: "",
    version: "v1",
    plural: "namespaces",
    singular: "namespace",
    kind: "Namespace",
    listKind: "NamespaceList",
    namespaced: false,
    shortNames: ["ns"],
    categories: [],
    subresources: ["status"],
    fieldSelectors: ["metadata.name", "status.phase"],
  },
  {
    group: "",
    version: "v1",
    plural: "nodes",
    singular: "node",
    kind: "Node",
    listKind: "NodeList",
    namespaced: false,
    shortNames: ["no"],
    categories: [],
    subresources: ["status"],
    fieldSelectors: ["metadata.name", "spec.unschedulable"],
  },
  {
    group: "",
    version: "v1",
    plural: "services",
    singular: "service",
    kind: "Service",
    listKind: "ServiceList",
    namespaced: true,
    shortNames: ["svc"],
    categories: ["all"],
    subresources: ["status"],
    fieldSelectors: ["metadata.name", "metadata.namespace", "spec.type", "spec.clusterIP"],
  },
  {
    group: "",
    version: "v1",
    plural: "events",
    singular: "event",
    kind: "Event",
    listKind: "EventList",
    namespaced: true,
    shortNames: ["ev"],
    categories: [],
    subresources: [],
    fieldSelectors: [
      "metadata.name",
      "metadata.namespace",
      "involvedObject.kind",
      "involvedObject.namespace",
      "involvedObject.name",
      "involvedObject.uid",
      "involvedObject.apiVersion",
      "involvedObject.resourceVersion",
      "involvedObject.fieldPath",
      "reason",
      "reportingComponent",
      "source",
      "type",
    ],
  },
  {
    group: "events.k8s.io",
    version: "v1",
    plural: "events",
    singular: "event",
    kind: "Event",
    listKind: "EventList",
    namespaced: true,
    shortNames: ["ev"],
    categories: [],
    subresources: [],
    fieldSelectors: ["metadata.name", "metadata.namespace", "reason", "type", "regarding.kind", "regarding.name", "regarding.namespace"],
  },
  {
    group: "coordination.k8s.io",
    version: "v1",
    plural: "leases",
    singular: "lease",
    kind: "Lease",
    listKind: "LeaseList",
    namespaced: true,
    shortNames: [],
    categories: [],
    subresources: [],
    fieldSelectors: ["metadata.name", "metadata.namespace"],
  },
  // Cilium's CRDs (cluster-scoped; v2 listed first so it is the group's preferred version).
  // Both versions share one store, as a real apiserver serves one object in every version.
  ...ciliumDefs(),
];

function ciliumDefs(): ResourceDef[] {
  const kinds: { kind: string; plural: string; shortNames: string[]; versions: string[] }[] = [
    { kind: "CiliumLoadBalancerIPPool", plural: "ciliumloadbalancerippools", shortNames: ["ippools", "ippool", "lbippool", "lbippools"], versions: ["v2", "v2alpha1"] },
    { kind: "CiliumBGPPeeringPolicy", plural: "ciliumbgppeeringpolicies", shortNames: ["bgpp"], versions: ["v2alpha1"] },
    { kind: "CiliumBGPClusterConfig", plural: "ciliumbgpclusterconfigs", shortNames: ["cbgpcluster"], versions: ["v2", "v2alpha1"] },
    { kind: "CiliumBGPPeerConfig", plural: "ciliumbgppeerconfigs", shortNames: ["cbgppeer"], versions: ["v2", "v2alpha1"] },
    { kind: "CiliumBGPAdvertisement", plural: "ciliumbgpadvertisements", shortNames: ["cbgpadvert"], versions: ["v2", "v2alpha1"] },
  ];
  return ["v2", "v2alpha1"].flatMap((version) =>
    kinds
      .filter((k) => k.versions.includes(version))
      .map((k) => ({
        group: CILIUM_GROUP,
        version,
        plural: k.plural,
        singular: k.kind.toLowerCase(),
        kind: k.kind,
        listKind: `${k.kind}List`,
        namespaced: false,
        shortNames: k.shortNames,
        categories: ["cilium"],
        subresources: ["status"],
        fieldSelectors: ["metadata.name"],
      })),
  );
}

export const RESOURCES: readonly ResourceDef[] = defs;

/** Which resources a server instance serves (a fake started without the cilium.io CRDs hides them). */
export type Served = (def: ResourceDef) => boolean;
export const SERVE_ALL: Served = () => true;

export function resourceKey(def: ResourceDef): string {
  return def.group ? `${def.plural}.${def.group}` : def.plural;
}

export function apiVersionOf(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

export function findResource(group: string, version: string, plural: string, served: Served = SERVE_ALL): ResourceDef | undefined {
  return defs.find((d) => d.group === group && d.version === version && d.plural === plural && served(d));
}

/** Accepts kind ("Node"), plural ("nodes"), singular, short name or "leases.coordination.k8s.io". */
export function resolveResource(name: string): ResourceDef {
  const lower = name.toLowerCase();
  const dot = lower.indexOf(".");
  if (dot > 0) {
    const plural = lower.slice(0, dot);
    const group = lower.slice(dot + 1);
    const hit = defs.find((d) => d.group === group && (d.plural === plural || d.singular === plural));
    if (hit) return hit;
  }
  // Core group wins for ambiguous names such as "events".
  const hit = defs.find(
    (d) => d.plural === lower || d.singular === lower || d.kind.toLowerCase() === lower || d.shortNames.includes(lower),
  );
  if (!hit) throw new Error(`kube-fake: unknown resource ${JSON.stringify(name)}`);
  return hit;
}

export function groupVersions(served: Served = SERVE_ALL): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const d of defs.filter(served)) seen.set(`${d.group}/${d.version}`, { group: d.group, version: d.version });
  return [...seen.values()];
}
