import type { FailRule, FaultInjector, RequestLog } from "./faults.ts";
import { clone } from "./json.ts";
import { resolveResource } from "./resources.ts";
import type { Store } from "./store.ts";
import type { ExpiredWatchMode, KubeObject, LoadBalancerIngress, MutateOptions, NodeAddress, RequestRecord, ResourceDef } from "./types.ts";
import type { WatchHub } from "./watch.ts";

export interface NodeArgs {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Default: one auto-assigned InternalIP (10.0.0.N) plus Hostname. Pass [] for none. */
  addresses?: NodeAddress[];
  /** Ready condition; default true. */
  ready?: boolean;
  unschedulable?: boolean;
  taints?: { key: string; value?: string; effect: string }[];
  podCIDR?: string;
  providerID?: string;
  kubeletVersion?: string;
}

export interface ServicePortArgs {
  name?: string;
  port: number;
  protocol?: string;
  targetPort?: number | string;
  nodePort?: number;
}

export interface ServiceArgs {
  /** Default "default". */
  namespace?: string;
  name: string;
  /** Default "LoadBalancer". */
  type?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Numbers are shorthand for TCP ports. Default [80]. */
  ports?: (number | ServicePortArgs)[];
  selector?: Record<string, string>;
  loadBalancerIP?: string;
  loadBalancerClass?: string;
  loadBalancerSourceRanges?: string[];
  externalTrafficPolicy?: "Cluster" | "Local";
  /** status.loadBalancer.ingress; strings are IPs. */
  ingress?: (string | LoadBalancerIngress)[];
}

export type FailNextRule = FailRule;

export interface RequestFilter {
  verb?: RequestRecord["verb"];
  method?: string;
  /** Substring of the path. */
  path?: string;
}

export interface KubeControl {
  createNode(args: NodeArgs, opts?: MutateOptions): KubeObject;
  updateNode(name: string, mutate: (node: KubeObject) => KubeObject | void, opts?: MutateOptions): KubeObject;
  labelNode(name: string, key: string, value: string | null, opts?: MutateOptions): KubeObject;
  annotateNode(name: string, key: string, value: string | null, opts?: MutateOptions): KubeObject;
  setNodeAddresses(name: string, addresses: NodeAddress[], opts?: MutateOptions): KubeObject;
  setNodeReady(name: string, ready: boolean, opts?: MutateOptions): KubeObject;
  deleteNode(name: string, opts?: MutateOptions): KubeObject;

  createService(args: ServiceArgs | KubeObject, opts?: MutateOptions): KubeObject;
  updateService(namespace: string, name: string, mutate: (svc: KubeObject) => KubeObject | void, opts?: MutateOptions): KubeObject;
  labelService(namespace: string, name: string, key: string, value: string | null, opts?: MutateOptions): KubeObject;
  annotateService(namespace: string, name: string, key: string, value: string | null, opts?: MutateOptions): KubeObject;
  setServiceIngress(namespace: string, name: string, ingress: (string | LoadBalancerIngress)[], opts?: MutateOptions): KubeObject;
  deleteService(namespace: string, name: string, opts?: MutateOptions): KubeObject;

  /** Generic access; `kind` is a kind, plural, short name or "leases.coordination.k8s.io". */
  create(kind: string, obj: KubeObject, opts?: MutateOptions): KubeObject;
  update(kind: string, namespace: string | null | undefined, name: string, mutate: (obj: KubeObject) => KubeObject | void, opts?: MutateOptions): KubeObject;
  remove(kind: string, namespace: string | null | undefined, name: string, opts?: MutateOptions): KubeObject;
  /** get("Node", null, "n1") or get("node", "n1") for cluster-scoped kinds. */
  get(kind: string, namespaceOrName: string | null | undefined, name?: string): KubeObject | undefined;
  list(kind: string, namespace?: string): KubeObject[];

  resourceVersion(): string;
  /** Ends every open watch stream; returns how many were open. */
  dropWatches(): number;
  openWatches(resource?: string): number;
  /** Resolves once at least `count` watches (optionally on one resource kind) are open. */
  waitForWatches(count: number, opts?: { resource?: string; timeoutMs?: number }): Promise<void>;
  /** Sends a BOOKMARK now on watches that asked for bookmarks. */
  sendBookmarks(): number;
  /**
   * Forgets history: a watch from an older resourceVersion is refused with 410, either as an
   * HTTP 410 Status ("http", default) or as 200 + in-stream ERROR event ("event", what a real
   * apiserver with the watch cache does). The mode sticks until reset().
   */
  compact(opts?: { expiredAs?: ExpiredWatchMode }): string;
  setExpiredWatchMode(mode: ExpiredWatchMode): void;
  failNext(rule: FailNextRule): void;
  clearFailures(): void;
  requests(filter?: RequestFilter): RequestRecord[];
  clearRequests(): void;
  /** Event objects written by clients (core v1 and events.k8s.io/v1), oldest first. */
  events(): KubeObject[];
  /** Empty cluster (only the default namespaces), no failures, no log, watches dropped. */
  reset(): void;
}

