// Public entry point of the fake Kubernetes API server (see README.md).
export { startKubeFake } from "./server.ts";
export type { KubeFake, KubeFakeOptions } from "./server.ts";
export { buildService, DEFAULT_NAMESPACES } from "./control.ts";
export type { KubeControl, NodeArgs, ServiceArgs, ServicePortArgs, FailNextRule, RequestFilter } from "./control.ts";
export type { FailRule } from "./faults.ts";
export { kubeconfigYaml, writeServiceAccountFiles, SERVICEACCOUNT_DIR } from "./kubeconfig.ts";
export type { InClusterFiles } from "./kubeconfig.ts";
export { parseLabelSelector, matchesLabels, parseFieldSelector, matchesFields } from "./selectors.ts";
export type { LabelSelector, LabelRequirement, FieldSelector } from "./selectors.ts";
export type { KubeObject, ObjectMeta, NodeAddress, LoadBalancerIngress, MutateOptions, RequestRecord, ExpiredWatchMode, Verb } from "./types.ts";

import type { KubeFake } from "./server.ts";
import type { InClusterFiles } from "./kubeconfig.ts";

/** Standalone form of `fake.writeInClusterFiles(dir)`. */
export function writeInClusterFiles(fake: KubeFake, dir: string, opts?: { namespace?: string; token?: string }): InClusterFiles {
  return fake.writeInClusterFiles(dir, opts);
}
