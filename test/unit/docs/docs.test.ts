import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { ENV_VAR_NAMES } from "../../../src/config/index.ts";

const ROOT = join(import.meta.dirname, "../../..");
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");
const hasKubectl = spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0;

type Container = { env?: { name: string }[]; envFrom?: { configMapRef?: { name: string } }[] };
type Doc = { kind?: string; metadata?: { name?: string }; data?: Record<string, string>; spec?: { template?: { spec?: { containers?: Container[] } } } };

function manifests(): Doc[] {
  return parseAllDocuments(read("deploy/deployment.yaml")).map((d) => d.toJSON() as Doc);
}

/** The variables of deploy/config.env, the env file kustomize's configMapGenerator turns into the ConfigMap. */
function configEnvNames(): string[] {
  return read("deploy/config.env")
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#"))
    .map((l) => l.slice(0, l.indexOf("=")));
}

/** `kubectl kustomize` of an overlay (in a temporary directory) of deploy/ with the given components. */
function kustomize(components: readonly string[]): Record<string, unknown>[] {
  const dir = mkdtempSync(join(tmpdir(), "overlay-"));
  const rel = (p: string) => relative(dir, join(ROOT, p));
  writeFileSync(
    join(dir, "kustomization.yaml"),
    ["apiVersion: kustomize.config.k8s.io/v1beta1", "kind: Kustomization", "resources:", `  - ${rel("deploy")}`, "components:", ...components.map((c) => `  - ${rel(`deploy/components/${c}`)}`)].join("\n"),
  );
  return parseAllDocuments(execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8" })).map((d) => d.toJSON() as Record<string, unknown>);
}

const where = (d: Record<string, unknown>) => {
  const m = d["metadata"] as { name: string; namespace?: string };
  return `${String(d["kind"])}/${m.name}@${m.namespace ?? "(cluster)"}`;
};

describe("docs and manifests match the configuration", () => {
  it(".env.example names exactly the variables the config reads", () => {
    const names = [...read(".env.example").matchAll(/^#?\s?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect(new Set(names)).toEqual(new Set(ENV_VAR_NAMES));
  });

  it("the README's configuration table names every variable, and only those", () => {
    const readme = read("README.md");
    const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("## LoadBalancer access rules"));
    const named = new Set([...section.matchAll(/`([A-Z][A-Z0-9_]{2,})`/g)].map((m) => m[1]));
    expect(named).toEqual(new Set(ENV_VAR_NAMES));
  });

  it("deploy/ only sets variables the config knows, and sets the required ones", () => {
    const container = manifests().find((d) => d.kind === "Deployment")?.spec?.template?.spec?.containers?.[0];
    const names = [...configEnvNames(), ...(container?.env ?? []).map((e) => e.name)];
    expect(configEnvNames().length).toBeGreaterThan(10);
    for (const n of names) expect(ENV_VAR_NAMES).toContain(n);
    for (const required of ["OPNSENSE_URL", "OPNSENSE_API_KEY_FILE", "OPNSENSE_API_SECRET_FILE", "BGP_REMOTE_ASN"]) expect(names).toContain(required);
    // The generator's name (kustomize adds the content hash and rewrites this reference).
    expect(container?.envFrom?.[0]?.configMapRef?.name).toBe("opnsense-bgp-agent-config");
    expect(read("deploy/kustomization.yaml")).toMatch(/configMapGenerator:\n\s+- name: opnsense-bgp-agent-config\n\s+namespace: kube-system\n\s+envs:\n\s+- config.env/);
  });

  it("the README starts with the demo and test commands", () => {
    const head = read("README.md").split("\n").slice(0, 8).join("\n");
    expect(head).toContain("npm ci && npm run demo");
    expect(head).toContain("npm ci && npm test");
    expect(read(".ci/run")).toContain("npm ci && npm test");
  });
});

describe.skipIf(!hasKubectl)(`kubectl kustomize deploy${hasKubectl ? "" : " (skipped: kubectl is not on PATH)"}`, () => {
  it("builds the manifests with a hardened Deployment", () => {
    const out = execFileSync("kubectl", ["kustomize", join(ROOT, "deploy")], { encoding: "utf8" });
    const docs = parseAllDocuments(out).map((d) => d.toJSON() as Record<string, unknown>);
    const kinds = docs.map((d) => d["kind"]).sort();
    expect(kinds).toEqual(["ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "Lease", "Role", "Role", "RoleBinding", "RoleBinding", "ServiceAccount"]);
    expect(out).toContain("readOnlyRootFilesystem: true");
    expect(out).toContain("runAsNonRoot: true");
    expect(out).toContain("type: RuntimeDefault");
    expect(out).toMatch(/drop:\n\s+- ALL/);
    expect(out).toContain("type: Recreate");
    // Everything in kube-system, except the Events Role and its binding: Node events live in `default`.
    const placed = docs.map((d) => {
      const m = d["metadata"] as { name: string; namespace?: string };
      return `${String(d["kind"])}/${m.name}@${m.namespace ?? "(cluster)"}`;
    });
    expect(placed.filter((p) => !p.endsWith("@kube-system")).sort()).toEqual([
      "ClusterRole/opnsense-bgp-agent@(cluster)",
      "ClusterRoleBinding/opnsense-bgp-agent@(cluster)",
      "Role/opnsense-bgp-agent-events@default",
      "RoleBinding/opnsense-bgp-agent-events@default",
    ]);
    // The example Secret holds placeholders: it must never be applied over a real one.
    expect(out).not.toContain("REPLACE_WITH_");
  });

  it("names the ConfigMap after its content, so a changed setting rolls the pod", () => {
    const docs = kustomize([]);
    const cm = docs.find((d) => d["kind"] === "ConfigMap") as { metadata: { name: string }; data: Record<string, string> };
    expect(cm.metadata.name).toMatch(/^opnsense-bgp-agent-config-[a-z0-9]{10}$/);
    expect(Object.keys(cm.data).sort()).toEqual([...configEnvNames()].sort());
    const deployment = docs.find((d) => d["kind"] === "Deployment") as { spec: { template: { spec: { containers: Container[] } } } };
    expect(deployment.spec.template.spec.containers[0]?.envFrom?.[0]?.configMapRef?.name).toBe(cm.metadata.name);
  });

  it("components/servicemonitor adds a Service and a ServiceMonitor for /metrics beside the agent", () => {
    const docs = kustomize(["servicemonitor"]);
    const placed = docs.map(where);
    expect(placed).toContain("Service/opnsense-bgp-agent-metrics@kube-system");
    expect(placed).toContain("ServiceMonitor/opnsense-bgp-agent@kube-system");
    const sm = docs.find((d) => d["kind"] === "ServiceMonitor") as { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] } };
    expect(sm.spec.endpoints).toEqual([expect.objectContaining({ port: "http", path: "/metrics" })]);
    const svc = docs.find((d) => d["kind"] === "Service") as { metadata: { labels: Record<string, string> }; spec: { selector: Record<string, string> } };
    expect(svc.metadata.labels).toMatchObject(sm.spec.selector.matchLabels);
    expect(svc.spec.selector).toEqual({ "app.kubernetes.io/name": "opnsense-bgp-agent" });
  });

  it("components/namespace moves the agent into its own namespace with a NetworkPolicy; the Events Role stays in default", () => {
    const docs = kustomize(["servicemonitor", "namespace"]);
    const placed = docs.map(where);
    expect(placed.filter((p) => p.endsWith("@kube-system"))).toEqual([]);
    expect(placed).toEqual(expect.arrayContaining(["Namespace/opnsense-bgp-agent@(cluster)", "NetworkPolicy/opnsense-bgp-agent@opnsense-bgp-agent", "Deployment/opnsense-bgp-agent@opnsense-bgp-agent", "Lease/opnsense-bgp-agent@opnsense-bgp-agent", "Service/opnsense-bgp-agent-metrics@opnsense-bgp-agent", "Role/opnsense-bgp-agent-events@default"]));
    // Every binding names the service account in its new namespace.
    for (const b of docs.filter((d) => String(d["kind"]).endsWith("RoleBinding")) as { subjects: { namespace: string }[] }[]) expect(b.subjects.map((s) => s.namespace)).toEqual(["opnsense-bgp-agent"]);
    const np = docs.find((d) => d["kind"] === "NetworkPolicy") as { spec: { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress: { ports: { port: number }[] }[]; egress: { ports: { port: number }[] }[] } };
    expect(np.spec.podSelector.matchLabels).toEqual({ "app.kubernetes.io/name": "opnsense-bgp-agent" });
    expect(np.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(np.spec.ingress.flatMap((r) => r.ports.map((p) => p.port))).toEqual([8080]);
    expect(np.spec.egress.map((r) => r.ports.map((p) => p.port))).toEqual([[53, 53], [6443, 443], [443]]);
  });
});
