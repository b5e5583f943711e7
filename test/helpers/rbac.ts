/**
 * Enough of Kubernetes RBAC to check requests against the shipped deploy/rbac.yaml: the
 * Kubernetes fake grants everything, so tests evaluate its request log with this instead.
 * Rules as the apiserver reads them: a Role binds in its own namespace, a ClusterRole through a
 * ClusterRoleBinding everywhere; `resourceNames` never matches a create or a collection request.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

export type PolicyRule = { apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; verbs: string[]; nonResourceURLs?: string[] };
type Subject = { kind: string; name: string; namespace?: string };
type Manifest = {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  rules?: PolicyRule[];
  roleRef?: { kind: string; name: string };
  subjects?: Subject[];
};

/** A request against the API, as the fake logs it, broken into RBAC attributes. */
export type ResourceRequest = { verb: string; group: string; resource: string; namespace: string | null; name: string | null };

/** The rules granted to one service account, each with the namespace it applies in (null = everywhere). */
export type Grants = { rule: PolicyRule; namespace: string | null; from: string }[];

const ROOT = join(import.meta.dirname, "../..");

export function readManifests(file = "deploy/rbac.yaml"): Manifest[] {
  return parseAllDocuments(readFileSync(join(ROOT, file), "utf8")).map((d) => d.toJSON() as Manifest);
}

export function grantsFor(manifests: readonly Manifest[], sa: { namespace: string; name: string }): Grants {
  const isSubject = (s: Subject) => s.kind === "ServiceAccount" && s.name === sa.name && s.namespace === sa.namespace;
  const find = (kind: string, name: string, namespace: string | null) =>
    manifests.find((m) => m.kind === kind && m.metadata?.name === name && (kind === "ClusterRole" || m.metadata?.namespace === namespace));
  const out: Grants = [];
  for (const b of manifests) {
    if ((b.kind !== "RoleBinding" && b.kind !== "ClusterRoleBinding") || !b.roleRef || !(b.subjects ?? []).some(isSubject)) continue;
    const namespace = b.kind === "RoleBinding" ? (b.metadata?.namespace ?? null) : null;
    if (b.kind === "RoleBinding" && namespace === null) throw new Error(`RoleBinding ${b.metadata?.name} has no namespace`);
    const role = find(b.roleRef.kind, b.roleRef.name, namespace);
    if (!role) throw new Error(`${b.kind} ${b.metadata?.name} refers to a missing ${b.roleRef.kind} ${b.roleRef.name}`);
    for (const rule of role.rules ?? []) out.push({ rule, namespace, from: `${role.kind} ${role.metadata?.name}` });
  }
  return out;
}

const has = (list: readonly string[] | undefined, v: string) => (list ?? []).includes(v) || (list ?? []).includes("*");

export function allowed(grants: Grants, r: ResourceRequest): boolean {
  return grants.some(({ rule, namespace }) => {
    if (namespace !== null && r.namespace !== namespace) return false;
    if (!has(rule.verbs, r.verb) || !has(rule.apiGroups, r.group) || !has(rule.resources, r.resource)) return false;
    if (rule.resourceNames && rule.resourceNames.length > 0) return r.name !== null && rule.resourceNames.includes(r.name);
    return true;
  });
}

/**
 * Discovery (`/api`, `/apis`, `/apis/<group>[/<version>]`) is open to every authenticated user
 * through Kubernetes' default `system:discovery` ClusterRole; no grant in deploy/ is needed.
 */
export function isDiscovery(path: string): boolean {
  const parts = path.split("/").filter(Boolean);
  return (parts[0] === "api" && parts.length <= 2) || (parts[0] === "apis" && parts.length <= 3);
}

/** `/api/v1/namespaces/default/events`, `/apis/coordination.k8s.io/v1/namespaces/x/leases/y` → attributes; null for non-resource paths. */
export function parseRequest(verb: string, path: string): ResourceRequest | null {
  const parts = path.split("/").filter(Boolean);
  let rest: string[];
  let group: string;
  if (parts[0] === "api" && parts.length >= 3) {
    group = "";
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 4) {
    group = parts[1] ?? "";
    rest = parts.slice(3);
  } else return null;
  if (rest[0] === "watch") rest = rest.slice(1);
  let namespace: string | null = null;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1] ?? null;
    rest = rest.slice(2);
  }
  const [resource, name, sub] = rest;
  if (!resource) return null;
  return { verb, group, resource: sub ? `${resource}/${sub}` : resource, namespace, name: name ?? null };
}
