import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { KubeConfig } from "@kubernetes/client-node";
import { createKubeRest } from "./kube-rest.ts";
import { lease as leaseSchema, leasePath, microTime, type Lease } from "./lease.ts";
import type { Logger } from "pino";
import { describeError } from "./watch.ts";

export type LeaderElector = {
  /** True while our Lease renewal is fresh; the controller writes only then. */
  isLeader(): boolean;
  start(): void;
  /** Stop renewing and hand the Lease back so a successor takes over at once. */
  stop(): Promise<void>;
};

export type LeaderElectorOptions = {
  readonly kc: KubeConfig;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly logger: Logger;
  readonly onChange: (leader: boolean) => void;
  /** Called with the Lease's annotations each time a round reads it (state kept on the Lease, e.g. a firewall suspension). */
  readonly onAnnotations?: (annotations: Readonly<Record<string, string>>) => void;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
};

const SA_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/** The pod's namespace (service account file), else kube-system where deploy/ installs the agent. */
export function podNamespace(file = SA_NAMESPACE_FILE): string {
  try {
    const ns = readFileSync(file, "utf8").trim();
    if (ns) return ns;
  } catch {
    // Out of cluster.
  }
  return "kube-system";
}

export function defaultIdentity(): string {
  return `${hostname()}_${randomBytes(4).toString("hex")}`;
}

function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown; statusCode?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
  return typeof code === "number" ? code : undefined;
}

type LeaseStep = "get" | "create" | "update";

/** What to tell the operator about a failed round: forbidden requests name the fix. */
export function leaseProblem(step: LeaseStep, code: number | undefined, namespace: string, name: string): { level: "error" | "warn"; text: string } {
  if (code === 403 && step === "create") {
    return {
      level: "error",
      text:
        `leader election: the Lease ${namespace}/${name} does not exist and this service account may not create it; ` +
        `apply deploy/ (kubectl apply -k deploy) or create the Lease from deploy/lease.yaml in namespace ${namespace}. No replica writes to OPNsense until then`,
    };
  }
  if (code === 403) {
    return {
      level: "error",
      text: `leader election: forbidden to ${step} the Lease ${namespace}/${name}; grant get and update on leases named ${name} in namespace ${namespace} (deploy/rbac.yaml). No replica writes to OPNsense until then`,
    };
  }
  return { level: "warn", text: "leader election: lease update failed" };
}

/**
 * Lease-based leader election in the style of client-go: the holder renews every retry period;
 * others take over only after they have seen the same record unchanged for a whole lease duration
 * (measured on their own clock, so clock skew between pods does not matter). Optimistic
 * concurrency (resourceVersion → 409) makes two candidates never both win one round.
 */
export function createLeaderElector(opts: LeaderElectorOptions): LeaderElector {
  const api = createKubeRest(opts.kc);
  const path = leasePath(opts.namespace, opts.name);
  const leaseMs = opts.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
  const retryMs = opts.retryPeriodMs ?? 2_000;
  const { namespace, name, identity, logger } = opts;

  let lastRenewAt = 0;
  let leader = false;
  let timer: NodeJS.Timeout | null = null;
  let observed: { key: string; at: number } | null = null;
  let running: Promise<void> | null = null;

  const leaseSeconds = Math.max(1, Math.round(leaseMs / 1000));

  function setLeader(value: boolean): void {
    if (value === leader) return;
    leader = value;
    logger.info({ lease: `${namespace}/${name}`, identity, leader: value }, value ? "became leader" : "lost leadership");
    opts.onChange(value);
  }

  function body(existing: Lease | null, now: Date): Lease {
    const mine = existing?.spec?.holderIdentity === identity;
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name,
        namespace,
        // Annotations carry state that must survive the holder (the firewall suspension): keep them.
        ...(existing?.metadata?.annotations ? { annotations: existing.metadata.annotations } : {}),
        ...(existing?.metadata?.labels ? { labels: existing.metadata.labels } : {}),
        ...(existing?.metadata?.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
      },
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds: leaseSeconds,
        acquireTime: mine && existing?.spec?.acquireTime ? existing.spec.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: (existing?.spec?.leaseTransitions ?? 0) + (mine ? 0 : 1),
      },
    };
  }

  /** The request a round is at, so a failure can say which permission is missing. */
  let step: LeaseStep = "get";

  async function tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    let existing: Lease | null = null;
    step = "get";
    try {
      existing = await api.get(path, leaseSchema);
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
    opts.onAnnotations?.(existing?.metadata?.annotations ?? {});
    if (existing === null) {
      // deploy/ ships the Lease and grants no `create`; this is for installs that allow it.
      step = "create";
      await api.post(leasePath(namespace), body(null, now), leaseSchema);
      return true;
    }
    const holder = existing.spec?.holderIdentity ?? "";
    const key = `${holder}|${existing.spec?.renewTime ?? ""}`;
    if (observed?.key !== key) observed = { key, at: Date.now() };
    const duration = (existing.spec?.leaseDurationSeconds ?? leaseSeconds) * 1000;
    const held = holder !== "" && holder !== identity;
    if (held && Date.now() - observed.at < duration) return false;
    step = "update";
    await api.put(path, body(existing, now), leaseSchema);
    return true;
  }

  // A failure that repeats every retry period is logged once (then at debug) until a round succeeds.
  let lastProblem: string | null = null;

  function complain(err: unknown): void {
    const lease = `${namespace}/${name}`;
    const problem = leaseProblem(step, statusCode(err), namespace, name);
    const error = describeError(err);
    const key = `${problem.text}\u0000${error}`;
    if (key === lastProblem) {
      logger.debug({ lease, step, error }, problem.text);
      return;
    }
    lastProblem = key;
    if (problem.level === "error") logger.error({ lease, step, error }, problem.text);
    else logger.warn({ lease, step, error }, problem.text);
  }

  async function round(): Promise<void> {
    try {
      if (await tryAcquireOrRenew()) lastRenewAt = Date.now();
      lastProblem = null;
    } catch (err) {
      // 409: another candidate won this round, which is how the protocol works.
      if (statusCode(err) !== 409) complain(err);
    }
    setLeader(lastRenewAt > 0 && Date.now() - lastRenewAt < renewDeadlineMs);
  }

  function loop(): void {
    running = round().finally(() => {
      running = null;
      if (timer !== null) timer = setTimeout(loop, retryMs);
    });
  }

  return {
    isLeader: () => leader && Date.now() - lastRenewAt < renewDeadlineMs,
    start() {
      timer = setTimeout(loop, 0);
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      if (running) await running;
      if (!leader) return;
      setLeader(false);
      try {
        const existing = await api.get(path, leaseSchema);
        if (existing.spec?.holderIdentity !== identity) return;
        const released: Lease = { ...existing, spec: { ...existing.spec, holderIdentity: "", leaseDurationSeconds: 1 } };
        await api.put(path, released, leaseSchema);
      } catch (err) {
        logger.warn({ error: describeError(err) }, "leader election: could not release the lease");
      }
    },
  };
}