export interface ControlDeps {
  store: Store;
  hub: WatchHub;
  faults: FaultInjector;
  log: RequestLog;
  settings: { expiredMode: ExpiredWatchMode };
  defaultExpiredMode: ExpiredWatchMode;
}

export const DEFAULT_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

export function seedNamespaces(store: Store): void {
  const ns = resolveResource("namespaces");
  for (const name of DEFAULT_NAMESPACES) {
    if (!store.get(ns, undefined, name)) store.create(ns, { metadata: { name } }, { silent: true });
  }
}

function setKey(map: Record<string, string> | undefined, key: string, value: string | null): Record<string, string> {
  const out = { ...(map ?? {}) };
  if (value === null) delete out[key];
  else out[key] = value;
  return out;
}

function ingressList(ingress: (string | LoadBalancerIngress)[]): LoadBalancerIngress[] {
  return ingress.map((i) => (typeof i === "string" ? { ip: i } : { ...i }));
}

export function buildService(args: ServiceArgs): KubeObject {
  const spec: Record<string, unknown> = {
    type: args.type ?? "LoadBalancer",
    ports: (args.ports ?? [80]).map((p, i) => {
      const port = typeof p === "number" ? { port: p } : { ...p };
      return { name: port.name ?? `p${i}-${port.port}`, protocol: port.protocol ?? "TCP", ...port };
    }),
  };
  if (args.selector) spec.selector = args.selector;
  if (args.loadBalancerIP) spec.loadBalancerIP = args.loadBalancerIP;
  if (args.loadBalancerClass) spec.loadBalancerClass = args.loadBalancerClass;
  if (args.loadBalancerSourceRanges) spec.loadBalancerSourceRanges = args.loadBalancerSourceRanges;
  if (args.externalTrafficPolicy) spec.externalTrafficPolicy = args.externalTrafficPolicy;
  const metadata: KubeObject["metadata"] = { name: args.name, namespace: args.namespace ?? "default" };
  if (args.labels) metadata.labels = { ...args.labels };
  if (args.annotations) metadata.annotations = { ...args.annotations };
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata,
    spec,
    status: { loadBalancer: args.ingress ? { ingress: ingressList(args.ingress) } : {} },
  };
}

