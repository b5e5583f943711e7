import type { Logger } from "pino";
import { collectAndShrink } from "./gc.ts";

export type MemoryReleaserOptions = {
  readonly logger: Logger;
  /** Collect when RSS grew by at least this much since the last collection. */
  readonly growthBytes?: number;
  /** Seams for tests. */
  readonly rss?: () => number;
  readonly collect?: () => void;
};

export type MemoryReleaser = {
  /** Call when a pass has ended (and its data is unreachable): collects if the pass grew RSS a lot. */
  afterPass(): void;
};

/**
 * 16 MB: a steady pass with a few nodes grows RSS by far less and is left alone, so an idle agent
 * does not pay a full GC every resync; a pass that read thousands of neighbors grows it by far
 * more.
 */
const DEFAULT_GROWTH = 16 * 1024 * 1024;

/**
 * Gives memory back after a pass that allocated much. Growth is measured in RSS, the figure the
 * container's limit applies to; the baseline is RSS right after the last collection, so the
 * first pass after start (which also loaded the code) collects once.
 */
export function createMemoryReleaser(opts: MemoryReleaserOptions): MemoryReleaser {
  const rss = opts.rss ?? (() => process.memoryUsage.rss());
  const collect = opts.collect ?? collectAndShrink;
  const growth = opts.growthBytes ?? DEFAULT_GROWTH;
  let baseline = 0;
  return {
    afterPass() {
      const before = rss();
      if (before - baseline < growth) return;
      const started = performance.now();
      collect();
      baseline = rss();
      const mb = (n: number) => Math.round(n / 1e5) / 10;
      opts.logger.debug({ rssBeforeMb: mb(before), rssAfterMb: mb(baseline), ms: Math.round(performance.now() - started) }, "memory returned to the OS after a large pass");
    },
  };
}
