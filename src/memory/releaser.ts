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
 * 4 MB: a pass with a few nodes grows RSS by far less and is left alone, so an idle agent does not
 * pay a full GC every resync. A steady pass with 5,000 nodes grows it by 10–20 MB, which 16 MB
 * (the first threshold) missed in most runs of `npm run bench`, leaving RSS above 110 MB; the
 * collection costs ~100 ms on such a pass of several seconds.
 */
const DEFAULT_GROWTH = 4 * 1024 * 1024;

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
