/**
 * What /healthz and /readyz answer, from what the passes report. The passes only tell it what
 * happened; the rules for "alive" and "ready" live here.
 */
import type { Suspension } from "./suspension.ts";

export type Verdict = { ok: boolean; detail: string };

export type Health = {
  /** A pass started. */
  attempted(): void;
  /** A pass completed fully. */
  succeeded(): void;
  /** OPNsense answered (true) or the pass found it unusable: fatal error, failed preflight (false). */
  router(usable: boolean): void;
  /** The last error, for /readyz. */
  failed(message: string): void;
  /** Why writes are held back or refused (deletion guard, another cluster's OWNER_ID); null clears it. */
  blocked(reason: string | null): void;
  live(syncIntervalMs: number): Verdict;
  ready(o: { readonly leader: boolean; readonly suspension: Suspension | null; readonly clearHint: string }): Verdict;
};

export function createHealth(): Health {
  const startedAt = Date.now();
  let lastAttemptAt: number | null = null;
  let lastSuccessAt: number | null = null;
  let routerUsable = false;
  let lastError: string | null = null;
  let blockedBy: string | null = null;
  return {
    attempted: () => void (lastAttemptAt = Date.now()),
    succeeded: () => void (lastSuccessAt = Date.now()),
    router: (usable) => void (routerUsable = usable),
    failed: (message) => void (lastError = message),
    blocked: (reason) => void (blockedBy = reason),
    live(syncIntervalMs) {
      const since = lastAttemptAt ?? startedAt;
      const limit = 3 * syncIntervalMs + 60_000;
      const age = Date.now() - since;
      return age <= limit
        ? { ok: true, detail: lastAttemptAt ? `last pass attempted ${Math.round(age / 1000)}s ago` : "starting" }
        : { ok: false, detail: `no pass attempted for ${Math.round(age / 1000)}s (limit ${Math.round(limit / 1000)}s): the loop is stuck` };
    },
    ready({ leader, suspension: s, clearHint }) {
      if (!leader) return { ok: true, detail: "standby: another replica holds the leader lease" };
      if (s)
        return {
          ok: false,
          detail: `firewall changes suspended${s.since ? ` since ${s.since}` : ""} after a lockout undo (${s.reason}${s.rules.length ? `; rules: ${s.rules.join(", ")}` : ""}); fix the rule settings, then ${clearHint}`,
        };
      if (blockedBy !== null) return { ok: false, detail: blockedBy };
      if (lastSuccessAt === null) return { ok: false, detail: lastError ? `no successful sync yet: ${lastError}` : "no successful sync yet" };
      if (!routerUsable) return { ok: false, detail: `OPNsense not usable: ${lastError ?? "unknown error"}` };
      return { ok: true, detail: `last successful sync ${Math.round((Date.now() - lastSuccessAt) / 1000)}s ago` };
    },
  };
}
