/**
 * REMOVAL_GRACE bookkeeping: when did each owned neighbor's node go missing from the cluster
 * view. A node that flaps its label inside the grace never loses its neighbor, so a flapping
 * kubelet writes nothing (each OPNsense write is a config backup, and on OPNsense ≤ 25.1.2 each
 * FRR apply restarts every session). After a restart the clock starts again: the agent cannot
 * know how long a node has been gone, so it waits the full grace.
 */
export type GraceTracker = {
  /**
   * Record this pass's view; returns the owned keys still inside their grace and when the
   * earliest of them runs out (ms from `now`), so the caller can schedule a pass then.
   */
  observe(ownedKeys: Iterable<string>, presentKeys: ReadonlySet<string>, now: number): { readonly inGrace: ReadonlySet<string>; readonly nextExpiryMs: number | null };
};

export function createGraceTracker(graceMs: number): GraceTracker {
  const missingSince = new Map<string, number>();
  return {
    observe(ownedKeys, presentKeys, now) {
      const owned = new Set(ownedKeys);
      for (const key of [...missingSince.keys()]) if (presentKeys.has(key) || !owned.has(key)) missingSince.delete(key);
      const inGrace = new Set<string>();
      let nextExpiryMs: number | null = null;
      for (const key of owned) {
        if (presentKeys.has(key)) continue;
        const since = missingSince.get(key) ?? now;
        missingSince.set(key, since);
        const left = since + graceMs - now;
        if (left > 0) {
          inGrace.add(key);
          nextExpiryMs = nextExpiryMs === null ? left : Math.min(nextExpiryMs, left);
        }
      }
      return { inGrace, nextExpiryMs };
    },
  };
}
