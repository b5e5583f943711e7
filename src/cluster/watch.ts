import type { KubeConfig, V1Node, V1Service } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { projectNode, projectService, slimNode, slimService } from "./project.ts";
import type { ClusterView } from "./types.ts";
import { discoverCilium, sameDiscovery, type CiliumDiscovery, type CiliumResource } from "./cilium-discovery.ts";
import { CILIUM_GROUP, projectClusterConfig, projectPeerConfig, projectPeeringPolicy, projectPool, type CiliumView } from "./cilium.ts";
import { ListWatch } from "./informer.ts";
import { createKubeRest, kubeObject, type KubeList, type KubeObject, type Query } from "./kube-rest.ts";

/** Code-unit order, never localeCompare: it loads ICU's collation data (3 MB RSS; src/domain/order.ts). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Nodes and Services are validated as Kubernetes objects (kube-rest.ts); projectNode/projectService
 * and the slim functions read every other field as optional, so a missing one is a default, not a crash.
 */
const asNodes = (items: readonly KubeObject[]): readonly V1Node[] => items as readonly V1Node[];
const asServices = (items: readonly KubeObject[]): readonly V1Service[] => items as readonly V1Service[];
const slimNodeObject = (o: KubeObject): KubeObject => slimNode(o as V1Node) as KubeObject;
const slimServiceObject = (o: KubeObject): KubeObject => slimService(o as V1Service) as KubeObject;

export type ClusterWatchOptions = {
  readonly kc: KubeConfig;
  readonly nodeSelector: string;
  /** null disables the Service watch (no LB features configured). */
  readonly serviceSelector: string | null;
  /** CILIUM_POOLS=auto: watch CiliumLoadBalancerIPPools when the cluster serves them. */
  readonly ciliumPools?: boolean;
  readonly logger: Logger;
  /** Called on every change (add/update/delete/relist) and after an informer restart. */
  readonly onChange: (reason: string) => void;
  /** Backoff for restarting a stopped informer: first delay and cap. */
  readonly restartBackoffMs?: { readonly initial: number; readonly max: number };
  /** Replaces the informer's own reconnect sleeps (tests). */
  readonly delayFn?: (ms: number) => Promise<void>;
};

export type ClusterWatch = {
  /** Start both informers; resolves once their first list has been attempted. */
  start(): Promise<void>;
  /** The cached view (what the watches have seen). */
  view(): ClusterView;
  /**
   * A fresh LIST from the API server, independent of the watches (used by the periodic resync).
   * Also asks again which Cilium resources the cluster serves (a CRD installed or removed since).
   */
  listFresh(): Promise<ClusterView>;
  /** Names of the nodes matching any of these label selectors ("" = every node); for the Cilium cross-check. */
  nodesSelectedBy(selectors: readonly string[]): Promise<readonly string[]>;
  /**
   * This cluster's identity: the kube-system namespace UID (stable for the cluster's lifetime).
   * null when it cannot be read (RBAC); then the router's ownership record is left as it is.
   */
  clusterId(): Promise<string | null>;
  stop(): Promise<void>;
};

type Informer = {
  readonly name: string;
  readonly lw: ListWatch;
  /**
   * Until the first LIST has succeeded the cache is empty, and an empty view would make the
   * planner delete every owned neighbor: view() refuses instead.
   */
  synced: boolean;
  restartTimer: NodeJS.Timeout | null;
  delayMs: number;
};

