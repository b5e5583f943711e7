import type { Logger } from "pino";
import { applyPlan, type ApplyResult, type FirewallAction } from "../apply/apply.ts";
import { errorKind, errorMessage, isFatal } from "../apply/errors.ts";
import type { Config } from "../config/types.ts";
import { computeDesired } from "../desired/index.ts";
import type { Capabilities, Neighbor, RouterSnapshot } from "../domain/types.ts";
import { computePlan } from "../plan/index.ts";
import type { Metrics } from "../server/metrics.ts";
import type { HealthSource } from "../server/http.ts";
import type { StatusSource, StatusView } from "../server/status.ts";
import type { NodeEvent } from "../cluster/events.ts";
import { NO_SESSIONS_SEEN, downCauses, observeSessions, type DownTooLong, type SessionMemory, type SessionObservation } from "./sessions.ts";
import { nodeOfKey } from "./node-events.ts";
import type { ClusterSource, Router, SuspensionStore } from "./ports.ts";
import { NOT_SUSPENDED, encodeSuspension, reconcileSuspension, suspend, type SuspensionState } from "./suspension.ts";
import { passResult, summaryFields } from "./summary.ts";
import type { DesiredState, RouterFacts } from "../desired/types.ts";
import type { Plan } from "../plan/types.ts";
import { aliasNames, categoryName, nodeAliasName } from "../domain/names.ts";
import { BGP_RULE_KEY } from "../desired/bgp-firewall.ts";
import { neighborKey } from "../domain/ownership.ts";
import { parseIp } from "../domain/net.ts";
import { checkClusterClaim } from "../plan/cluster-claim.ts";
import { makeOwner, ownedNeighborsByKey } from "../plan/ownership.ts";
import { createGraceTracker } from "./removal-grace.ts";
import { PreflightError, routerStateProblems } from "../opnsense/index.ts";
import { interfaceSettings } from "./interface-settings.ts";
import { ciliumMismatches, MISMATCH_KINDS, mismatchMessage, resolveRemoteAsn, type Mismatch } from "../desired/cilium-check.ts";
import type { PassSettings } from "../desired/pass-config.ts";
import { NO_CILIUM, selectorString } from "../cluster/cilium.ts";
import type { ClusterView } from "../cluster/types.ts";
import { addRateLimit, addTrigger, appliedSomething, gateDelay, passStartDelay, type ApplyGate, type QueuedPass } from "./schedule.ts";

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

/** Mismatches that keep a session from coming up (timers and graceful restart do not). */
const SESSION_BLOCKING: ReadonlySet<string> = new Set(["local-as", "peer-as", "peer-address", "not-peered-by-cilium"]);

