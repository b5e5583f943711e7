// os-frr prefix lists (`prefixlists.prefixlist`, key `prefixlist`) and the relation fields that
// point at them from neighbors and peer groups. The OPNsense API contract §3.7; field details from
// [plugins] BGP.xml, actions from [plugins] Api/BgpController.php.

import type { Reply } from "./api-types.ts";
import type { Collection, Usage } from "./crud.ts";
import { describeItem, inUse } from "./crud.ts";
import type { FieldDef } from "./model.ts";
import type { Fields, SimState } from "./state.ts";

/** os-frr 1.52 (commit cb9a5d6d6): rows listed as `name:seqnumber`, BgpController safe delete (§3.7) */
const PER_ROW_DISPLAY_MINOR = 52;
const SAFE_DELETE_MINOR = 52;

export function prefixlistDefs(): FieldDef[] {
  return [
    { name: "enabled", kind: "bool", default: "1", required: true },
    { name: "description", kind: "text" },
    {
      name: "name",
      kind: "text",
      required: true,
      mask: /^[a-zA-Z0-9._-]{1,64}$/,
      message: "The name should only contain alphanumeric characters, dashes, underscores or a dot.",
    },
    { name: "version", kind: "option", required: true, default: "IPv4", options: () => ({ IPv4: "IPv4", IPv6: "IPv6" }) },
    { name: "seqnumber", kind: "int", required: true, min: 1, max: 4294967294 },
    { name: "action", kind: "option", required: true, options: () => ({ permit: "Permit", deny: "Deny" }) },
    // deliberately unvalidated: FRR is the first to see a bad value (§3.7)
    { name: "network", kind: "text", required: true },
  ];
}

/**
 * Relation options. Until os-frr 1.51 the field groups by name (`<group>name</group>`): only the
 * first row of each name is an option, labelled with the name, so only that row can be linked.
 * From 1.52 every row is an option labelled `name:seqnumber` (§3.7).
 */
export function prefixlistOptions(sim: SimState): Record<string, string> {
  const entries: Array<[string, string]> = [];
  const seenNames = new Set<string>();
  const perRow = sim.frrAtLeast(PER_ROW_DISPLAY_MINOR);
  for (const [uuid, row] of sim.config.prefixlists) {
    const name = row["name"] ?? "";
    if (perRow) {
      entries.push([uuid, `${name}:${row["seqnumber"] ?? ""}`]);
    } else if (!seenNames.has(name)) {
      seenNames.add(name);
      entries.push([uuid, name]);
    }
  }
  // the relation field natcasesorts its options by label
  entries.sort(([, a], [, b]) => a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" }));
  return Object.fromEntries(entries);
}

/**
 * A single relation to one row, like the select [plugins] BGP.xml declares (no <Multiple>): a comma
 * list of row UUIDs is refused with the relation's message (checked against the real code, §11).
 */
export function prefixlistRelation(name: "linkedPrefixlistIn" | "linkedPrefixlistOut"): FieldDef {
  return {
    name,
    kind: "relation",
    options: prefixlistOptions,
    // the full stop arrived by os-frr 1.50 (1.42 and 1.44 have none; checked against the real code)
    message: (sim) => (sim.frrAtLeast(50) ? "Related Prefix-List item not found." : "Related Prefix-List item not found"),
  };
}

function linksTo(item: Fields, uuid: string): boolean {
  return [item["linkedPrefixlistIn"], item["linkedPrefixlistOut"]].some((v) => (v ?? "").split(",").includes(uuid));
}

/** neighbors and peer groups that link a row */
function usagesOf(uuid: string, sim: SimState): Usage[] {
  const out: Usage[] = [];
  for (const [u, n] of sim.config.neighbors) {
    if (linksTo(n, uuid)) out.push({ module: "bgp", description: describeItem(n), reference: `bgp.neighbors.neighbor.${u}` });
  }
  for (const [u, pg] of sim.config.peergroups) {
    if (linksTo(pg, uuid)) out.push({ module: "bgp", description: describeItem(pg), reference: `bgp.peergroups.peergroup.${u}` });
  }
  return out;
}

export const prefixlists: Collection = {
  key: "prefixlist",
  defs: prefixlistDefs,
  items: (sim) => sim.config.prefixlists,
  safeDelete: (sim) => sim.frrAtLeast(SAFE_DELETE_MINOR),
  // togglePrefixlistAction($uuid) passes no enabled argument on to toggleBase ([plugins] BgpController.php)
  toggleAlwaysFlips: true,
  beforeDelete: (uuid, item, sim): Reply | null => {
    // before 1.52 the row just goes; links to it dangle and render nothing (§3.7)
    if (!sim.frrAtLeast(SAFE_DELETE_MINOR)) return null;
    return inUse(sim, "prefixlists.prefixlist", uuid, item, usagesOf(uuid, sim));
  },
};
