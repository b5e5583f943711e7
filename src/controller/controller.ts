import type { Logger } from "pino";
import { applyPlan, type ApplyResult } from "../apply/apply.ts";
import { errorKind, errorMessage, isFatal } from "../apply/errors.ts";
import type { Config } from "../config/types.ts";
import { computeDesired } from "../desired/index.ts";
import type { Neighbor } from "../domain/types.ts";
import { computePlan } from "../plan/index.ts";
import type { Metrics } from "../server/metrics.ts";
import type { HealthSource } from "../server/http.ts";
import type { StatusSource } from "../server/status.ts";
import type { NodeEvent } from "../cluster/events.ts";
import { createSessionFollower } from "./session-follower.ts";
import type { ClusterSource, Router, SuspensionStore } from "./ports.ts";
import { createSuspensionKeeper } from "./suspension-keeper.ts";
import { createChangeNotices } from "./change-notices.ts";
import { createHealth } from "./health.ts";
import { passResult, summaryFields } from "./summary.ts";
import type { DesiredState, RouterFacts } from "../desired/types.ts";
import { FRESH_START, type CarryOver, type Plan } from "../plan/types.ts";
import { aliasNames, categoryName } from "../domain/names.ts";
import { neighborKeys } from "../domain/ownership.ts";
import { parseIp } from "../domain/net.ts";
import { checkClusterClaim } from "../plan/cluster-claim.ts";
import { makeOwner, ownedNeighborsByKey } from "../plan/ownership.ts";
import { createGraceTracker } from "./removal-grace.ts";
import { capabilityFields, describeCapabilities, PreflightError, routerStateProblems } from "../opnsense/index.ts";
import { interfaceSettings } from "./interface-settings.ts";
import { ciliumMismatches, resolveRemoteAsn, type Mismatch } from "../desired/cilium-check.ts";
import { NO_CILIUM, selectorString } from "../cluster/cilium.ts";
import type { ClusterView } from "../cluster/types.ts";
import { appliedSomething, type QueuedPass } from "./schedule.ts";
import { createScheduler } from "./scheduler.ts";

export type ControllerOptions = {
  readonly config: Config;
  readonly router: Router;
  readonly cluster: ClusterSource;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Only the leader writes (seam for leader election); default: always. */
  readonly isLeader?: () => boolean;
  /** Retry delays after a failed pass: first and cap (cap defaults to SYNC_INTERVAL). */
  readonly retryBackoffMs?: { readonly initial: number; readonly max?: number };
  readonly reachability?: { checkTimeoutMs: number; attempts: number; intervalMs: number; undoDeadlineMs: number };
  /**
   * Where a firewall suspension is kept across restarts (the Lease annotation); without one it
   * lives in memory only (LEADER_ELECTION=false).
   */
  readonly suspensionStore?: SuspensionStore;
  /** Observe each finished pass (tests, Events seam). */
  readonly onPass?: (report: PassReport) => void;
};

export type PassReport = {
  readonly trigger: string;
  readonly result: "success" | "partial" | "error" | "skipped";
  readonly desired: DesiredState | null;
  readonly plan: Plan | null;
  readonly applied: ApplyResult | null;
  readonly error: string | null;
  /** How long MIN_APPLY_INTERVAL held this pass back, and how many triggers it collected meanwhile. */
  readonly rateLimitedMs?: number;
  readonly heldBack?: number;
  /** Firewall changes were suspended (after a lockout undo) during this pass. */
  readonly firewallSuspended?: boolean;
  /** BGPSessionEstablished / BGPSessionDown / BGPSessionDownTooLong seen in this pass. */
  readonly sessionEvents?: readonly NodeEvent[];
  /** Where Cilium's BGP config disagrees with the agent or the router (src/desired/cilium-check.ts). */
  readonly mismatches?: readonly Mismatch[];
};

