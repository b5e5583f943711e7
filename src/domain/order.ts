/**
 * Ordering of names (nodes, Services, Cilium resources, protocols) in views, lists and reports.
 *
 * Code-unit order, as `Array.prototype.sort()` without a comparator, not `localeCompare`: the
 * order only has to be stable, and the first `localeCompare` makes V8 load ICU's collation data
 * and build a collator, 3 MB of RSS for the life of the process (README: Footprint).
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
