/** Builders for router snapshots and a tiny pure "apply a plan" used to check idempotence. */
import type { Alias, Capabilities, Neighbor, NeighborSpec, RouterSnapshot, Rule, RuleSpec } from "../../../src/domain/types.ts";
import type { CarryOver, Operation, Plan } from "../../../src/plan/types.ts";
import { CAPS } from "../desired/fixtures.ts";

export function snapshot(parts: Partial<RouterSnapshot> = {}, caps: Capabilities = CAPS["26.1"]): RouterSnapshot {
  return {
    capabilities: caps,
    frr: { enabled: true, manualConfig: false },
    bgp: { enabled: true, asNumber: 64512, routerId: null },
    neighbors: [],
    peerGroups: [],
    prefixRows: [],
    categories: [],
    aliases: [],
    rules: [],
    frrRunning: null,
    aliasTablesRunning: null,
    bgpSessions: { ok: false, reason: "not read in this test", privilege: null },
    ...parts,
  };
}

export function neighbor(uuid: string, address: string, description: string, over: Partial<NeighborSpec> = {}): Neighbor {
  return {
    uuid,
    enabled: true,
    address,
    remoteAs: 64555,
    updateSource: "",
    linkLocalInterface: "",
    description,
    keepalive: null,
    holddown: null,
    connectTimer: null,
    bfd: false,
    multihop: false,
    password: "",
    peerGroup: "",
    prefixListIn: "",
    ...over,
  };
}

export function alias(uuid: string, name: string, description: string, categories: readonly string[], content: readonly string[] = [], type = "host"): Alias {
  return { uuid, name, type, enabled: true, content, description, categories };
}

export function rule(uuid: string, description: string, categories: readonly string[], over: Partial<RuleSpec> = {}): Rule {
  return {
    uuid,
    enabled: true,
    action: "pass",
    quick: true,
    interfaces: ["lan"],
    direction: "in",
    ipprotocol: "inet",
    protocol: "TCP",
    sourceNet: "k8s_bgp_nodes",
    sourcePort: "",
    destinationNet: "(self)",
    destinationPort: "179",
    statetype: "keep",
    description,
    categories,
    ...over,
  };
}

/**
 * What the router holds after the plan's writes (the writer's contract: create adds the
 * category, update replaces the spec and keeps uuid and categories, delete removes).
 */
export function applyOps(s: RouterSnapshot, ops: readonly Operation[], categoryName: string): RouterSnapshot {
  let { categories, neighbors, prefixRows, aliases, rules } = s;
  let n = 0;
  const fresh = (kind: string) => `new-${kind}-${String(++n).padStart(4, "0")}`;
  const categoryUuid = () => categories.find((c) => c.name === categoryName)?.uuid ?? "missing-category";
  for (const op of ops) {
    switch (op.kind) {
      case "create-category":
        categories = [...categories, { uuid: fresh("category"), name: op.name }];
        break;
      case "create-neighbor":
        neighbors = [...neighbors, { uuid: fresh("neighbor"), ...op.spec }];
        break;
      case "update-neighbor":
        neighbors = neighbors.map((x) => (x.uuid === op.uuid ? { uuid: x.uuid, ...op.spec } : x));
        break;
      case "delete-neighbor":
        neighbors = neighbors.filter((x) => x.uuid !== op.uuid);
        break;
      case "release-neighbor":
        neighbors = neighbors.map((x) => (x.uuid === op.uuid ? { uuid: x.uuid, ...op.spec } : x));
        break;
      case "create-prefix":
        prefixRows = [...prefixRows, { uuid: op.uuid ?? fresh("prefix"), ...op.spec }];
        break;
      case "update-prefix":
        prefixRows = prefixRows.map((x) => (x.uuid === op.uuid ? { uuid: x.uuid, ...op.spec } : x));
        break;
      case "delete-prefix":
        prefixRows = prefixRows.filter((x) => x.uuid !== op.uuid);
        break;
      case "create-alias":
        aliases = [...aliases, { uuid: fresh("alias"), ...op.spec, categories: [categoryUuid()] }];
        break;
      case "update-alias":
        aliases = aliases.map((x) => (x.uuid === op.uuid ? { uuid: x.uuid, ...op.spec, categories: x.categories } : x));
        break;
      case "delete-alias":
        aliases = aliases.filter((x) => x.uuid !== op.uuid);
        break;
      case "create-rule":
        rules = [...rules, { uuid: fresh("rule"), ...op.spec, categories: [categoryUuid()] }];
        break;
      case "update-rule":
        rules = rules.map((x) => (x.uuid === op.uuid ? { uuid: x.uuid, ...op.spec, categories: x.categories } : x));
        break;
      case "delete-rule":
        rules = rules.filter((x) => x.uuid !== op.uuid);
        break;
    }
  }
  return { ...s, categories, neighbors, prefixRows, aliases, rules };
}

/** A process that has completed passes and left nothing undone. */
export const STEADY: CarryOver = { frrPending: false, firewallPending: null, firstPassSinceStart: false };

/** The plan's applies in brief: [FRR reconfigure?, firewall action (aliases/filter) or null]. */
export function applies(p: Plan): [boolean, string | null] {
  return [p.actions.frr !== null, p.actions.firewall?.action ?? null];
}
