/**
 * When passes run, and nothing else: debounced triggers, one pass at a time, the periodic resync
 * (a fresh LIST, independent of the watches), MIN_APPLY_INTERVAL between applying passes, retries
 * with backoff, and named one-shot wake-ups (removal grace, session checks). The timing decisions
 * are pure functions in schedule.ts; the pass itself is the caller's.
 */
import type { Logger } from "pino";
import type { Metrics } from "../server/metrics.ts";
import { addRateLimit, addTrigger, gateDelay, passStartDelay, type ApplyGate, type QueuedPass } from "./schedule.ts";

export type RunPass<R> = (trigger: string, fresh: boolean, queued?: QueuedPass) => Promise<R>;

export type Scheduler<R> = {
  /** Start the periodic resync and the start-up pass. */
  start(): void;
  /** Ask for a pass after `delayMs` (joins one already asked for). */
  schedule(reason: string, fresh: boolean, delayMs: number): void;
  /** Run a pass now (after the running one), bypassing debounce and the apply gate. */
  runNow(reason: string, fresh: boolean): Promise<R>;
  /** A named one-shot wake-up; a later call with the same name replaces it, null cancels it. */
  wakeUp(name: string, delayMs: number | null): void;
  /** The pass applied something (FRR reconfigure or firewall apply): the gate starts now. */
  applied(): void;
  /** The pass went well: the next failure starts the backoff from the beginning. */
  succeeded(): void;
  /** The pass failed in a way worth retrying: schedule a retry with growing delay. */
  failed(): void;
  stop(): Promise<void>;
  /** Resolves when no pass is running or queued. */
  idle(): Promise<void>;
};

export function createScheduler<R>(opts: {
  readonly debounceMs: number;
  readonly syncIntervalMs: number;
  readonly minApplyIntervalMs: number;
  readonly backoff: { readonly initial: number; readonly max: number };
  readonly logger: Logger;
  readonly metrics: Pick<Metrics, "rateLimited" | "rateLimitedSeconds">;
  readonly run: RunPass<R>;
}): Scheduler<R> {
  const { logger, metrics } = opts;
  let running: Promise<R> | null = null;
  let queued: QueuedPass | null = null;
  let debounceTimer: NodeJS.Timeout | null = null;
  let resyncTimer: NodeJS.Timeout | null = null;
  const wakeUps = new Map<string, NodeJS.Timeout>();
  let stopped = false;
  let failures = 0;
  /** End of the last pass that reconfigured FRR or applied the firewall (MIN_APPLY_INTERVAL). */
  let lastApplyAt: number | null = null;
  const gate = (): ApplyGate => ({ lastApplyAt, minApplyIntervalMs: opts.minApplyIntervalMs });

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
        { trigger: [...queued.reasons].join(", "), deferMs: rateLimitedMs, minApplyIntervalMs: opts.minApplyIntervalMs, lastApplyAgoMs: lastApplyAt === null ? null : now - lastApplyAt },
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
    await runOne([...q.reasons].join(", "), q.fresh, q);
  }

  function runOne(trigger: string, fresh: boolean, q?: QueuedPass): Promise<R> {
    const p = opts.run(trigger, fresh, q).finally(() => {
      running = null;
      // Changes that arrived during the pass were queued (their debounce already ran out while
      // this pass held the single slot): run them as soon as the apply gate allows.
      if (queued && !debounceTimer) arm(0);
    });
    running = p;
    return p;
  }

  function wakeUp(name: string, delayMs: number | null): void {
    const old = wakeUps.get(name);
    if (old) clearTimeout(old);
    wakeUps.delete(name);
    if (delayMs === null || stopped) return;
    wakeUps.set(
      name,
      setTimeout(() => {
        wakeUps.delete(name);
        schedule(name, false, 0);
      }, delayMs),
    );
  }

  return {
    start() {
      stopped = false;
      resyncTimer = setInterval(() => schedule("resync", true, 0), opts.syncIntervalMs);
      schedule("startup", false, 0);
    },
    schedule,
    async runNow(reason, fresh) {
      if (running) await running;
      return runOne(reason, fresh);
    },
    wakeUp,
    applied() {
      lastApplyAt = Date.now();
    },
    succeeded() {
      failures = 0;
    },
    failed() {
      if (stopped) return;
      const delay = Math.min(opts.backoff.initial * 2 ** failures, opts.backoff.max);
      failures++;
      logger.info({ retryInMs: delay, consecutiveFailures: failures }, "retrying after failure");
      wakeUp("retry", delay);
    },
    async stop() {
      stopped = true;
      if (debounceTimer) clearTimeout(debounceTimer);
      for (const t of wakeUps.values()) clearTimeout(t);
      wakeUps.clear();
      if (resyncTimer) clearInterval(resyncTimer);
      debounceTimer = resyncTimer = null;
      queued = null;
      if (running) await running;
    },
    async idle() {
      while (running || queued || debounceTimer) {
        if (running) await running;
        else await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}