export function createClusterWatch(opts: ClusterWatchOptions): ClusterWatch {
  const api = createKubeRest(opts.kc);
  const backoff = opts.restartBackoffMs ?? { initial: 1000, max: 60_000 };
  const lwOptions = opts.delayFn ? { delayFn: opts.delayFn } : {};
  let stopping = false;

  const selected = (selector: string | undefined): Query => (selector === undefined || selector === "" ? {} : { labelSelector: selector });
  const listNodes = (selector: string = opts.nodeSelector) => api.list("/api/v1/nodes", selected(selector));
  const listServices = (selector: string) => () => api.list("/api/v1/services", selected(selector));

  /** An informer whose cache holds slimmed objects, selected on the server. */
  function informer(name: string, path: string, selector: string | undefined, list: () => Promise<KubeList>, slim: (o: KubeObject) => KubeObject): Informer {
    const query = selected(selector);
    const inf: Informer = {
      name,
      lw: new ListWatch(
        {
          async list() {
            const l = await list();
            inf.synced = true;
            return { ...l, items: l.items.map(slim) };
          },
          // ERROR and BOOKMARK objects carry the status code / resourceVersion the informer needs.
          watch: (resourceVersion, onEvent, done) =>
            api.watch(path, { ...query, resourceVersion }, (type, obj) => onEvent(type, type === "ADDED" || type === "MODIFIED" || type === "DELETED" ? slim(obj) : obj), done),
        },
        lwOptions,
      ),
      synced: false,
      restartTimer: null,
      delayMs: backoff.initial,
    };
    wire(inf);
    return inf;
  }

  const nodes = informer("nodes", "/api/v1/nodes", opts.nodeSelector, () => listNodes(), slimNodeObject);
  const services = opts.serviceSelector === null ? null : informer("services", "/api/v1/services", opts.serviceSelector, listServices(opts.serviceSelector), slimServiceObject);
  const base: Informer[] = services ? [nodes, services] : [nodes];
  // Cilium's resources: informers only for what discovery found, so a missing CRD costs nothing.
  let discovery: CiliumDiscovery | null = null;
  const ciliumInformers = new Map<string, Informer>();
  const all = (): Informer[] => [...base, ...ciliumInformers.values()];
  const wanted = (d: CiliumDiscovery): CiliumResource[] => d.resources.filter((r) => r.plural !== "ciliumloadbalancerippools" || opts.ciliumPools === true);
  const listCustom = (r: CiliumResource) => () => api.list(`/apis/${CILIUM_GROUP}/${r.version}/${r.plural}`);
  const keepAll = (o: KubeObject): KubeObject => o;

  /** Ask which Cilium resources are served; (re)start informers when the answer changed. */
  async function refreshDiscovery(): Promise<void> {
    const found = await discoverCilium(api, opts.logger);
    if (found === null) return; // discovery failed: keep what runs (warned in discoverCilium)
    if (discovery !== null && sameDiscovery(discovery, found)) return;
    const first = discovery === null;
    discovery = found;
    for (const inf of ciliumInformers.values()) {
      if (inf.restartTimer) clearTimeout(inf.restartTimer);
      await inf.lw.stop();
    }
    ciliumInformers.clear();
    const want = wanted(found);
    for (const r of want) {
      ciliumInformers.set(r.plural, informer(r.kind, `/apis/${CILIUM_GROUP}/${r.version}/${r.plural}`, undefined, listCustom(r), keepAll));
    }
    opts.logger.info(
      {
        served: found.resources.map((r) => `${r.plural}.${CILIUM_GROUP}/${r.version}`),
        watching: want.map((r) => r.kind),
        ciliumPools: opts.ciliumPools === true ? "auto" : "off",
      },
      found.resources.length === 0 ? "the cluster serves no Cilium resources (cilium.io); Cilium pools and the BGP cross-check are inactive" : "Cilium resources found",
    );
    if (!first) {
      await Promise.all([...ciliumInformers.values()].map((i) => i.lw.start()));
      opts.onChange("cilium resources changed");
    }
  }

  function ciliumView(get: (plural: string) => readonly KubeObject[] | null, peerConfigs: readonly KubeObject[]): CiliumView {
    const pools = get("ciliumloadbalancerippools");
    const policies = get("ciliumbgppeeringpolicies");
    const clusterConfigs = get("ciliumbgpclusterconfigs");
    const bgp = policies === null && clusterConfigs === null ? null : [...(policies ?? []).map(projectPeeringPolicy), ...(clusterConfigs ?? []).map(projectClusterConfig)];
    return {
      pools: pools === null ? null : pools.map(projectPool).sort((a, b) => compareText(a.name, b.name)),
      bgp: bgp?.sort((a, b) => compareText(a.kind, b.kind) || compareText(a.name, b.name)) ?? null,
      peerConfigs: peerConfigs.map(projectPeerConfig),
      selectedNodes: null,
    };
  }
  let clusterId: string | null = null;
  let clusterIdWarned = false;

  function wire(inf: Informer): void {
    const changed = (verb: string) => (obj: KubeObject) => {
      inf.delayMs = backoff.initial;
      opts.onChange(`${inf.name} ${verb} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ""}${obj.metadata?.name ?? ""}`);
    };
    inf.lw.on("add", changed("added"));
    inf.lw.on("update", changed("updated"));
    inf.lw.on("delete", changed("deleted"));
    // The informer (like client-node's) stops for good on any error other than 410/timeout; restarting it
    // is our job. An error after our own stop() is the AbortError of that stop, not a failure.
    inf.lw.on("error", (err: Error) => {
      if (stopping) return;
      const delay = inf.delayMs;
      inf.delayMs = Math.min(inf.delayMs * 2, backoff.max);
      opts.logger.warn(
        { informer: inf.name, error: describeError(err), retryInMs: delay },
        "kubernetes watch failed; restarting it",
      );
      inf.restartTimer = setTimeout(() => {
        inf.restartTimer = null;
        if (stopping) return;
        void inf.lw.start().then(() => opts.onChange(`${inf.name} watch restarted`));
      }, delay);
    });
  }

  function toView(nodeList: readonly V1Node[], serviceList: readonly V1Service[], cilium: CiliumView): ClusterView {
    return {
      nodes: nodeList.map(projectNode).sort((a, b) => compareText(a.name, b.name)),
      services: serviceList.map(projectService).sort((a, b) => compareText(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`)),
      cilium,
    };
  }

  return {
    async start() {
      stopping = false;
      await refreshDiscovery();
      await Promise.all(all().map((i) => i.lw.start()));
    },
    view() {
      const pending = all().filter((i) => !i.synced).map((i) => i.name);
      if (pending.length > 0) throw new KubernetesListError(`the ${pending.join(" and ")} watch has not completed its first LIST yet`);
      const cached = (plural: string) => ciliumInformers.get(plural)?.lw.list() ?? null;
      return toView(asNodes(nodes.lw.list()), asServices(services?.lw.list() ?? []), ciliumView(cached, cached("ciliumbgppeerconfigs") ?? []));
    },
    async listFresh() {
      try {
        await refreshDiscovery();
        const want = discovery === null ? [] : wanted(discovery);
        const [n, s, ...c] = await Promise.all([
          listNodes(),
          opts.serviceSelector === null ? { items: [] } : listServices(opts.serviceSelector)(),
          ...want.map((r) => listCustom(r)()),
        ]);
        const fresh = new Map(want.map((r, i) => [r.plural, c[i]?.items ?? []] as const));
        const get = (plural: string) => fresh.get(plural) ?? null;
        return toView(asNodes(n.items), asServices(s.items), ciliumView(get, get("ciliumbgppeerconfigs") ?? []));
      } catch (err) {
        // A pass must not act on a partial view: fail it with a message that says where.
        throw new KubernetesListError(`listing nodes/services from the Kubernetes API failed: ${describeError(err)}`);
      }
    },
    async nodesSelectedBy(selectors) {
      try {
        const lists = await Promise.all([...new Set(selectors)].map((labelSelector) => listNodes(labelSelector)));
        return [...new Set(lists.flatMap((l) => l.items.map((n) => n.metadata?.name ?? "")))].filter((n) => n !== "").sort();
      } catch (err) {
        throw new KubernetesListError(`listing the nodes Cilium's BGP configs select failed: ${describeError(err)}`);
      }
    },
    async clusterId() {
      if (clusterId !== null) return clusterId;
      try {
        const ns = await api.get("/api/v1/namespaces/kube-system", kubeObject);
        clusterId = ns.metadata?.uid ?? null;
      } catch (err) {
        if (!clusterIdWarned) {
          opts.logger.warn(
            { error: describeError(err) },
            "cannot read namespace kube-system (its UID identifies this cluster on the router): two clusters with one OWNER_ID would not be detected; grant get on namespaces/kube-system (deploy/rbac.yaml)",
          );
          clusterIdWarned = true;
        }
      }
      return clusterId;
    },
    async stop() {
      stopping = true;
      for (const inf of all()) {
        if (inf.restartTimer) clearTimeout(inf.restartTimer);
        await inf.lw.stop();
      }
    },
  };
}

export class KubernetesListError extends Error {
  readonly kind = "kubernetes";
  override readonly name = "KubernetesListError";
}

/** Error text without request internals (HTTP client errors can embed headers with the bearer token). */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const status = (err as { statusCode?: unknown }).statusCode;
    const parts = [err.name !== "Error" ? err.name : "", err.message.split("\n")[0] ?? ""];
    if (typeof status === "number") parts.push(`status ${status}`);
    else if (typeof code === "number" || typeof code === "string") parts.push(`code ${code}`);
    return parts.filter(Boolean).join(": ").slice(0, 300);
  }
  return String(err).slice(0, 300);
}
