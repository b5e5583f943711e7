import { RESOURCES, SERVE_ALL, type Served } from "./resources.ts";
import type { ResourceDef } from "./types.ts";

// kubectl apply/create validate manifests by default (--validate=strict). kubectl 1.32 first
// asks /openapi/v3 whether the PATCH operation for the kind accepts `fieldValidation`; if so it
// leaves validation to the server and needs no schema. With /openapi/v3 and /openapi/v2 both
// 404 it aborts with "failed to download openapi". So we publish just enough OpenAPI v3:
// per group-version, PATCH operations tagged with their GVK and a fieldValidation parameter.
// No requestBody is listed, so kubectl computes strategic merge patches from its built-in types.

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

const HASH = "kube-fake-1";

export function openApiV3Root(served: Served = SERVE_ALL): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const d of RESOURCES.filter(served)) {
    const p = gvPath(d.group, d.version);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${HASH}` };
  }
  return { paths };
}

function objectPath(d: ResourceDef): string {
  const prefix = `/${gvPath(d.group, d.version)}`;
  return d.namespaced ? `${prefix}/namespaces/{namespace}/${d.plural}/{name}` : `${prefix}/${d.plural}/{name}`;
}

export function openApiV3GroupVersion(pathAfterV3: string, served: Served = SERVE_ALL): Record<string, unknown> | undefined {
  const defs = RESOURCES.filter((d) => gvPath(d.group, d.version) === pathAfterV3 && served(d));
  if (defs.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const d of defs) {
    paths[objectPath(d)] = {
      patch: {
        operationId: `patch${d.kind}`,
        parameters: [
          { name: "dryRun", in: "query", schema: { type: "string" }, uniqueItems: true },
          { name: "fieldManager", in: "query", schema: { type: "string" }, uniqueItems: true },
          { name: "fieldValidation", in: "query", schema: { type: "string" }, uniqueItems: true },
        ],
        responses: { "200": { description: "OK" } },
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": { group: d.group, version: d.version, kind: d.kind },
      },
    };
  }
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes (kube-fake)", version: "v1.32.0" },
    paths,
    components: { schemas: {} },
  };
}
