import type { Logger } from "pino";
import type { RouterSnapshot, RuleSpec } from "../domain/types.ts";
import type { ApplyMode, FirewallAction, Operation, Plan } from "../plan/types.ts";
import { errorKind, errorMessage, isFatal, type ErrorKind } from "./errors.ts";
import type { RouterWriter } from "./ports.ts";
import { describeOperation, keyOf, objectKindOf, type ObjectKind } from "./describe.ts";

export type ObjectCounts = { created: number; updated: number; deleted: number; adopted: number; released: number };

/** `target` names what failed, e.g. `create-neighbor node=worker-1` or `frr reconfigure`. */
export type Failure = { readonly target: string; readonly error: string; readonly kind: ErrorKind; readonly operation?: Operation };

/** `rules`: keys of the rule changes of the pass that cut the API off (the ones undone). */
export type LockoutReport = { readonly undone: boolean; readonly detail: string; readonly rules: readonly string[] };

export type { FirewallAction } from "../plan/types.ts";

export type ApplyResult = {
  readonly counts: Readonly<Record<ObjectKind, ObjectCounts>>;
  /** The operations that succeeded, in order. */
  readonly written: readonly Operation[];
  readonly failures: readonly Failure[];
  readonly frrReconfigured: boolean;
  readonly aliasesReloaded: boolean;
  readonly filterApplied: boolean;
  /** Set when the API stopped answering after a firewall apply. */
  readonly lockout: LockoutReport | null;
  /** FRR needed a reconfigure this pass that did not happen: the next pass must do it. */
  readonly frrPending: boolean;
  /** A firewall action this pass needed but did not complete: the next pass must do it. */
  readonly firewallPending: FirewallAction | null;
  /** A fatal error (401/403/unreachable) that stopped the pass early. */
  readonly aborted: string | null;
  readonly dryRun: boolean;
};

export type ApplyOptions = {
  readonly writer: RouterWriter;
  /** What the pass read; its `capabilities` are the session's (decide savepoints). */
  readonly snapshot: RouterSnapshot;
  readonly logger: Logger;
  readonly dryRun: boolean;
  /** Name of the agent's category (rules and aliases carry it as their ownership mark). */
  readonly categoryName: string;
  /** Skip every firewall write and apply (set after a lockout undo until restart). */
  readonly firewallSuspended: boolean;
  /** How long the reachability check after a firewall apply may take, and how long undo keeps trying. */
  readonly reachability?: { readonly checkTimeoutMs: number; readonly attempts: number; readonly intervalMs: number; readonly undoDeadlineMs: number };
  readonly onWrite?: (op: Operation) => void;
  readonly onApply?: (subsystem: "frr" | "aliases" | "filter") => void;
};

const DEFAULT_REACHABILITY = { checkTimeoutMs: 5000, attempts: 3, intervalMs: 2000, undoDeadlineMs: 60_000 };

