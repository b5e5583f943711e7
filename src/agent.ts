import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { createClusterWatch, type ClusterWatch } from "./cluster/watch.ts";
import { clusterWatchSelection } from "./cluster/from-config.ts";
import { loadKubeConfig } from "./cluster/kube-config.ts";
import { createLeaderElector, defaultIdentity, podNamespace, type LeaderElector } from "./cluster/leader.ts";
import { createEventRecorder } from "./cluster/events.ts";
import { createLeaseAnnotation } from "./cluster/lease-annotation.ts";
import { SUSPENSION_ANNOTATION } from "./controller/suspension.ts";
import { nodeEvents } from "./controller/node-events.ts";
import { redactedConfigSummary } from "./config/index.ts";
import type { Config } from "./config/types.ts";
import { createController, type Controller, type ControllerOptions } from "./controller/controller.ts";
import { createOpnsenseClient } from "./opnsense/index.ts";
import { opnsenseOptions } from "./opnsense/from-config.ts";
import { startHttpServer, type HttpServer } from "./server/http.ts";
import { createMetrics, type Metrics } from "./server/metrics.ts";
import { createMemoryReleaser } from "./memory/releaser.ts";

export type AgentOptions = {
  readonly config: Config;
  readonly logger: Logger;
  /** Defaults to $KUBECONFIG / ~/.kube/config / in-cluster service account. */
  readonly kubeConfig?: KubeConfig;
  /** Tests: shorter waits. */
  readonly tuning?: {
    readonly retries?: number;
    readonly retryMinTimeoutMs?: number;
    readonly retryBackoffMs?: ControllerOptions["retryBackoffMs"];
    readonly reachability?: ControllerOptions["reachability"];
    readonly informerRestartBackoffMs?: { initial: number; max: number };
    readonly defaultMetrics?: boolean;
    readonly onPass?: ControllerOptions["onPass"];
    /** Return memory to the OS after large passes (default true; in-process tests turn it off). */
    readonly releaseMemory?: boolean;
    readonly leaderElection?: { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number; namespace?: string; identity?: string };
  };
};

export type Agent = {
  readonly controller: Controller;
  readonly cluster: ClusterWatch;
  readonly metrics: Metrics;
  readonly http: HttpServer;
  /** Graceful stop: no new passes, wait for the running one, close watches and the HTTP server. */
  stop(): Promise<void>;
};

/** Wire the layers together and start: HTTP server, watches, then the loop. */
export async function startAgent(opts: AgentOptions): Promise<Agent> {
  const { config, logger } = opts;
  const t = opts.tuning ?? {};
  logger.info({ config: redactedConfigSummary(config) }, "starting opnsense-bgp-agent");
  if (config.opnsense.tlsInsecure)
    logger.warn({}, "OPNSENSE_TLS_INSECURE=true: the OPNsense certificate is NOT verified; use OPNSENSE_CA_FILE instead");
  if (config.dryRun) logger.warn({}, "DRY_RUN=true: plans are logged, nothing is written to OPNsense");

  const metrics = createMetrics({ defaultMetrics: t.defaultMetrics ?? true });
  // Route filtering (and its warning) is decided per pass: Cilium's pools may supply the
  // prefixes (controller: "BGP settings in effect"). Until the first pass says so, report none.
  metrics.routeFilter.set(0);
  const router = createOpnsenseClient({
    ...opnsenseOptions(config),
    ...(t.retries !== undefined ? { retries: t.retries } : {}),
    ...(t.retryMinTimeoutMs !== undefined ? { retryMinTimeoutMs: t.retryMinTimeoutMs } : {}),
    logger: logger.child({ component: "opnsense" }),
    onRequest: (e) => metrics.opnsenseRequests.inc({ endpoint: e.endpoint, code: String(e.status) }),
  });

  const memory = t.releaseMemory === false ? null : createMemoryReleaser({ logger: logger.child({ component: "memory" }) });
  let controller: Controller | null = null;
  let started = false;
  const kc = opts.kubeConfig ?? loadKubeConfig();
  const identity = t.leaderElection?.identity ?? defaultIdentity();
  const leaseNamespace = t.leaderElection?.namespace ?? podNamespace();
  const LEASE = "opnsense-bgp-agent";
  // The Lease exists only with leader election; without it a suspension stays in memory.
  const suspensionStore = config.leaderElection ? createLeaseAnnotation({ kc, namespace: leaseNamespace, name: LEASE, key: SUSPENSION_ANNOTATION }) : null;
  let seenSuspension: string | null = null;
  const events = createEventRecorder({ kc, logger: logger.child({ component: "events" }), instance: identity });
  const elector: LeaderElector | null = config.leaderElection
    ? createLeaderElector({
        kc,
        namespace: leaseNamespace,
        name: LEASE,
        identity,
        logger: logger.child({ component: "leader" }),
        onChange: (leader) => {
          metrics.leader.set(leader ? 1 : 0);
          if (leader) controller?.trigger("became leader");
        },
        // The renew loop reads the Lease every few seconds anyway: an operator removing the
        // suspension annotation resumes at once, not at the next resync. (A value set by hand needs
        // no pass of its own: every pass reads it before writing.)
        onAnnotations: (annotations) => {
          const value = annotations[SUSPENSION_ANNOTATION] ?? null;
          if (seenSuspension && value === null) controller?.trigger("firewall suspension cleared");
          seenSuspension = value;
        },
        ...(t.leaderElection ?? {}),
      })
    : null;
  // Without election every replica writes; with it, standby until the elector says otherwise.
  metrics.leader.set(elector ? 0 : 1);
  const cluster = createClusterWatch({
    kc,
    ...clusterWatchSelection(config),
    logger: logger.child({ component: "cluster" }),
    // Changes seen while the watches start are covered by the startup pass, which reads the
    // filled cache; triggering earlier would run a pass before every informer has started.
    onChange: (reason) => {
      if (started) controller?.trigger(reason);
    },
    ...(t.informerRestartBackoffMs ? { restartBackoffMs: t.informerRestartBackoffMs } : {}),
  });
  controller = createController({
    config,
    router,
    cluster,
    logger,
    metrics,
    ...(elector ? { isLeader: () => elector.isLeader() } : {}),
    ...(suspensionStore ? { suspensionStore } : {}),
    ...(t.retryBackoffMs ? { retryBackoffMs: t.retryBackoffMs } : {}),
    ...(t.reachability ? { reachability: t.reachability } : {}),
    onPass: (report) => {
      events.record(nodeEvents(report));
      t.onPass?.(report);
      // onPass runs inside the pass, whose snapshot is still reachable; collect once it has returned.
      if (memory) setImmediate(() => memory.afterPass());
    },
  });
  const http = await startHttpServer({ port: config.httpPort, health: controller, status: controller, registry: metrics.registry, logger });
  await cluster.start();
  elector?.start();
  started = true;
  controller.start();

  const ctl = controller;
  return {
    controller: ctl,
    cluster,
    metrics,
    http,
    async stop() {
      await ctl.stop();
      await events.flush();
      await elector?.stop();
      await cluster.stop();
      await http.close();
    },
  };
}
