/** Durations as Go and Kubernetes users write them: `500ms`, `30s`, `5m`, `1h`, `1m30s`, `1.5s`. */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** Milliseconds (rounded), or null when `text` is not a duration. A bare `0` is accepted. */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  if (t === "0") return 0;
  if (!DURATION_RE.test(t)) return null;
  let total = 0;
  for (const m of t.matchAll(PART_RE)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ""] ?? Number.NaN);
  }
  return Number.isFinite(total) ? Math.round(total) : null;
}

/** `90000` → `1m30s`, for summaries. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  for (const [unit, size] of [["h", 3_600_000], ["m", 60_000], ["s", 1000], ["ms", 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
