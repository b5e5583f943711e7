import type { Capabilities, NeighborSpec, RouterSnapshot, RuleSpec } from "../../src/domain/types.ts";

export const CAPS_26_1: Capabilities = {
  versionRange: "26.1.x",
  ruleStatetype: true,
  ruleDirectionAny: true,
  gridRawValues: true,
  savepoint: true,
  applyRefreshesAliases: true,
  neighborFields: ["enabled", "address", "remoteas", "updatesource", "description"],
  frrRendersDescription: false,
  peerGroups: true,
};

export const CAPS_25_1: Capabilities = { ...CAPS_26_1, versionRange: "25.1.x", ruleDirectionAny: false, gridRawValues: false };

export function emptySnapshot(over: Partial<RouterSnapshot> = {}): RouterSnapshot {
  return {
    capabilities: CAPS_26_1,
    frr: { enabled: true, manualConfig: false },
    bgp: { enabled: true, asNumber: 64555 },
    neighbors: [],
    peerGroups: [],
    categories: [],
    aliases: [],
    rules: [],
    frrRunning: { neighbors: new Map() },
    aliasTablesRunning: new Map(),
    ...over,
  };
}

export function neighborSpec(address: string, node: string): NeighborSpec {
  return {
    enabled: true,
    address,
    remoteAs: 64555,
    updateSource: "lan",
    description: `opnsense-bgp-agent:default node=${node}`,
    keepalive: null,
    holddown: null,
    connectTimer: null,
    bfd: false,
    multihop: false,
    password: "",
    peerGroup: "",
  };
}

export function ruleSpec(key: string): RuleSpec {
  return {
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
    description: `opnsense-bgp-agent:default ${key}`,
  };
}