/** BGP_REMOTE_ASN unset and not derivable from Cilium: no neighbor could be written correctly. */
export class RemoteAsnError extends Error {
  readonly kind = "config";
  override readonly name = "RemoteAsnError";
}

export type Controller = HealthSource & StatusSource & {
  start(): void;
  /** Ask for a pass (debounced). */
  trigger(reason: string): void;
  /** Run a pass now and wait for it (used at start-up and by tests). */
  runNow(reason: string, opts?: { fresh?: boolean }): Promise<PassReport>;
  /** Stop timers and wait for a running pass to finish, so no write is left half done. */
  stop(): Promise<void>;
  /** Resolves when no pass is running or queued. */
  idle(): Promise<void>;
};

/**
 * The loop: events only decide *when* a pass runs (debounced, one at a time, a periodic resync
 * that never depends on a watch being alive, backoff after failures); every pass recomputes
 * everything from a fresh read of OPNsense (level-triggered).
 */
/** Addresses the agent knows to be the router's own: its BGP router-id and OPNSENSE_URL's host when that is an IP. */
function routerAddresses(config: Config, bgp: { readonly routerId: string | null }): string[] {
  const out: string[] = [];
  if (bgp.routerId) out.push(bgp.routerId);
  const host = new URL(config.opnsense.url).hostname.replace(/^\[|\]$/g, "");
  const ip = parseIp(host);
  if (ip !== null) out.push(ip.address);
  return out;
}