export function createControl(deps: ControlDeps): KubeControl {
  const { store, hub, faults, log, settings } = deps;
  const NODES = resolveResource("nodes");
  const SERVICES = resolveResource("services");
  let nextNodeIp = 1;

  const ns = (def: ResourceDef, namespace: string | null | undefined): string | undefined => (def.namespaced ? (namespace ?? "default") : undefined);

  // Control writes are privileged: no resourceVersion precondition and status is writable.
  function mutateObj(def: ResourceDef, namespace: string | null | undefined, name: string, mutate: (o: KubeObject) => KubeObject | void, opts?: MutateOptions): KubeObject {
    const cur = store.get(def, ns(def, namespace), name);
    if (!cur) throw new Error(`kube-fake: ${def.plural} ${namespace ? `${namespace}/` : ""}${name} does not exist`);
    const draft = clone(cur);
    const next = mutate(draft) ?? draft;
    next.metadata.name = name;
    if (def.namespaced) next.metadata.namespace = cur.metadata.namespace;
    delete next.metadata.resourceVersion;
    return store.update(def, next, { subresource: "all", silent: opts?.silent });
  }

  const api: KubeControl = {
    createNode(args, opts) {
      const addresses = args.addresses ?? [
        { type: "InternalIP", address: `10.0.0.${nextNodeIp++}` },
        { type: "Hostname", address: args.name },
      ];
      const metadata: KubeObject["metadata"] = { name: args.name, labels: { "kubernetes.io/hostname": args.name, "kubernetes.io/os": "linux", ...(args.labels ?? {}) } };
      if (args.annotations) metadata.annotations = { ...args.annotations };
      const spec: Record<string, unknown> = {};
      if (args.unschedulable) spec.unschedulable = true;
      if (args.taints) spec.taints = args.taints;
      if (args.podCIDR) spec.podCIDR = args.podCIDR;
      if (args.providerID) spec.providerID = args.providerID;
      const ready = args.ready ?? true;
      const ts = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
      const node: KubeObject = {
        apiVersion: "v1",
        kind: "Node",
        metadata,
        spec,
        status: {
          addresses,
          conditions: [{ type: "Ready", status: ready ? "True" : "False", reason: ready ? "KubeletReady" : "KubeletNotReady", message: ready ? "kubelet is posting ready status" : "kubelet stopped posting node status", lastHeartbeatTime: ts, lastTransitionTime: ts }],
          nodeInfo: { kubeletVersion: args.kubeletVersion ?? "v1.32.0", architecture: "amd64", operatingSystem: "linux" },
        },
      };
      return store.create(NODES, node, { silent: opts?.silent });
    },
    updateNode: (name, mutate, opts) => mutateObj(NODES, undefined, name, mutate, opts),
    labelNode: (name, key, value, opts) =>
      mutateObj(NODES, undefined, name, (n) => {
        n.metadata.labels = setKey(n.metadata.labels, key, value);
      }, opts),
    annotateNode: (name, key, value, opts) =>
      mutateObj(NODES, undefined, name, (n) => {
        n.metadata.annotations = setKey(n.metadata.annotations, key, value);
      }, opts),
    setNodeAddresses: (name, addresses, opts) =>
      mutateObj(NODES, undefined, name, (n) => {
        const status = (n.status ?? {}) as Record<string, unknown>;
        status.addresses = addresses.map((a) => ({ ...a }));
        n.status = status;
      }, opts),
    setNodeReady: (name, ready, opts) =>
      mutateObj(NODES, undefined, name, (n) => {
        const status = (n.status ?? {}) as Record<string, unknown>;
        const conds = (Array.isArray(status.conditions) ? status.conditions : []) as Record<string, unknown>[];
        const others = conds.filter((c) => c.type !== "Ready");
        const ts = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
        status.conditions = [...others, { type: "Ready", status: ready ? "True" : "False", reason: ready ? "KubeletReady" : "KubeletNotReady", lastHeartbeatTime: ts, lastTransitionTime: ts }];
        n.status = status;
      }, opts),
    deleteNode: (name, opts) => store.delete(NODES, undefined, name, { silent: opts?.silent }),

    createService(args, opts) {
      const obj = "metadata" in args && typeof args.metadata === "object" ? (args as KubeObject) : buildService(args as ServiceArgs);
      return store.create(SERVICES, obj, { silent: opts?.silent });
    },
    updateService: (namespace, name, mutate, opts) => mutateObj(SERVICES, namespace, name, mutate, opts),
    labelService: (namespace, name, key, value, opts) =>
      mutateObj(SERVICES, namespace, name, (s) => {
        s.metadata.labels = setKey(s.metadata.labels, key, value);
      }, opts),
    annotateService: (namespace, name, key, value, opts) =>
      mutateObj(SERVICES, namespace, name, (s) => {
        s.metadata.annotations = setKey(s.metadata.annotations, key, value);
      }, opts),
    setServiceIngress: (namespace, name, ingress, opts) =>
      mutateObj(SERVICES, namespace, name, (s) => {
        s.status = { ...((s.status ?? {}) as Record<string, unknown>), loadBalancer: ingress.length ? { ingress: ingressList(ingress) } : {} };
      }, opts),
    deleteService: (namespace, name, opts) => store.delete(SERVICES, namespace, name, { silent: opts?.silent }),

    create(kind, obj, opts) {
      return store.create(resolveResource(kind), obj, { silent: opts?.silent });
    },
    update(kind, namespace, name, mutate, opts) {
      return mutateObj(resolveResource(kind), namespace, name, mutate, opts);
    },
    remove(kind, namespace, name, opts) {
      const def = resolveResource(kind);
      return store.delete(def, ns(def, namespace), name, { silent: opts?.silent });
    },
    get(kind, namespaceOrName, name) {
      const def = resolveResource(kind);
      if (name === undefined) return store.get(def, def.namespaced ? "default" : undefined, namespaceOrName ?? "");
      return store.get(def, ns(def, namespaceOrName), name);
    },
    list(kind, namespace) {
      return store.list(resolveResource(kind), namespace);
    },

    resourceVersion: () => String(store.resourceVersion),
    dropWatches: () => hub.dropAll(),
    openWatches: (resource) => hub.count(resource === undefined ? undefined : keyOf(resource)),
    waitForWatches(count, opts = {}) {
      const key = opts.resource === undefined ? undefined : keyOf(opts.resource);
      return new Promise<void>((resolve, reject) => {
        if (hub.count(key) >= count) {
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          off();
          reject(new Error(`kube-fake: timed out waiting for ${count} open watch(es)${key ? ` on ${key}` : ""}; open: ${hub.count(key)}`));
        }, opts.timeoutMs ?? 5000);
        const off = hub.onChange(() => {
          if (hub.count(key) >= count) {
            clearTimeout(timer);
            off();
            resolve();
          }
        });
      });
    },
    sendBookmarks: () => hub.sendBookmarks(),
    compact(opts) {
      if (opts?.expiredAs) settings.expiredMode = opts.expiredAs;
      return String(store.compact());
    },
    setExpiredWatchMode(mode) {
      settings.expiredMode = mode;
    },
    failNext: (rule) => faults.add(rule),
    clearFailures: () => faults.clear(),
    requests(filter) {
      return log.all().filter((r) => (filter?.verb === undefined || r.verb === filter.verb) && (filter?.method === undefined || r.method === filter.method) && (filter?.path === undefined || r.path.includes(filter.path)));
    },
    clearRequests: () => log.clear(),
    events() {
      const all = [...store.list(resolveResource("events")), ...store.list(resolveResource("events.events.k8s.io"))];
      return all.sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
    },
    reset() {
      hub.dropAll();
      store.clear();
      seedNamespaces(store);
      faults.clear();
      log.clear();
      settings.expiredMode = deps.defaultExpiredMode;
      nextNodeIp = 1;
    },
  };
  return api;
}

function keyOf(resource: string): string {
  const def = resolveResource(resource);
  return def.group ? `${def.plural}.${def.group}` : def.plural;
}
