import type { KubeConfig } from "@kubernetes/client-node";
import { createKubeRest, kubeObject } from "./kube-rest.ts";
import type { Logger } from "pino";
import { describeError } from "./watch.ts";

/** A Kubernetes Event about a Node, as `kubectl describe node` shows it. */
export type NodeEvent = {
  readonly node: string;
  readonly type: "Normal" | "Warning";
  readonly reason:
    | "BGPPeerConfigured"
    | "BGPPeerRemoved"
    | "BGPPeerConflict"
    | "BGPPeerSkipped"
    | "BGPPeerFailed"
    | "BGPSessionEstablished"
    | "BGPSessionDown"
    | "BGPSessionDownTooLong"
    | "BGPConfigMismatch";
  readonly message: string;
};

export type EventRecorder = {
  /** Queue events; never blocks a pass and never throws. */
  record(events: readonly NodeEvent[]): void;
  /** Resolves when everything queued has been sent (or has failed). */
  flush(): Promise<void>;
};

export type EventRecorderOptions = {
  readonly kc: KubeConfig;
  readonly logger: Logger;
  /** Events about cluster-scoped Nodes live in `default`, as the kubelet's do. */
  readonly namespace?: string;
  readonly instance: string;
  /** The same reason+message for the same node is not repeated within this window. */
  readonly dedupWindowMs?: number;
  /** At most this many events per call (a bad setting can affect every node at once). */
  readonly maxPerBatch?: number;
  readonly now?: () => number;
};

const COMPONENT = "opnsense-bgp-agent";

/**
 * Kubernetes Events on Nodes, rate limited: conflicts and input problems are re-found on every
 * pass, and repeating them every few minutes would bury the Node's other events.
 */
export function createEventRecorder(opts: EventRecorderOptions): EventRecorder {
  const api = createKubeRest(opts.kc);
  const namespace = opts.namespace ?? "default";
  const windowMs = opts.dedupWindowMs ?? 10 * 60_000;
  const maxPerBatch = opts.maxPerBatch ?? 50;
  const now = opts.now ?? Date.now;
  const lastSent = new Map<string, number>();
  let chain: Promise<void> = Promise.resolve();
  let warnedFailure = false;

  async function send(e: NodeEvent): Promise<void> {
    const t = new Date(now()).toISOString();
    const body = {
      metadata: { generateName: `${e.node}.`, namespace },
      involvedObject: { apiVersion: "v1", kind: "Node", name: e.node },
      reason: e.reason,
      message: e.message.slice(0, 1024),
      type: e.type,
      count: 1,
      firstTimestamp: t,
      lastTimestamp: t,
      source: { component: COMPONENT },
      reportingComponent: COMPONENT,
      reportingInstance: opts.instance,
    };
    try {
      await api.post(`/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, body, kubeObject);
    } catch (err) {
      // Missing RBAC or an API hiccup must not disturb syncing: say it once, then stay quiet.
      if (!warnedFailure) opts.logger.warn({ error: describeError(err) }, "could not create a Kubernetes Event (check RBAC: events create); further failures are logged at debug");
      else opts.logger.debug({ error: describeError(err), node: e.node, reason: e.reason }, "event not created");
      warnedFailure = true;
    }
  }

  return {
    record(events) {
      const t = now();
      for (const [key, at] of lastSent) if (t - at >= windowMs) lastSent.delete(key);
      const fresh = events.filter((e) => {
        const key = `${e.node}\u0000${e.reason}\u0000${e.message}`;
        if (lastSent.has(key)) return false;
        lastSent.set(key, t);
        return true;
      });
      const batch = fresh.slice(0, maxPerBatch);
      if (fresh.length > batch.length) opts.logger.info({ dropped: fresh.length - batch.length }, "too many node events in one pass; the rest are only logged");
      for (const e of batch) chain = chain.then(() => send(e));
    },
    flush: () => chain,
  };
}
