import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { ENV_VAR_NAMES } from "../../../src/config/index.ts";

const ROOT = join(import.meta.dirname, "../../..");
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");
const hasKubectl = spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0;

type Container = { env?: { name: string }[]; envFrom?: { configMapRef?: { name: string } }[] };
type Doc = { kind?: string; metadata?: { name?: string }; data?: Record<string, string>; spec?: { template?: { spec?: { containers?: Container[] } } } };

function manifests(): Doc[] {
  const files = ["configmap.yaml", "deployment.yaml"];
  return files.flatMap((f) => parseAllDocuments(read(`deploy/${f}`)).map((d) => d.toJSON() as Doc));
}

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
    const docs = manifests();
    const cm = docs.find((d) => d.kind === "ConfigMap");
    const container = docs.find((d) => d.kind === "Deployment")?.spec?.template?.spec?.containers?.[0];
    const names = [...Object.keys(cm?.data ?? {}), ...(container?.env ?? []).map((e) => e.name)];
    for (const n of names) expect(ENV_VAR_NAMES).toContain(n);
    for (const required of ["OPNSENSE_URL", "OPNSENSE_API_KEY_FILE", "OPNSENSE_API_SECRET_FILE", "BGP_REMOTE_ASN"]) expect(names).toContain(required);
    expect(container?.envFrom?.[0]?.configMapRef?.name).toBe(cm?.metadata?.name);
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
});