function emptyCounts(): Record<ObjectKind, ObjectCounts> {
  const c = (): ObjectCounts => ({ created: 0, updated: 0, deleted: 0, adopted: 0, released: 0 });
  return { neighbor: c(), prefix: c(), alias: c(), rule: c(), category: c() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Execute a plan: writes in the planner's order, then at most one FRR reconfigure and one
 * firewall apply (alias reconfigure, which also reloads rules, or filter apply), then check the
 * API still answers and undo this pass's rule changes if it does not.
 *
 * A failed write is reported and the rest go on (skip only what is broken); a fatal error
 * (credentials, privilege, unreachable) stops the pass because every further call would fail too.
 */
export async function applyPlan(plan: Plan, opts: ApplyOptions): Promise<ApplyResult> {
  const { writer, logger } = opts;
  const counts = emptyCounts();
  const failures: Failure[] = [];
  const done: { op: Operation; uuid: string }[] = [];
  let aborted: string | null = null;

  const operations = plan.operations.filter((op) => {
    if (!opts.firewallSuspended) return true;
    const kind = objectKindOf(op);
    return kind === "neighbor" || kind === "prefix";
  });

  if (opts.dryRun) {
    for (const op of operations) logger.info({ dryRun: true, ...describeOperation(op) }, "dry run: would write");
    const { frr, firewall } = plan.actions;
    if (frr !== null) logger.info({ dryRun: true }, "dry run: would reconfigure FRR");
    if (!opts.firewallSuspended && firewall !== null)
      logger.info({ dryRun: true }, firewall.action === "aliases" ? "dry run: would reload aliases" : "dry run: would apply filter rules");
    // Nothing was applied: what had to be applied regardless of writes still has to be.
    const firewallPending = !opts.firewallSuspended && firewall?.mode === "always" ? firewall.action : null;
    return { counts, written: [], failures, frrReconfigured: false, aliasesReloaded: false, filterApplied: false, lockout: null, frrPending: frr === "always", firewallPending, aborted: null, dryRun: true };
  }

  let categoryUuid = opts.snapshot.categories.find((c) => c.name === opts.categoryName)?.uuid ?? null;
  const peerGroups = opts.snapshot.peerGroups;
  // Best-effort server-side safety net where it still works (24.1–25.1; the plan decides): a
  // savepoint before rule writes lets OPNsense itself roll the rules back if we lose access.
  let revision: string | null = null;
  if (plan.actions.savepoint && !opts.firewallSuspended) {
    try {
      revision = await writer.savepoint();
    } catch (err) {
      logger.warn({ error: errorMessage(err) }, "filter savepoint failed; continuing without server-side rollback");
    }
  }

  for (const op of operations) {
    if (aborted) break;
    const needsCategory = op.kind.endsWith("-alias") || op.kind.endsWith("-rule");
    if (needsCategory && categoryUuid === null) {
      failures.push({ target: targetOf(op), error: "the agent's category does not exist and could not be created", kind: "dependency", operation: op });
      continue;
    }
    try {
      const uuid = await execute(op, writer, peerGroups, categoryUuid ?? "");
      if (op.kind === "create-category") categoryUuid = uuid;
      done.push({ op, uuid });
      count(counts, op);
      opts.onWrite?.(op);
      logger.info({ ...describeOperation(op), uuid }, "opnsense object written");
    } catch (err) {
      const kind = errorKind(err);
      failures.push({ target: targetOf(op), error: errorMessage(err), kind, operation: op });
      logger.error({ ...describeOperation(op), errorKind: kind, error: errorMessage(err) }, "opnsense write failed");
      if (isFatal(err)) aborted = errorMessage(err);
    }
  }

  const wrote = (kind: ObjectKind) => done.some((d) => objectKindOf(d.op) === kind);
  let frrReconfigured = false;
  let aliasesReloaded = false;
  let filterApplied = false;
  let lockout: LockoutReport | null = null;

  // The plan decided the applies; "if-written" ones wait for a write of this pass to succeed.
  const due = (mode: ApplyMode | null, written: boolean): boolean => mode === "always" || (mode === "if-written" && written);
  const { frr: frrMode, firewall } = plan.actions;
  const needFrr = due(frrMode, wrote("neighbor") || wrote("prefix"));
  if (!aborted && needFrr) {
    try {
      await writer.reconfigureFrr();
      frrReconfigured = true;
      opts.onApply?.("frr");
      logger.info({ reasons: plan.pendingReasons.length ? plan.pendingReasons : undefined }, "FRR reconfigured");
      await checkFrrRunning(writer, logger);
    } catch (err) {
      failures.push({ target: "frr reconfigure", error: `FRR reconfigure failed: ${errorMessage(err)}`, kind: errorKind(err) });
      logger.error({ error: errorMessage(err) }, "FRR reconfigure failed; the saved neighbors will be applied on the next pass");
      if (isFatal(err)) aborted = errorMessage(err);
    }
  }

  const needFirewall = firewall !== null && due(firewall.mode, wrote("alias") || wrote("rule"));
  if (!aborted && !opts.firewallSuspended && needFirewall) {
    try {
      if (firewall.action === "aliases") {
        await writer.reloadAliases();
        aliasesReloaded = true;
        opts.onApply?.("aliases");
      } else {
        await writer.applyFilter(revision ?? undefined);
        filterApplied = true;
        opts.onApply?.("filter");
      }
      logger.info({ aliasesReloaded, filterApplied }, aliasesReloaded ? "aliases reloaded (rules reloaded too)" : "filter rules applied");
      lockout = await verifyReachable(opts, done, revision);
    } catch (err) {
      logger.error({ error: errorMessage(err) }, "firewall apply failed; the saved rules and aliases will be applied on the next pass");
      failures.push({ target: "firewall apply", error: `firewall apply failed: ${errorMessage(err)}`, kind: errorKind(err) });
      if (isFatal(err)) aborted = errorMessage(err);
    }
  }

  const needed: FirewallAction | null = opts.firewallSuspended || !needFirewall ? null : firewall.action;
  const firewallPending = needed !== null && !aliasesReloaded && !filterApplied ? needed : null;
  const frrPending = needFrr && !frrReconfigured;
  return { counts, written: done.map((d) => d.op), failures, frrReconfigured, aliasesReloaded, filterApplied, lockout, frrPending, firewallPending, aborted, dryRun: false };
}

/**
 * `reconfigure` answers "ok" even when FRR did not come up (a daemon failed to start, or configd
 * timed out); the service status says so. Reported, not failed: the saved config is right and the
 * next reconfigure retries it.
 */
async function checkFrrRunning(writer: RouterWriter, logger: Logger): Promise<void> {
  try {
    const status = await writer.frrStatus();
    if (status !== "running") logger.warn({ frrStatus: status }, "FRR is not running after the reconfigure; check Routing ▸ General and the FRR log on OPNsense");
  } catch (err) {
    logger.warn({ error: errorMessage(err) }, "could not read the FRR service status after the reconfigure");
  }
}

function targetOf(op: Operation): string {
  const setting = describeOperation(op)["setting"];
  return `${op.kind} ${keyOf(op)}${typeof setting === "string" ? ` (${setting})` : ""}`;
}

async function execute(
  op: Operation,
  writer: RouterWriter,
  peerGroups: RouterSnapshot["peerGroups"],
  categoryUuid: string,
): Promise<string> {
  switch (op.kind) {
    case "create-category":
      return writer.createCategory(op.name);
    case "create-neighbor":
      return writer.createNeighbor(op.spec, peerGroups);
    case "update-neighbor":
    case "release-neighbor":
      await writer.updateNeighbor(op.uuid, op.spec, peerGroups);
      return op.uuid;
    case "delete-neighbor":
      await writer.deleteNeighbor(op.uuid);
      return op.uuid;
    case "create-prefix":
      if (op.uuid === null) return writer.createPrefixRow(op.spec);
      await writer.putPrefixRow(op.uuid, op.spec);
      return op.uuid;
    case "update-prefix":
      await writer.putPrefixRow(op.uuid, op.spec);
      return op.uuid;
    case "delete-prefix":
      await writer.deletePrefixRow(op.uuid);
      return op.uuid;
    case "create-alias":
      return writer.createAlias(op.spec, categoryUuid);
    case "update-alias":
      await writer.updateAlias(op.uuid, op.spec, categoryUuid);
      return op.uuid;
    case "delete-alias":
      await writer.deleteAlias(op.uuid);
      return op.uuid;
    case "create-rule":
      return writer.createRule(op.spec, categoryUuid);
    case "update-rule":
      await writer.updateRule(op.uuid, op.spec, categoryUuid);
      return op.uuid;
    case "delete-rule":
      await writer.deleteRule(op.uuid);
      return op.uuid;
  }
}

function count(counts: Record<ObjectKind, ObjectCounts>, op: Operation): void {
  const c = counts[objectKindOf(op)];
  if (op.kind.startsWith("create-")) c.created++;
  else if (op.kind.startsWith("delete-")) c.deleted++;
  else if (op.kind === "update-neighbor" && op.adopt) c.adopted++;
  else if (op.kind === "release-neighbor") c.released++;
  else c.updated++;
}

/**
 * OPNsense has no working server-side rollback on 25.7+, so after reloading pf we check that the
 * API still answers. If it does not, undo this pass's rule changes (the only thing we changed that
 * can block traffic) and apply again, retrying while the API comes and goes.
 */
async function verifyReachable(opts: ApplyOptions, done: readonly { op: Operation; uuid: string }[], revision: string | null): Promise<LockoutReport | null> {
  const r = opts.reachability ?? DEFAULT_REACHABILITY;
  const { writer, logger } = opts;
  const ruleChanges = done.flatMap((d) => (d.op.kind.endsWith("-rule") ? [{ ...d, key: keyOf(d.op) }] : []));
  // Only alias contents (which only widen the agent's own pass rules) or nothing of ours changed:
  // a lost API would not be ours to undo, so no request is spent on asking (the next pass will see).
  if (ruleChanges.length === 0 && revision === null) return null;
  for (let attempt = 1; attempt <= r.attempts; attempt++) {
    if (await writer.checkReachable(r.checkTimeoutMs)) {
      if (revision) {
        try {
          await writer.cancelRollback(revision);
        } catch (err) {
          logger.warn({ revision, error: errorMessage(err) }, "could not cancel the filter rollback timer");
        }
      }
      return null;
    }
    if (attempt < r.attempts) await sleep(r.intervalMs);
  }
  if (ruleChanges.length === 0) {
    // Only alias contents changed; those only widen the agent's own pass rules, so they cannot be
    // what cut us off. Nothing of ours to undo.
    logger.error({}, "OPNsense API unreachable after a firewall apply that changed no agent rules; nothing to undo");
    return null;
  }
  logger.error(
    { rules: ruleChanges.map((d) => d.key), serverRollbackArmed: revision !== null },
    "OPNSENSE API UNREACHABLE AFTER FIREWALL APPLY: undoing the rule changes of this pass; firewall changes stay suspended until the agent restarts",
  );
  const deadline = Date.now() + r.undoDeadlineMs;
  const pending = [...ruleChanges].reverse();
  while (pending.length > 0 && Date.now() < deadline) {
    const next = pending[0];
    if (!next) break;
    try {
      await undo(next.op, next.uuid, opts);
      pending.shift();
    } catch (err) {
      logger.warn({ rule: next.key, error: errorMessage(err) }, "undo attempt failed; retrying");
      await sleep(r.intervalMs);
    }
  }
  let applied = false;
  while (pending.length === 0 && !applied && Date.now() < deadline) {
    try {
      await opts.writer.applyFilter();
      opts.onApply?.("filter");
      applied = true;
    } catch (err) {
      logger.warn({ error: errorMessage(err) }, "re-apply after undo failed; retrying");
      await sleep(r.intervalMs);
    }
  }
  const undone = pending.length === 0 && applied;
  const detail = undone
    ? `API unreachable after firewall apply; undid ${ruleChanges.length} rule change(s) and re-applied`
    : `API unreachable after firewall apply; undo incomplete (${pending.length} rule change(s) left)${revision ? "; OPNsense's own rollback timer is armed" : ""}`;
  logger.error({ undone, remaining: pending.length }, detail);
  return { undone, detail, rules: ruleChanges.map((d) => d.key) };
}

async function undo(op: Operation, uuid: string, opts: ApplyOptions): Promise<void> {
  const { writer, snapshot } = opts;
  if (op.kind === "create-rule") return writer.deleteRule(uuid);
  if (op.kind === "update-rule") {
    const before = snapshot.rules.find((r) => r.uuid === op.uuid);
    if (!before) return;
    const { uuid: _u, categories, ...spec } = before;
    const previous: RuleSpec = spec;
    return writer.updateRule(op.uuid, previous, categories[0] ?? "");
  }
  // A deleted pass rule cannot have cut off access; nothing to undo.
}
