import {
  CoreV1Api,
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesObject,
  type V1Node,
  type V1Service,
} from "@kubernetes/client-node";
import type { Logger } from "pino";
import { projectNode, projectService, slimNode, slimService } from "./project.ts";
import type { ClusterView } from "./types.ts";

/** A Watch whose ADDED/MODIFIED/DELETED objects are slimmed before the informer caches them. */
class SlimWatch extends Watch {
  readonly #slim: (obj: KubernetesObject) => KubernetesObject;
  constructor(kc: KubeConfig, slim: (obj: KubernetesObject) => KubernetesObject) {
    super(kc);
    this.#slim = slim;
  }
  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: KubernetesObject, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    return super.watch(
      path,
      queryParams,
      (phase: string, obj: KubernetesObject, watchObj?: unknown) => {
        // ERROR and BOOKMARK objects carry the status code / resourceVersion the informer needs.
        const keep = phase === "ADDED" || phase === "MODIFIED" || phase === "DELETED";
        callback(phase, keep ? this.#slim(obj) : obj, watchObj);
      },
      done,
    );
  }
}

export type ClusterWatchOptions = {
  readonly kc: KubeConfig;
  readonly nodeSelector: string;
  /** null disables the Service watch (no LB features configured). */
  readonly serviceSelector: string | null;
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
  /** A fresh LIST from the API server, independent of the watches (used by the periodic resync). */
  listFresh(): Promise<ClusterView>;
  /**
   * This cluster's identity: the kube-system namespace UID (stable for the cluster's lifetime).
   * null when it cannot be read (RBAC); then the router's ownership record is left as it is.
   */
  clusterId(): Promise<string | null>;
  stop(): Promise<void>;
};

type Informer<T extends KubernetesObject> = {
  readonly name: string;
  readonly lw: ListWatch<T>;
  /**
   * Until the first LIST has succeeded the cache is empty, and an empty view would make the
   * planner delete every owned neighbor: view() refuses instead.
   */
  synced: boolean;
  restartTimer: NodeJS.Timeout | null;
  delayMs: number;
};

export function createClusterWatch(opts: ClusterWatchOptions): ClusterWatch {
  const core = opts.kc.makeApiClient(CoreV1Api);
  const backoff = opts.restartBackoffMs ?? { initial: 1000, max: 60_000 };
  const lwOptions = opts.delayFn ? { delayFn: opts.delayFn } : {};
  let stopping = false;

  const listNodes = () => core.listNode({ labelSelector: opts.nodeSelector });
  const listServices = (selector: string) => () => core.listServiceForAllNamespaces({ labelSelector: selector });

  /** An informer whose cache holds slimmed objects, selected on the server. */
  function informer<T extends KubernetesObject>(name: string, path: string, selector: string, list: () => Promise<{ items: T[] }>, slim: (o: T) => T): Informer<T> {
    const inf: Informer<T> = {
      name,
      lw: new ListWatch<T>(
        path,
        new SlimWatch(opts.kc, (o) => slim(o as T)),
        async () => {
          const l = await list();
          inf.synced = true;
          return { ...l, items: l.items.map(slim) };
        },
        false,
        selector,
        undefined,
        lwOptions,
      ),
      synced: false,
      restartTimer: null,
      delayMs: backoff.initial,
    };
    wire(inf);
    return inf;
  }

  const nodes = informer<V1Node>("nodes", "/api/v1/nodes", opts.nodeSelector, listNodes, slimNode);
  const services =
    opts.serviceSelector === null ? null : informer<V1Service>("services", "/api/v1/services", opts.serviceSelector, listServices(opts.serviceSelector), slimService);
  const informers = services ? [nodes, services] : [nodes];
  let clusterId: string | null = null;
  let clusterIdWarned = false;

  function wire<T extends KubernetesObject>(inf: Informer<T>): void {
    const changed = (verb: string) => (obj: T) => {
      inf.delayMs = backoff.initial;
      opts.onChange(`${inf.name} ${verb} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ""}${obj.metadata?.name ?? ""}`);
    };
    inf.lw.on("add", changed("added"));
    inf.lw.on("update", changed("updated"));
    inf.lw.on("delete", changed("deleted"));
    // client-node stops an informer for good on any error other than 410/timeout; restarting it
    // is our job. An error after our own stop() is the AbortError of that stop, not a failure.
    inf.lw.on("error", (err?: unknown) => {
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

  function toView(nodeList: readonly V1Node[], serviceList: readonly V1Service[]): ClusterView {
    return {
      nodes: nodeList.map(projectNode).sort((a, b) => a.name.localeCompare(b.name)),
      services: serviceList.map(projectService).sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)),
    };
  }

  return {
    async start() {
      stopping = false;
      await Promise.all(informers.map((i) => i.lw.start()));
    },
    view() {
      const pending = informers.filter((i) => !i.synced).map((i) => i.name);
      if (pending.length > 0) throw new KubernetesListError(`the ${pending.join(" and ")} watch has not completed its first LIST yet`);
      return toView(nodes.lw.list(), services?.lw.list() ?? []);
    },
    async listFresh() {
      try {
        const [n, s] = await Promise.all([
          listNodes(),
          opts.serviceSelector === null ? { items: [] as V1Service[] } : listServices(opts.serviceSelector)(),
        ]);
        return toView(n.items, s.items);
      } catch (err) {
        // A pass must not act on a partial view: fail it with a message that says where.
        throw new KubernetesListError(`listing nodes/services from the Kubernetes API failed: ${describeError(err)}`);
      }
    },
    async clusterId() {
      if (clusterId !== null) return clusterId;
      try {
        const ns = await core.readNamespace({ name: "kube-system" });
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
      for (const inf of informers) {
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

/** Error text without request internals (client-node errors can embed headers with the bearer token). */
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