export function createController(opts: ControllerOptions): Controller {
  const { config, router, cluster, logger, metrics } = opts;
  const isLeader = opts.isLeader ?? (() => true);
  const backoffInitial = opts.retryBackoffMs?.initial ?? 5000;
  const backoffMax = opts.retryBackoffMs?.max ?? config.syncIntervalMs;

  let caps: Capabilities | null = null;
  let running: Promise<PassReport> | null = null;
  let queued: QueuedPass | null = null;
  let debounceTimer: NodeJS.Timeout | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let resyncTimer: NodeJS.Timeout | null = null;
  let stopped = false;
  let failures = 0;
  let firstPassSinceStart = true;
  let suspension: SuspensionState = NOT_SUSPENDED;
  const store = opts.suspensionStore ?? null;
  let firewallPending: FirewallAction | null = null;
  let frrPending = false;
  const startedAt = Date.now();
  let lastAttemptAt: number | null = null;
  let lastSuccessAt: number | null = null;
  let routerHealthy = false;
  let lastError: string | null = null;
  /** Why the last pass refused to delete or to write at all; readiness fails while set. */
  let blocked: string | null = null;
  const grace = createGraceTracker(config.safety.removalGraceMs);
  let graceTimer: NodeJS.Timeout | null = null;
  /** End of the last pass that reconfigured FRR or applied the firewall (MIN_APPLY_INTERVAL). */
  let lastApplyAt: number | null = null;
  const gate = (): ApplyGate => ({ lastApplyAt, minApplyIntervalMs: config.safety.minApplyIntervalMs });
  let sessionMemory: SessionMemory = NO_SESSIONS_SEEN;
  let sessionView: StatusView = { observedAt: null, sessions: "unknown", reason: "no pass has read the sessions yet", nodes: [] };
  /** The diagnostics endpoint failed and that was logged; said once until it answers again. */
  let sessionsUnavailable = false;
  let sessionTimer: NodeJS.Timeout | null = null;
  /** Nodes with per-node session series, so a node that is gone loses its label set. */
  let sessionSeries = new Set<string>();
  /** Mismatches logged already (one warning when one appears, one info line when it is gone). */
  let knownMismatches = new Map<string, Mismatch>();
  /** The last pass's effective settings, to log them at the first pass and whenever they change. */
  let lastSettings: string | null = null;

  /** Nodes Cilium's BGP configs select (also outside NODE_SELECTOR): one LIST per distinct selector. */
  async function withCiliumNodes(view: ClusterView): Promise<ClusterView> {
    const bgp = view.cilium?.bgp ?? [];
    if (bgp.length === 0 || !cluster.nodesSelectedBy || !view.cilium) return view;
    const selectedNodes = await cluster.nodesSelectedBy(bgp.map((c) => selectorString(c.nodeSelector)));
    return { ...view, cilium: { ...view.cilium, selectedNodes } };
  }

  function reportMismatches(mismatches: readonly Mismatch[]): void {
    const next = new Map<string, Mismatch>(mismatches.map((m) => [`${m.node}\u0000${m.kind}\u0000${m.cilium}\u0000${m.agent ?? m.router ?? ""}`, m] as const));
    for (const [key, m] of next) {
      if (knownMismatches.has(key)) continue;
      logger.warn(
        { node: m.node, kind: m.kind, what: m.what, cilium: m.cilium, ...(m.agent !== undefined ? { agent: m.agent } : {}), ...(m.router !== undefined ? { router: m.router } : {}), hint: m.hint },
        "BGP config mismatch",
      );
    }
    for (const [key, m] of knownMismatches) if (!next.has(key)) logger.info({ node: m.node, kind: m.kind, what: m.what }, "BGP config mismatch resolved");
    knownMismatches = next;
    for (const kind of MISMATCH_KINDS) metrics.bgpConfigMismatches.set({ kind }, mismatches.filter((m) => m.kind === kind).length);
  }

  /** The settings the cluster decides (pools, accepted prefixes, the nodes' AS): logged at the first pass and on change. */
  function noteSettings(s: PassSettings, routerAs: number | null): void {
    const filtering = s.accept.prefixes.length > 0;
    metrics.routeFilter.set(filtering ? 1 : 0);
    const asn = s.remoteAsn.asn;
    const fields = {
      routerAs,
      remoteAsn: asn,
      remoteAsnFrom: s.remoteAsn.from,
      peering: routerAs === null || asn === null ? "unknown" : routerAs === asn ? "iBGP" : "eBGP",
      ciliumPools: config.ciliumPools === "off" ? "off" : s.lb.pools,
      ...(s.lb.disabledPools.length > 0 ? { disabledPools: s.lb.disabledPools } : {}),
      lbPrefixes: s.lb.prefixes,
      acceptPrefixes: s.accept.prefixes,
      acceptPrefixesFrom: s.accept.from,
    };
    const key = JSON.stringify(fields);
    if (key === lastSettings) return;
    const first = lastSettings === null;
    const wasFiltering = lastSettings !== null && (JSON.parse(lastSettings) as { acceptPrefixes: unknown[] }).acceptPrefixes.length > 0;
    lastSettings = key;
    logger.info(fields, first ? "BGP settings in effect" : "BGP settings changed");
    if (!filtering && (first || wasFiltering))
      logger.warn(
        { acceptPrefixesFrom: s.accept.from },
        "BGP route filtering is OFF: neither BGP_ACCEPT_PREFIXES, LB_ADDRESSES nor a Cilium pool gives prefixes, so every peered node may announce any prefix (a default route, the LAN) and OPNsense installs it; set LB_ADDRESSES to the LB pool",
      );
  }

  function setSuspension(next: SuspensionState): void {
    suspension = next;
    metrics.firewallSuspended.set(next.current ? 1 : 0);
  }

  /** Follow the Lease annotation: loaded after a restart, cleared by the operator, or still to be written. */
  async function refreshSuspension(): Promise<void> {
    if (!store) return;
    let stored: string | null;
    try {
      stored = await store.read();
    } catch (err) {
      logger.warn({ where: store.location, error: errorMessage(err) }, "could not read the firewall suspension; keeping the current state");
      return;
    }
    const { state, change } = reconcileSuspension(suspension, stored);
    setSuspension(state);
    const s = state.current;
    if (change === "loaded" && s)
      logger.warn({ where: store.location, suspendedSince: s.since, reason: s.reason, rules: s.rules, clear: store.clearCommand }, "firewall changes are suspended by an earlier lockout undo; no firewall writes until the annotation is removed");
    if (change === "cleared") logger.info({ where: store.location }, "firewall suspension cleared by the operator; resuming firewall changes");
    if (change === "persist") await persistSuspension();
  }

  async function persistSuspension(): Promise<void> {
    const s = suspension.current;
    if (!s) return;
    if (!store) {
      logger.warn({ suspendedSince: s.since, rules: s.rules }, "firewall suspension is kept in memory only (no Lease: LEADER_ELECTION=false); it will not survive a restart, which would repeat the change");
      return;
    }
    try {
      await store.write(encodeSuspension(s));
      suspension = { current: s, persisted: true };
      logger.info({ where: store.location, suspendedSince: s.since, rules: s.rules, clear: store.clearCommand }, "firewall suspension recorded; it survives restarts until the annotation is removed");
    } catch (err) {
      logger.error({ where: store.location, error: errorMessage(err) }, "could not record the firewall suspension; retrying on the next pass");
    }
  }

  function schedule(reason: string, fresh: boolean, delayMs: number): void {
    if (stopped) return;
    queued = addTrigger(queued, reason, fresh, gateDelay(Date.now(), gate()) > 0);
    arm(delayMs);
  }

  /** Start the timer for the queued pass (unless one runs): the later of `requestedMs` and the apply gate. */
  function arm(requestedMs: number): void {
    if (debounceTimer || !queued || stopped) return;
    const now = Date.now();
    const { delayMs, rateLimitedMs } = passStartDelay(now, requestedMs, gate());
    if (rateLimitedMs > 0) {
      queued = addRateLimit(queued, rateLimitedMs);
      metrics.rateLimited.inc();
      metrics.rateLimitedSeconds.inc(rateLimitedMs / 1000);
      logger.info(
        { trigger: [...queued.reasons].join(", "), deferMs: rateLimitedMs, minApplyIntervalMs: config.safety.minApplyIntervalMs, lastApplyAgoMs: lastApplyAt === null ? null : now - lastApplyAt },
        "pass deferred by MIN_APPLY_INTERVAL; changes until then are collected into it",
      );
    }
    debounceTimer = setTimeout(() => {
      debounceTimer = null;
      void drain();
    }, delayMs);
  }

  async function drain(): Promise<void> {
    if (running || !queued || stopped) return;
    // A pass that applied may have ended while this timer ran (runNow, or one that held the slot).
    if (gateDelay(Date.now(), gate()) > 0) return arm(0);
    const q = queued;
    queued = null;
    await runPass([...q.reasons].join(", "), q.fresh, q);
  }

  function runPass(trigger: string, fresh: boolean, q?: QueuedPass): Promise<PassReport> {
    const p = pass(trigger, fresh, q).finally(() => {
      running = null;
      // Changes that arrived during the pass were queued (their debounce already ran out while
      // this pass held the single slot): run them as soon as the apply gate allows.
      if (queued && !debounceTimer) arm(0);
    });
    running = p;
    return p;
  }

  async function pass(trigger: string, fresh: boolean, q?: QueuedPass): Promise<PassReport> {
    const held = q && q.rateLimitedMs > 0 ? { rateLimitedMs: Math.round(q.rateLimitedMs), heldBack: q.heldBack } : {};
    const started = performance.now();
    lastAttemptAt = Date.now();
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
      if (caps === null) {
        const pre = await router.preflight({ interfaces: interfaceSettings(config) });
        caps = pre.capabilities;
        for (const w of pre.warnings) logger.warn({ warning: w }, "opnsense preflight warning");
        logger.info({ opnsense: caps.versionRange, statetype: caps.ruleStatetype, directionAny: caps.ruleDirectionAny }, "opnsense capabilities detected");
        const sloppy = config.lb.clientNetworks.filter((n) => n.asymmetric);
        if (!caps.ruleStatetype && sloppy.length > 0)
          logger.warn(
            { opnsense: caps.versionRange, entries: sloppy.map((n) => n.raw) },
            "this OPNsense has no state type in its filter API (24.x): asymmetric LB_CLIENT_NETWORKS entries cannot get sloppy rules and are skipped; upgrade to 25.1 or later",
          );
      }
      await refreshSuspension();
      const listed = fresh ? await cluster.listFresh() : cluster.view();
      const asn = resolveRemoteAsn(config, listed);
      if (!asn.ok) throw new RemoteAsnError(asn.message);
      const view = await withCiliumNodes(listed);
      // The router is read first: who peers at which address today, and which neighbors the
      // agent owns, are inputs of the desired state (contested addresses, last good state, grace).
      const snapshot = await router.readSnapshot(caps, { aliasNames: aliasNames(config.ownerId) });
      // Preflight checked these once; someone may have switched FRR/BGP off since. Writing then
      // would "succeed" while nothing takes effect, so fail the pass with preflight's words.
      const stateProblems = routerStateProblems(snapshot.frr, snapshot.bgp);
      if (stateProblems.length > 0) throw new PreflightError(stateProblems);
      const claim = checkClusterClaim(snapshot, config.ownerId, categoryName(config.ownerId), await cluster.clusterId());
      metrics.ownerConflict.set(claim.ok ? 0 : 1);
      if (!claim.ok) {
        blocked = claim.message;
        lastError = claim.message;
        logger.error({ trigger, result: "error", ownerId: config.ownerId, otherCluster: claim.otherCluster, error: claim.message }, "sync refused");
        return finish({ trigger, result: "error", desired, plan, applied, error: claim.message });
      }
      const facts = { ...routerFacts(snapshot.neighbors, view.nodes.map((n) => n.name), claim.claim), routerAddresses: routerAddresses(config, snapshot.bgp) };
      const want: DesiredState = computeDesired(view, config, caps, facts);
      desired = want;
      noteSettings(want.settings, snapshot.bgp.asNumber);
      mismatches = ciliumMismatches({
        config: want.settings.config,
        remoteAsn: asn.asn,
        nodes: view.nodes,
        agentAsOf: new Map(want.neighbors.flatMap((n) => (n.spec.remoteAs === null ? [] : [[n.node, n.spec.remoteAs] as const]))),
        lbPrefixes: want.settings.lb.prefixes,
        cilium: view.cilium ?? NO_CILIUM,
        router: { asNumber: snapshot.bgp.asNumber, graceful: snapshot.bgp.graceful ?? null, addresses: facts.routerAddresses },
      });
      reportMismatches(mismatches);
      passMismatches = mismatches;
      const sessions = await followSessions(snapshot, want);
      for (const p of want.problems) logger.warn({ [p.kind]: p.object, error: p.message }, "input problem; object skipped");
      for (const h of want.held) logger.info({ key: h.key, address: h.address, reason: h.reason }, "neighbor kept although no node asks for it");
      blocked = want.deletionGuard?.message ?? null;
      metrics.deletionGuard.set(want.deletionGuard === null ? 0 : 1);
      if (want.deletionGuard !== null)
        logger.warn({ owned: want.deletionGuard.owned, removing: want.deletionGuard.removing, maxDeleteFraction: want.deletionGuard.maxFraction, error: want.deletionGuard.message }, "mass deletion held back");
      const steps: Plan = computePlan(want, snapshot, {
        ownerId: config.ownerId,
        policy: config.policy,
        adoptExisting: config.adoptExisting,
        firstPassSinceStart,
      });
      plan = steps;
      for (const c of steps.conflicts)
        logger.warn({ object: c.objectKind, key: c.key, subject: c.subject, foreignUuid: c.foreignUuid, error: c.reason }, "conflict with an object the agent does not own; left alone");
      for (const s of steps.suppressed) logger.debug({ operation: s.operation.kind, policy: s.policy }, "change suppressed by policy");
      for (const r of steps.pendingReasons) logger.info({ reason: r }, "saved changes are not running yet; applying");
      const outcome = await applyPlan(steps, {
        writer: router,
        snapshot,
        capabilities: caps,
        logger,
        dryRun: config.dryRun,
        categoryName: want.categoryName,
        firewallSuspended: suspension.current !== null,
        firewallPending,
        frrPending,
        ...(opts.reachability ? { reachability: opts.reachability } : {}),
        onWrite: (op) => metrics.writes.inc({ operation: op.kind }),
        onApply: (s) => metrics.applies.inc({ subsystem: s }),
      });
      applied = outcome;
      if (appliedSomething(outcome)) lastApplyAt = Date.now();
      if (firewallPending && !outcome.firewallPending) logger.info({ action: firewallPending }, "firewall changes from an earlier pass applied");
      firewallPending = outcome.firewallPending;
      frrPending = outcome.frrPending;
      if (frrPending) logger.warn({}, "BGP neighbors are saved but FRR was not reconfigured yet; the next pass does it");
      if (firewallPending) logger.warn({ action: firewallPending }, "firewall changes are saved but not applied yet; the next pass applies them");
      if (outcome.lockout) {
        setSuspension(suspend(new Date(), outcome.lockout.detail, outcome.lockout.rules));
        await persistSuspension();
      } else if (suspension.current)
        logger.error(
          { suspendedSince: suspension.current.since, rules: suspension.current.rules, clear: store?.clearCommand ?? "restart the agent" },
          "firewall changes are suspended after a lockout undo; fix the rule settings, then clear the suspension",
        );
      const suspended = suspension.current !== null;
      // While suspended, new nodes get neighbors but no firewall access: never call that a success.
      const result = suspended && passResult(outcome) === "success" ? "partial" : passResult(outcome);
      const fields = {
        ...summaryFields(want, steps, outcome, performance.now() - started, trigger),
        result,
        ...(suspended ? { firewallSuspended: true } : {}),
        ...held,
        ...(sessions.counts ? { sessions: sessions.counts } : {}),
      };
      if (outcome.aborted) {
        routerHealthy = false;
        caps = null;
        lastError = outcome.aborted;
        logger.error({ ...fields, error: outcome.aborted }, "sync failed");
      } else {
        routerHealthy = true;
        logger.info(fields, "sync complete");
      }
      if (result !== "error") firstPassSinceStart = false;
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
        sessionEvents: sessions.events,
        mismatches,
      });
    } catch (err) {
      const message = errorMessage(err);
      lastError = message;
      const kind = errorKind(err);
      if (isFatal(err) || kind === "unexpected" || kind === "transient" || kind === "not-found") {
        // Re-probe on the next pass: the box may have been upgraded, restored or replaced.
        caps = null;
      }
      if (isFatal(err) || kind === "preflight") routerHealthy = false;
      const problems = (err as { problems?: unknown }).problems;
      if (Array.isArray(problems)) for (const p of problems) logger.error({ error: String(p) }, "opnsense preflight failed");
      logger.error({ trigger, result: "error", errorKind: kind, error: message, durationMs: Math.round(performance.now() - started) }, "sync failed");
      return finish({ trigger, result: "error", desired, plan, applied, error: message });
    } finally {
      endTimer();
    }
  }

  /**
   * Session status of the agent's neighbors from the summary read with the snapshot: metrics,
   * /status, log lines and Events on a change; for a session down past SESSION_DOWN_WARN, the
   * causes the agent can see (one extra read, of the update-source network, only then).
   */
  async function followSessions(snapshot: RouterSnapshot, want: DesiredState): Promise<{ counts: SessionObservation["counts"]; events: NodeEvent[] }> {
    const read = snapshot.bgpSessions;
    const now = Date.now();
    if (!read.ok) {
      if (!sessionsUnavailable)
        logger.warn(
          { privilege: read.privilege ?? undefined, error: read.reason },
          read.privilege
            ? `BGP session status unavailable: the API user lacks the privilege ${read.privilege}; passes go on without session data`
            : "BGP session status unavailable; passes go on without session data",
        );
      sessionsUnavailable = true;
    } else if (sessionsUnavailable) {
      logger.info({}, "BGP session status readable again");
      sessionsUnavailable = false;
    }
    const nodeByKey = new Map(want.neighbors.map((n) => [n.key, n.node]));
    const { unique } = ownedNeighborsByKey(snapshot.neighbors, makeOwner(config.ownerId, "", []));
    const owned = [...unique].filter(([, n]) => n.enabled).map(([key, n]) => ({ node: nodeByKey.get(key) ?? nodeOfKey(key), address: n.address, remoteAs: n.remoteAs }));
    const obs = observeSessions(sessionMemory, owned, read, now, config.sessionDownWarnMs);
    sessionMemory = obs.memory;
    publishSessions(obs, read.ok ? null : read.reason, now);
    const events = [...obs.events];
    for (const e of obs.events) {
      const s = obs.sessions?.find((x) => x.node === e.node);
      if (e.reason === "BGPSessionEstablished") logger.info({ node: e.node, address: s?.address, prefixes: s?.prefixesReceived }, "BGP session established");
      else logger.warn({ node: e.node, address: s?.address, state: s?.state }, "BGP session down");
    }
    for (const d of obs.downTooLong) {
      const causes = await causesOf(d, snapshot, want);
      logger.warn({ node: d.node, address: d.address, state: d.state, downForMs: d.downForMs, causes }, "BGP session down too long");
      events.push({
        node: d.node,
        type: "Warning",
        reason: "BGPSessionDownTooLong",
        message: `OPNsense's BGP session with ${d.address} has been down for ${Math.round(d.downForMs / 1000)}s (state ${d.state}); likely: ${causes.join("; ")}`,
      });
    }
    if (sessionTimer) clearTimeout(sessionTimer);
    sessionTimer = null;
    if (obs.nextWarnAt !== null && !stopped) {
      sessionTimer = setTimeout(() => {
        sessionTimer = null;
        schedule("BGP session down check", false, 0);
      }, obs.nextWarnAt - now + 10);
    }
    return { counts: obs.counts, events };
  }

  function publishSessions(obs: SessionObservation, unavailable: string | null, now: number): void {
    metrics.sessionsKnown.set(obs.sessions ? 1 : 0);
    const current = new Set((obs.sessions ?? []).map((s) => s.node));
    // Stale per-node numbers are worse than none: an alert on them would describe the past.
    for (const node of sessionSeries) {
      if (current.has(node)) continue;
      metrics.sessionUp.remove({ node });
      metrics.prefixesReceived.remove({ node });
      metrics.prefixesAccepted.remove({ node });
    }
    sessionSeries = current;
    for (const s of obs.sessions ?? []) {
      metrics.sessionUp.set({ node: s.node }, s.established ? 1 : 0);
      metrics.prefixesReceived.set({ node: s.node }, s.prefixesReceived);
      metrics.prefixesAccepted.set({ node: s.node }, s.prefixesAccepted);
    }
    sessionView = obs.sessions
      ? {
          observedAt: new Date(now).toISOString(),
          sessions: "known",
          nodes: obs.sessions.map((s) => ({
            node: s.node,
            address: s.address,
            remoteAs: s.remoteAs,
            state: s.state,
            uptimeSeconds: Math.floor(s.uptimeMs / 1000),
            prefixesReceived: s.prefixesReceived,
            prefixesAccepted: s.prefixesAccepted,
            lastChange: new Date(s.lastChangeAt).toISOString(),
          })),
        }
      : { observedAt: new Date(now).toISOString(), sessions: "unknown", reason: unavailable ?? "not read", nodes: [] };
  }

  /** This pass's Cilium mismatches: a session that stays down is most often one of them. */
  let passMismatches: readonly Mismatch[] = [];

  async function causesOf(d: DownTooLong, snapshot: RouterSnapshot, want: DesiredState): Promise<string[]> {
    const ruleDescription = want.rules.find((r) => r.key === BGP_RULE_KEY)?.spec.description;
    const table = snapshot.aliasTablesRunning?.get(nodeAliasName(config.ownerId));
    const us = config.bgp.updateSource;
    let networks: string[] | null = null;
    if (us) {
      try {
        networks = await router.readPfTable(`__${us}_network`);
      } catch (err) {
        logger.debug({ table: `__${us}_network`, error: errorMessage(err) }, "could not read the update-source network");
      }
    }
    return downCauses({
      address: d.address,
      state: d.state,
      firewallSuspended: suspension.current !== null,
      bgpRulePresent: snapshot.rules.some((r) => r.enabled && r.description === ruleDescription),
      addressInNodeTable: table ? table.includes(d.address) : null,
      updateSource: us ? { interface: us, networks } : null,
      configMismatches: passMismatches.filter((m) => m.node === d.node && SESSION_BLOCKING.has(m.kind)).map(mismatchMessage),
    });
  }

  /** What the desired state needs from the router, and the removal-grace clock. */
  function routerFacts(neighbors: readonly Neighbor[], nodeNames: readonly string[], clusterClaim: string | null): RouterFacts {
    const { unique, duplicated } = ownedNeighborsByKey(neighbors, makeOwner(config.ownerId, "", []));
    const present = new Set(nodeNames.map((n) => neighborKey(config.ownerId, n)));
    const { inGrace, nextExpiryMs } = grace.observe([...unique.keys(), ...duplicated.keys()], present, Date.now());
    if (graceTimer) clearTimeout(graceTimer);
    graceTimer = null;
    if (nextExpiryMs !== null && !stopped) {
      graceTimer = setTimeout(() => {
        graceTimer = null;
        schedule("removal grace ended", false, 0);
      }, nextExpiryMs + 10);
    }
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
      failures = 0;
      if (report.result === "success") {
        lastSuccessAt = Date.now();
        metrics.lastSuccess.set(lastSuccessAt / 1000);
      }
    } else if (retryable && !stopped) {
      const delay = Math.min(backoffInitial * 2 ** failures, backoffMax);
      failures++;
      logger.info({ retryInMs: delay, consecutiveFailures: failures }, "retrying after failure");
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = setTimeout(() => {
        retryTimer = null;
        schedule("retry", false, 0);
      }, delay);
    }
    opts.onPass?.(report);
    return report;
  }

  function updateManaged(desired: DesiredState): void {
    metrics.managedObjects.set({ kind: "neighbor" }, desired.neighbors.length);
    metrics.managedObjects.set({ kind: "alias" }, desired.aliases.length);
    metrics.managedObjects.set({ kind: "rule" }, desired.rules.length);
  }

  return {
    start() {
      stopped = false;
      resyncTimer = setInterval(() => schedule("resync", true, 0), config.syncIntervalMs);
      schedule("startup", false, 0);
    },
    trigger(reason) {
      schedule(reason, false, config.debounceMs);
    },
    async runNow(reason, o) {
      if (running) await running;
      return runPass(reason, o?.fresh ?? false);
    },
    async stop() {
      stopped = true;
      for (const t of [debounceTimer, retryTimer, graceTimer, sessionTimer]) if (t) clearTimeout(t);
      if (resyncTimer) clearInterval(resyncTimer);
      debounceTimer = retryTimer = resyncTimer = null;
      queued = null;
      if (running) await running;
    },
    async idle() {
      while (running || queued || debounceTimer) {
        if (running) await running;
        else await new Promise((r) => setTimeout(r, 10));
      }
    },
    status: () => sessionView,
    live() {
      const since = lastAttemptAt ?? startedAt;
      const limit = 3 * config.syncIntervalMs + 60_000;
      const age = Date.now() - since;
      return age <= limit
        ? { ok: true, detail: lastAttemptAt ? `last pass attempted ${Math.round(age / 1000)}s ago` : "starting" }
        : { ok: false, detail: `no pass attempted for ${Math.round(age / 1000)}s (limit ${Math.round(limit / 1000)}s): the loop is stuck` };
    },
    ready() {
      if (!isLeader()) return { ok: true, detail: "standby: another replica holds the leader lease" };
      const s = suspension.current;
      if (s)
        return {
          ok: false,
          detail: `firewall changes suspended${s.since ? ` since ${s.since}` : ""} after a lockout undo (${s.reason}${s.rules.length ? `; rules: ${s.rules.join(", ")}` : ""}); fix the rule settings, then ${store ? `clear it: ${store.clearCommand}` : "restart the agent"}`,
        };
      if (blocked !== null) return { ok: false, detail: blocked };
      if (lastSuccessAt === null) return { ok: false, detail: lastError ? `no successful sync yet: ${lastError}` : "no successful sync yet" };
      if (!routerHealthy) return { ok: false, detail: `OPNsense not usable: ${lastError ?? "unknown error"}` };
      return { ok: true, detail: `last successful sync ${Math.round((Date.now() - lastSuccessAt) / 1000)}s ago` };
    },
  };
}
