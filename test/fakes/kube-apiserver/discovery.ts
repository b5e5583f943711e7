import { groupVersions, RESOURCES, SERVE_ALL, type Served } from "./resources.ts";

// Legacy (unaggregated) discovery documents. kubectl 1.32 asks for aggregated discovery
// (apidiscovery.k8s.io/v2) first but falls back to these when the response is plain
// APIVersions / APIGroupList JSON.

const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

export function versionInfo(): Record<string, unknown> {
  return {
    major: "1",
    minor: "32",
    gitVersion: "v1.32.0-kube-fake",
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2026-01-01T00:00:00Z",
    goVersion: "go1.23.4",
    compiler: "gc",
    platform: "linux/amd64",
  };
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

function apiGroup(group: string, served: Served): Record<string, unknown> {
  const versions = groupVersions(served)
    .filter((gv) => gv.group === group)
    .map((gv) => ({ groupVersion: `${group}/${gv.version}`, version: gv.version }));
  return { kind: "APIGroup", apiVersion: "v1", name: group, versions, preferredVersion: versions[0] };
}

export function apiGroupList(served: Served = SERVE_ALL): Record<string, unknown> {
  const groups = [...new Set(groupVersions(served).map((gv) => gv.group).filter((g) => g !== ""))];
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: groups.map((g) => {
      const doc = apiGroup(g, served);
      delete doc.kind;
      delete doc.apiVersion;
      return doc;
    }),
  };
}

export function apiGroupDoc(group: string, served: Served = SERVE_ALL): Record<string, unknown> | undefined {
  return groupVersions(served).some((gv) => gv.group === group) ? apiGroup(group, served) : undefined;
}

export function apiResourceList(group: string, version: string, served: Served = SERVE_ALL): Record<string, unknown> | undefined {
  const defs = RESOURCES.filter((d) => d.group === group && d.version === version && served(d));
  if (defs.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const d of defs) {
    const r: Record<string, unknown> = {
      name: d.plural,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: VERBS,
    };
    if (d.shortNames.length) r.shortNames = d.shortNames;
    if (d.categories.length) r.categories = d.categories;
    resources.push(r);
    for (const sub of d.subresources) {
      resources.push({ name: `${d.plural}/${sub}`, singularName: "", namespaced: d.namespaced, kind: d.kind, verbs: ["get", "patch", "update"] });
    }
  }
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}
