import type { CiliumView } from "./cilium.ts";

/** Slim projections of the Kubernetes objects the agent uses; nothing else is kept in memory. */

export type NodeAddress = { readonly type: string; readonly address: string };

export type NodeView = {
  readonly name: string;
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly addresses: readonly NodeAddress[];
};

export type ServicePort = { readonly port: number; readonly protocol: string; readonly name: string };
export type ServiceIngress = { readonly ip: string; readonly hostname: string };

export type ServiceView = {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly type: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly ingress: readonly ServiceIngress[];
  readonly ports: readonly ServicePort[];
  readonly loadBalancerSourceRanges: readonly string[];
};

/** The cluster as one pass sees it: enrolled nodes (already filtered by NODE_SELECTOR on the server) and selected services. */
export type ClusterView = {
  readonly nodes: readonly NodeView[];
  readonly services: readonly ServiceView[];
  /** Cilium's pools and BGP configs; absent = none read (tests, or not served). */
  readonly cilium?: CiliumView;
};
