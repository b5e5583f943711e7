/**
 * Firewall suspension after a lockout undo: what it records, how it is written into the Lease
 * annotation, and how the in-memory state follows the annotation. Pure; the controller does I/O.
 *
 * Why persist it: the suspension used to live in memory only, so a restart (or a new leader)
 * repeated the very rule change that had cut the agent off. The annotation keeps it until an
 * operator removes it, and removing it is also how they resume without a restart.
 */

export const SUSPENSION_ANNOTATION = "opnsense-bgp-agent/firewall-suspended";

export type Suspension = {
  /** ISO time the lockout undo happened. */
  readonly since: string;
  readonly reason: string;
  /** Keys of the rule changes that were undone (e.g. `bgp-tcp-179`). */
  readonly rules: readonly string[];
};

export function encodeSuspension(s: Suspension): string {
  return JSON.stringify({ since: s.since, reason: s.reason, rules: s.rules });
}

/** Any non-empty value suspends (an operator may set one by hand); JSON we wrote is read back field by field. */
export function decodeSuspension(raw: string): Suspension {
  try {
    const v: unknown = JSON.parse(raw);
    if (typeof v === "object" && v !== null) {
      const o = v as Record<string, unknown>;
      return {
        since: typeof o["since"] === "string" ? o["since"] : "",
        reason: typeof o["reason"] === "string" ? o["reason"] : raw,
        rules: Array.isArray(o["rules"]) ? o["rules"].map(String) : [],
      };
    }
  } catch {
    // Not ours: a hand-written reason.
  }
  return { since: "", reason: raw, rules: [] };
}

export type SuspensionState = {
  readonly current: Suspension | null;
  /** The annotation holds `current` (so its removal means the operator cleared it). */
  readonly persisted: boolean;
};

export const NOT_SUSPENDED: SuspensionState = { current: null, persisted: false };

/**
 * - `loaded`: suspended by the annotation (after a restart, or set by hand);
 * - `cleared`: the annotation we wrote is gone: the operator cleared it, resume;
 * - `persist`: suspended in memory but not recorded yet (an earlier write failed): write it.
 */
export type SuspensionChange = "loaded" | "cleared" | "persist" | null;

/** Follow the annotation as read now (`stored`: its value, null when absent). */
export function reconcileSuspension(state: SuspensionState, stored: string | null): { state: SuspensionState; change: SuspensionChange } {
  const present = stored !== null && stored.trim() !== "";
  if (state.current === null) {
    return present ? { state: { current: decodeSuspension(stored), persisted: true }, change: "loaded" } : { state, change: null };
  }
  if (present) return { state: { current: state.current, persisted: true }, change: null };
  if (state.persisted) return { state: NOT_SUSPENDED, change: "cleared" };
  return { state, change: "persist" };
}

/** A new suspension after a lockout undo; not recorded yet. */
export function suspend(now: Date, reason: string, rules: readonly string[]): SuspensionState {
  return { current: { since: now.toISOString(), reason, rules }, persisted: false };
}
