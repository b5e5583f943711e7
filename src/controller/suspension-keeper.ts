/**
 * The firewall suspension across passes and restarts: follows the Lease annotation (loaded after
 * a restart, cleared by the operator) and records a new suspension there. The decisions are in
 * suspension.ts (pure); this keeps the state, the metric and the log lines.
 */
import type { Logger } from "pino";
import { errorMessage } from "../apply/errors.ts";
import type { Metrics } from "../server/metrics.ts";
import type { SuspensionStore } from "./ports.ts";
import { NOT_SUSPENDED, encodeSuspension, reconcileSuspension, suspend, type Suspension, type SuspensionState } from "./suspension.ts";

export type SuspensionKeeper = {
  /** The suspension in force, or null. */
  current(): Suspension | null;
  /** Follow the store before a pass. */
  refresh(): Promise<void>;
  /** A lockout undo happened: suspend firewall changes and record it. */
  suspendNow(detail: string, rules: readonly string[]): Promise<void>;
  /** What to do to clear it, for logs and /readyz. */
  readonly clearHint: string;
};

export function createSuspensionKeeper(opts: { readonly store: SuspensionStore | null; readonly logger: Logger; readonly metrics: Metrics }): SuspensionKeeper {
  const { store, logger, metrics } = opts;
  let state: SuspensionState = NOT_SUSPENDED;

  function set(next: SuspensionState): void {
    state = next;
    metrics.firewallSuspended.set(next.current ? 1 : 0);
  }

  async function persist(): Promise<void> {
    const s = state.current;
    if (!s) return;
    if (!store) {
      logger.warn({ suspendedSince: s.since, rules: s.rules }, "firewall suspension is kept in memory only (no Lease: LEADER_ELECTION=false); it will not survive a restart, which would repeat the change");
      return;
    }
    try {
      await store.write(encodeSuspension(s));
      state = { current: s, persisted: true };
      logger.info({ where: store.location, suspendedSince: s.since, rules: s.rules, clear: store.clearCommand }, "firewall suspension recorded; it survives restarts until the annotation is removed");
    } catch (err) {
      logger.error({ where: store.location, error: errorMessage(err) }, "could not record the firewall suspension; retrying on the next pass");
    }
  }

  return {
    current: () => state.current,
    clearHint: store ? `clear it: ${store.clearCommand}` : "restart the agent",
    async refresh() {
      if (!store) return;
      let stored: string | null;
      try {
        stored = await store.read();
      } catch (err) {
        logger.warn({ where: store.location, error: errorMessage(err) }, "could not read the firewall suspension; keeping the current state");
        return;
      }
      const { state: next, change } = reconcileSuspension(state, stored);
      set(next);
      const s = next.current;
      if (change === "loaded" && s)
        logger.warn({ where: store.location, suspendedSince: s.since, reason: s.reason, rules: s.rules, clear: store.clearCommand }, "firewall changes are suspended by an earlier lockout undo; no firewall writes until the annotation is removed");
      if (change === "cleared") logger.info({ where: store.location }, "firewall suspension cleared by the operator; resuming firewall changes");
      if (change === "persist") await persist();
    },
    async suspendNow(detail, rules) {
      set(suspend(new Date(), detail, rules));
      await persist();
    },
  };
}