export function createController(opts: ControllerOptions): Controller {
  const { config, router, cluster, logger, metrics } = opts;
  const isLeader = opts.isLeader ?? (() => true);
  const backoffInitial = opts.retryBackoffMs?.initial ?? 5000;
  const backoffMax = opts.retryBackoffMs?.max ?? config.syncIntervalMs;

  /**
   * Preflight (capability probe and checks) and the facts the client keeps between passes
   * (src/opnsense/slow-facts.ts) are read again at start, on every periodic resync and after any
   * OPNsense error: the box may have been upgraded, reconfigured, restored or replaced.
   */
  let preflighted = false;
  /** What preflight said before (every resync repeats it): logged at info/warn only when new. */
  let preflightNotes = "";
  const warned = new Set<string>();
  function rereadRouter(): void {
    preflighted = false;
    router.forgetFacts();
  }
  const suspension = createSuspensionKeeper({ store: opts.suspensionStore ?? null, logger, metrics });
  /** What earlier passes left undone: the only pass state carried forward (src/plan/types.ts). */
  let carry: CarryOver = FRESH_START;
  const health = createHealth();
  const grace = createGraceTracker(config.safety.removalGraceMs);
  const scheduler = createScheduler<PassReport>({
    debounceMs: config.debounceMs,
    syncIntervalMs: config.syncIntervalMs,
    minApplyIntervalMs: config.safety.minApplyIntervalMs,
    backoff: { initial: backoffInitial, max: backoffMax },
    logger,
    metrics,
    run: (trigger, fresh, q) => pass(trigger, fresh, q),
  });
  const sessions = createSessionFollower({ config, router, logger, metrics, wakeUp: (reason, delayMs) => scheduler.wakeUp(reason, delayMs) });
  const notices = createChangeNotices({ config, logger, metrics });

  /** Nodes Cilium's BGP configs select (also outside NODE_SELECTOR): one LIST per distinct selector. */
  async function withCiliumNodes(view: ClusterView): Promise<ClusterView> {
    const bgp = view.cilium?.bgp ?? [];
    if (bgp.length === 0 || !cluster.nodesSelectedBy || !view.cilium) return view;
    const selectedNodes = await cluster.nodesSelectedBy(bgp.map((c) => selectorString(c.nodeSelector)));
    return { ...view, cilium: { ...view.cilium, selectedNodes } };
  }

  async function pass(trigger: string, fresh: boolean, q?: QueuedPass): Promise<PassReport> {
    const held = q && q.rateLimitedMs > 0 ? { rateLimitedMs: Math.round(q.rateLimitedMs), heldBack: q.heldBack } : {};
    const started = performance.now();
    health.attempted();
    const endTimer = metrics.syncDuration.startTimer();
    let desired: DesiredState | null = null;
    let plan: Plan | null = null;
    let applied: ApplyResult | null = null;
    let mismatches: readonly Mismatch[] = [];
    try {
      if (!isLeader()) {
        logger.debug({ trigger }, "not the leader; skipping pass");
        return finish({ trigger, result: "skipped", desired, plan, applied, error: null });
      }
      if (fresh) rereadRouter();
      if (!preflighted) {
        // The pass reads the BGP model right after; only the first preflight reads it too (for its warnings).
        const pre = await router.preflight({ interfaces: interfaceSettings(config), bgpModel: preflightNotes === "" });
        const caps = pre.capabilities;
        preflighted = true;
        const notes = JSON.stringify(capabilityFields(caps));
        const changed = notes !== preflightNotes;
        preflightNotes = notes;
        for (const w of pre.warnings) {
          logger[warned.has(w) ? "debug" : "warn"]({ warning: w }, "opnsense preflight warning");
          warned.add(w);
        }
        logger[changed ? "info" : "debug"]({ capabilities: capabilityFields(caps) }, `OPNsense capabilities detected: ${describeCapabilities(caps)}`);
        const sloppy = config.lb.clientNetworks.filter((n) => n.asymmetric);
        if (changed && !caps.ruleStatetype && sloppy.length > 0)
          logger.warn(
            { statetype: false, entries: sloppy.map((n) => n.raw) },
            "this OPNsense has no state type in its filter API (24.x): asymmetric LB_CLIENT_NETWORKS entries cannot get sloppy rules and are skipped; upgrade to 25.1 or later",
          );
      }
      await suspension.refresh();
      const listed = fresh ? await cluster.listFresh() : cluster.view();
      const asn = resolveRemoteAsn(config, listed);
      if (!asn.ok) throw new RemoteAsnError(asn.message);
      const view = await withCiliumNodes(listed);
      // The router is read first: who peers at which address today, and which neighbors the
      // agent owns, are inputs of the desired state (contested addresses, last good state, grace).
      const snapshot = await router.readSnapshot({ aliasNames: aliasNames(config.ownerId) });
      // Preflight checked these once; someone may have switched FRR/BGP off since. Writing then
      // would "succeed" while nothing takes effect, so fail the pass with preflight's words.
      const stateProblems = routerStateProblems(snapshot.frr, snapshot.bgp);
      if (stateProblems.length > 0) throw new PreflightError(stateProblems);
      const claim = checkClusterClaim(snapshot, config.ownerId, categoryName(config.ownerId), await cluster.clusterId());
      metrics.ownerConflict.set(claim.ok ? 0 : 1);
      if (!claim.ok) {
        health.blocked(claim.message);
        health.failed(claim.message);
        logger.error({ trigger, result: "error", ownerId: config.ownerId, otherCluster: claim.otherCluster, error: claim.message }, "sync refused");
        return finish({ trigger, result: "error", desired, plan, applied, error: claim.message });
      }
      const facts = { ...routerFacts(snapshot.neighbors, view.nodes.map((n) => n.name), claim.claim), routerAddresses: routerAddresses(config, snapshot.bgp) };
      const want: DesiredState = computeDesired(view, config, snapshot.capabilities, facts);
      desired = want;
      notices.settings(want.settings, snapshot.bgp.asNumber);
      mismatches = ciliumMismatches({
        config: want.settings.config,
        remoteAsn: asn.asn,
        nodes: view.nodes,
        agentAsOf: new Map(want.neighbors.flatMap((n) => (n.spec.remoteAs === null ? [] : [[n.node, n.spec.remoteAs] as const]))),
        lbPrefixes: want.settings.lb.prefixes,
        cilium: view.cilium ?? NO_CILIUM,
        router: { asNumber: snapshot.bgp.asNumber, graceful: snapshot.bgp.graceful ?? null, addresses: facts.routerAddresses },
      });
      notices.mismatches(mismatches);
      const seen = await sessions.follow({ snapshot, owned: facts.ownedNeighbors, desired: want, mismatches, firewallSuspended: suspension.current() !== null });
      for (const p of want.problems) logger.warn({ [p.kind]: p.object, error: p.message }, "input problem; object skipped");
      for (const h of want.held) logger.info({ key: h.key, address: h.address, reason: h.reason }, "neighbor kept although no node asks for it");
      health.blocked(want.deletionGuard?.message ?? null);
      metrics.deletionGuard.set(want.deletionGuard === null ? 0 : 1);
      if (want.deletionGuard !== null)
        logger.warn({ owned: want.deletionGuard.owned, removing: want.deletionGuard.removing, maxDeleteFraction: want.deletionGuard.maxFraction, error: want.deletionGuard.message }, "mass deletion held back");
      const steps: Plan = computePlan(want, snapshot, {
        ownerId: config.ownerId,
        policy: config.policy,
        adoptExisting: config.adoptExisting,
        carry,
      });
      plan = steps;
      for (const c of steps.conflicts)
        logger.warn({ object: c.objectKind, key: c.key, subject: c.subject, foreignUuid: c.foreignUuid, error: c.reason }, "conflict with an object the agent does not own; left alone");
      for (const s of steps.suppressed) logger.debug({ operation: s.operation.kind, policy: s.policy }, "change suppressed by policy");
      for (const r of steps.pendingReasons) logger.info({ reason: r }, "saved changes are not running yet; applying");
      const outcome = await applyPlan(steps, {
        writer: router,
        snapshot,
        logger,
        dryRun: config.dryRun,
        categoryName: want.categoryName,
        firewallSuspended: suspension.current() !== null,
        ...(opts.reachability ? { reachability: opts.reachability } : {}),
        onWrite: (op) => metrics.writes.inc({ operation: op.kind }),
        onApply: (s) => metrics.applies.inc({ subsystem: s }),
      });
      applied = outcome;
      if (appliedSomething(outcome)) scheduler.applied();
      if (carry.firewallPending && !outcome.firewallPending) logger.info({ action: carry.firewallPending }, "firewall changes from an earlier pass applied");
      carry = { ...carry, frrPending: outcome.frrPending, firewallPending: outcome.firewallPending };
      if (carry.frrPending) logger.warn({}, "BGP neighbors are saved but FRR was not reconfigured yet; the next pass does it");
      if (carry.firewallPending) logger.warn({ action: carry.firewallPending }, "firewall changes are saved but not applied yet; the next pass applies them");
      const suspendedBefore = suspension.current();
      if (outcome.lockout) await suspension.suspendNow(outcome.lockout.detail, outcome.lockout.rules);
      else if (suspendedBefore)
        logger.error(
          { suspendedSince: suspendedBefore.since, rules: suspendedBefore.rules, clear: suspension.clearHint },
          "firewall changes are suspended after a lockout undo; fix the rule settings, then clear the suspension",
        );
      const suspended = suspension.current() !== null;
      // While suspended, new nodes get neighbors but no firewall access: never call that a success.
      const result = suspended && passResult(outcome) === "success" ? "partial" : passResult(outcome);
      const fields = {
        ...summaryFields(want, steps, outcome, performance.now() - started, trigger),
        result,
        ...(suspended ? { firewallSuspended: true } : {}),
        ...held,
        ...(seen.counts ? { sessions: seen.counts } : {}),
      };
      // A failed write or apply may mean a kept fact is wrong (a category gone, FRR switched off).
      if (outcome.failures.length > 0) rereadRouter();
      if (outcome.aborted) {
        health.router(false);
        health.failed(outcome.aborted);
        logger.error({ ...fields, error: outcome.aborted }, "sync failed");
      } else {
        health.router(true);
        logger.info(fields, "sync complete");
      }
      if (result !== "error") carry = { ...carry, firstPassSinceStart: false };
      metrics.conflicts.set(steps.conflicts.length);
      metrics.problems.set(want.problems.length);
      for (const reason of ["invalid-input", "removal-grace", "deletion-guard"] as const)
        metrics.heldNeighbors.set({ reason }, want.held.filter((h) => h.reason === reason).length);
      updateManaged(want);
      return finish({
        trigger,
        result,
        desired: want,
        plan: steps,
        applied: outcome,
        error: outcome.aborted,
        ...held,
        ...(suspended ? { firewallSuspended: true } : {}),
        sessionEvents: seen.events,
        mismatches,
      });
    } catch (err) {
      const message = errorMessage(err);
      health.failed(message);
      const kind = errorKind(err);
      // Problems of the cluster or the settings say nothing about the router.
      if (kind !== "kubernetes" && kind !== "config") rereadRouter();
      if (isFatal(err) || kind === "preflight") health.router(false);
      const problems = (err as { problems?: unknown }).problems;
      if (Array.isArray(problems)) for (const p of problems) logger.error({ error: String(p) }, "opnsense preflight failed");
      logger.error({ trigger, result: "error", errorKind: kind, error: message, durationMs: Math.round(performance.now() - started) }, "sync failed");
      return finish({ trigger, result: "error", desired, plan, applied, error: message });
    } finally {
      endTimer();
    }
  }

  /** What the desired state needs from the router, and the removal-grace clock. */
  function routerFacts(neighbors: readonly Neighbor[], nodeNames: readonly string[], clusterClaim: string | null): RouterFacts {
    const { unique, duplicated } = ownedNeighborsByKey(neighbors, makeOwner(config.ownerId, "", []));
    const present = new Set(nodeNames.flatMap((n) => neighborKeys(config.ownerId, n)));
    const { inGrace, nextExpiryMs } = grace.observe([...unique.keys(), ...duplicated.keys()], present, Date.now());
    scheduler.wakeUp("removal grace ended", nextExpiryMs === null ? null : nextExpiryMs + 10);
    return { ownedNeighbors: unique, inGrace, clusterClaim };
  }

  function finish(report: PassReport): PassReport {
    metrics.syncTotal.inc({ result: report.result });
    if (report.result === "skipped") {
      opts.onPass?.(report);
      return report;
    }
    const retryable =
      report.result === "error" ||
      (report.applied?.failures.some((f) => f.kind === "transient" || f.kind === "unreachable" || f.kind === "unexpected") ?? false);
    if (report.result === "success" || (report.result === "partial" && !retryable)) {
      scheduler.succeeded();
      if (report.result === "success") {
        health.succeeded();
        metrics.lastSuccess.set(Date.now() / 1000);
      }
    } else if (retryable) scheduler.failed();
    opts.onPass?.(report);
    return report;
  }

  function updateManaged(desired: DesiredState): void {
    metrics.managedObjects.set({ kind: "neighbor" }, desired.neighbors.length);
    metrics.managedObjects.set({ kind: "alias" }, desired.aliases.length);
    metrics.managedObjects.set({ kind: "rule" }, desired.rules.length);
  }

  return {
    start: () => scheduler.start(),
    trigger: (reason) => scheduler.schedule(reason, false, config.debounceMs),
    runNow: (reason, o) => scheduler.runNow(reason, o?.fresh ?? false),
    stop: () => scheduler.stop(),
    idle: () => scheduler.idle(),
    status: () => sessions.view(),
    live: () => health.live(config.syncIntervalMs),
    ready: () => health.ready({ leader: isLeader(), suspension: suspension.current(), clearHint: suspension.clearHint }),
  };
}
