import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";

export interface KubeconfigParams {
  server: string;
  caPem: string | undefined;
  token: string | undefined;
  namespace?: string;
  name?: string;
}

/** A self-contained kubeconfig (CA inlined) so kubectl and loadFromString need no other files. */
export function kubeconfigYaml(p: KubeconfigParams): string {
  const name = p.name ?? "kube-fake";
  const cluster: Record<string, unknown> = { server: p.server };
  if (p.caPem) cluster["certificate-authority-data"] = Buffer.from(p.caPem).toString("base64");
  // Plain http needs this flag for client-node ("HTTP protocol is not allowed when skipTLSVerify is not set").
  else cluster["insecure-skip-tls-verify"] = true;
  const user: Record<string, unknown> = {};
  if (p.token) user.token = p.token;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: p.namespace ?? "default" } }],
    "current-context": name,
    preferences: {},
  });
}

export const SERVICEACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface InClusterFiles {
  /** Pass to `kc.loadFromCluster(pathPrefix)`. */
  pathPrefix: string;
  /** Directory holding token, ca.crt and namespace. */
  serviceAccountDir: string;
  /** Set these in process.env (client-node reads them in loadFromCluster). */
  env: { KUBERNETES_SERVICE_HOST: string; KUBERNETES_SERVICE_PORT: string };
}

export interface InClusterParams {
  host: string;
  port: number;
  caPem: string;
  token: string;
  namespace?: string;
}

/** Writes `<dir>/var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}`. */
export function writeServiceAccountFiles(dir: string, p: InClusterParams): InClusterFiles {
  const saDir = join(dir, SERVICEACCOUNT_DIR);
  mkdirSync(saDir, { recursive: true });
  writeFileSync(join(saDir, "token"), p.token);
  writeFileSync(join(saDir, "ca.crt"), p.caPem);
  writeFileSync(join(saDir, "namespace"), p.namespace ?? "default");
  return {
    pathPrefix: dir,
    serviceAccountDir: saDir,
    env: { KUBERNETES_SERVICE_HOST: p.host, KUBERNETES_SERVICE_PORT: String(p.port) },
  };
}
