/**
 * When the next pass may start (MIN_APPLY_INTERVAL). Pure: the controller passes the clock in.
 *
 * Why gate whole passes rather than the applies inside them: a pass that wrote but was not
 * allowed to apply would leave saved-but-unapplied changes (and a config backup per write) for
 * every flap. Holding the pass back instead collects every change that arrives meanwhile, and the
 * one pass that then runs writes and applies them together.
 */

export type ApplyGate = {
  /** When the last pass that reconfigured FRR or applied the firewall ended; null = none yet. */
  readonly lastApplyAt: number | null;
  readonly minApplyIntervalMs: number;
};

/** How long from `now` until a pass may start without breaking the interval (0 = now). */
export function gateDelay(now: number, gate: ApplyGate): number {
  if (gate.lastApplyAt === null || gate.minApplyIntervalMs <= 0) return 0;
  return Math.max(0, gate.lastApplyAt + gate.minApplyIntervalMs - now);
}

/**
 * The timer for a pass asked to start `requestedDelayMs` from now (debounce, 0 for resync/retry):
 * the later of that and the gate. `rateLimitedMs` is the part only the gate caused, for the
 * summary line and metrics.
 */
export function passStartDelay(now: number, requestedDelayMs: number, gate: ApplyGate): { delayMs: number; rateLimitedMs: number } {
  const delayMs = Math.max(requestedDelayMs, gateDelay(now, gate));
  return { delayMs, rateLimitedMs: delayMs - requestedDelayMs };
}

/** A pass counts for the interval only when it made FRR or pf reload; reads and writes alone do not restart anything. */
export function appliedSomething(a: { readonly frrReconfigured: boolean; readonly aliasesReloaded: boolean; readonly filterApplied: boolean } | null): boolean {
  return a !== null && (a.frrReconfigured || a.aliasesReloaded || a.filterApplied);
}

/** Triggers collected for the next pass, with what the rate limit did to them. */
export type QueuedPass = {
  readonly reasons: ReadonlySet<string>;
  /** Any trigger wanted a fresh LIST (the periodic resync). */
  readonly fresh: boolean;
  /** Total delay the gate added to this pass. */
  readonly rateLimitedMs: number;
  /** Triggers that arrived while the gate was closed (changes collected instead of applied one by one). */
  readonly heldBack: number;
};

export function addTrigger(q: QueuedPass | null, reason: string, fresh: boolean, gateClosed: boolean): QueuedPass {
  const base: QueuedPass = q ?? { reasons: new Set(), fresh: false, rateLimitedMs: 0, heldBack: 0 };
  return { ...base, reasons: new Set([...base.reasons, reason]), fresh: base.fresh || fresh, heldBack: base.heldBack + (gateClosed ? 1 : 0) };
}

export function addRateLimit(q: QueuedPass, ms: number): QueuedPass {
  return ms > 0 ? { ...q, rateLimitedMs: q.rateLimitedMs + ms } : q;
}
