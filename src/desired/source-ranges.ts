/**
 * A Service's `loadBalancerSourceRanges` against one LB_CLIENT_NETWORKS entry. The entry is the
 * router admin's grant; the ranges are written by whoever may edit the Service. So the ranges may
 * only narrow the entry's source, never replace it: the rule's source is the intersection.
 */
import { networkCovers, parseNetwork, type IpFamily, type ParsedNetwork } from "../domain/net.ts";

/** One rule source and the address family it pins the rule to (null: a name that serves both). */
export type RangeSource = { readonly source: string; readonly family: IpFamily | null };

export type NarrowedSources = {
  readonly sources: readonly RangeSource[];
  /**
   * `disjoint`: a literal source shares no address with any range, so the entry gives no rule.
   * `named-source`: the entry's source is a name (`lan`, an alias) whose addresses the agent
   * cannot see, so it cannot intersect; it keeps the entry's source (the admin's grant, never
   * wider) and the ranges are not applied.
   */
  readonly issue: "disjoint" | "named-source" | null;
};

/**
 * The addresses in both `a` and `b`, or null when they share none. Two CIDR blocks are either
 * nested or disjoint, so the intersection is the narrower one (as written, host bits kept).
 */
export function intersectNetworks(a: ParsedNetwork, b: ParsedNetwork): ParsedNetwork | null {
  if (networkCovers(a, b)) return b;
  if (networkCovers(b, a)) return a;
  return null;
}

/**
 * The sources of an entry's rules for a Service. `ranges` is null when the Service sets no
 * `loadBalancerSourceRanges` (the entry's source as is); an empty list (every range unparsable,
 * reported elsewhere) admits nobody, as Kubernetes would.
 */
export function narrowSource(source: string, ranges: readonly ParsedNetwork[] | null): NarrowedSources {
  const literal = parseNetwork(source);
  if (ranges === null) return { sources: [{ source, family: literal?.family ?? null }], issue: null };
  if (ranges.length === 0) return { sources: [], issue: null };
  if (source === "any") return { sources: unique(ranges.map((r) => ({ source: r.text, family: r.family }))), issue: null };
  if (literal !== null) {
    const sources = unique(ranges.flatMap((r) => {
      const both = intersectNetworks(literal, r);
      return both === null ? [] : [{ source: both.text, family: both.family }];
    }));
    return { sources, issue: sources.length === 0 ? "disjoint" : null };
  }
  // A name: the ranges still say which families may connect (a family without a range is shut
  // out), and a /0 range narrows nothing within its family, so only narrower ranges are lost.
  const families = [...new Set(ranges.map((r) => r.family))].sort();
  return {
    sources: families.map((family) => ({ source, family })),
    issue: ranges.every((r) => r.prefix === 0) ? null : "named-source",
  };
}

function unique(sources: readonly RangeSource[]): RangeSource[] {
  const seen = new Set<string>();
  return sources.filter((s) => {
    if (seen.has(s.source)) return false;
    seen.add(s.source);
    return true;
  });
}
