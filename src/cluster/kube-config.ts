import { KubeConfig } from "@kubernetes/client-node/dist/config.js";

/**
 * Out of cluster: $KUBECONFIG or ~/.kube/config. In cluster: the service account token and CA
 * (client-node re-reads the token file, so projected-token rotation works).
 */
export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}
