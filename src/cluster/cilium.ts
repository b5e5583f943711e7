/**
 * Cilium's resources as the agent reads them (cilium.io CRDs), projected to the few fields it
 * uses. Pure: the informers in watch.ts feed raw objects through these functions.
 */
import type { KubeObject } from "./kube-rest.ts";

export const CILIUM_GROUP = "cilium.io";

/** A Kubernetes LabelSelector as Cilium's CRDs carry it; null = every node. */
export type LabelSelectorSpec = {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly { readonly key: string; readonly operator: string; readonly values: readonly string[] }[];
};

export type CiliumPoolBlock = { readonly cidr: string | null; readonly start: string | null; readonly stop: string | null };
export type CiliumPool = { readonly name: string; readonly disabled: boolean; readonly blocks: readonly CiliumPoolBlock[] };

/** One BGP peer of a Cilium BGP config, with the settings that must agree with OPNsense. */
export type CiliumPeer = {
  readonly peerAddress: string | null;
  readonly peerAsn: number | null;
  readonly holdTimeSeconds: number | null;
  readonly keepAliveTimeSeconds: number | null;
  readonly gracefulRestart: boolean | null;
  /** CiliumBGPClusterConfig peers: the CiliumBGPPeerConfig named here holds timers and graceful restart. */
  readonly peerConfigRef: string | null;
};

/** A CiliumBGPPeeringPolicy virtual router or a CiliumBGPClusterConfig BGP instance. */
export type CiliumBgpInstance = { readonly localAsn: number | null; readonly peers: readonly CiliumPeer[] };

export type CiliumBgpConfig = {
  readonly kind: "CiliumBGPPeeringPolicy" | "CiliumBGPClusterConfig";
  readonly name: string;
  readonly nodeSelector: LabelSelectorSpec | null;
  readonly instances: readonly CiliumBgpInstance[];
};

export type CiliumPeerConfig = {
  readonly name: string;
  readonly holdTimeSeconds: number | null;
  readonly keepAliveTimeSeconds: number | null;
  readonly gracefulRestart: boolean | null;
};

/** What the cluster says through Cilium; a null list = the resource is not served (or not read). */
export type CiliumView = {
  readonly pools: readonly CiliumPool[] | null;
  readonly bgp: readonly CiliumBgpConfig[] | null;
  readonly peerConfigs: readonly CiliumPeerConfig[];
  /** Names of the nodes some Cilium BGP config selects (listed from the API server); null = not known. */
  readonly selectedNodes: readonly string[] | null;
};

export const NO_CILIUM: CiliumView = { pools: null, bgp: null, peerConfigs: [], selectedNodes: null };

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v.trim() : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isInteger(v) ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : null);
const bool = (v: unknown): boolean | null => (typeof v === "boolean" ? v : null);

function nameOf(o: KubeObject): string {
  return o.metadata?.name ?? "";
}

function spec(o: KubeObject): Obj {
  return obj((o as KubeObject & { spec?: unknown }).spec);
}

export function projectPool(o: KubeObject): CiliumPool {
  const s = spec(o);
  // `cidrs` is the pre-1.15 name of `blocks` (same items); a pool may carry both.
  const blocks = [...arr(s.blocks), ...arr(s.cidrs)].map((b) => {
    const x = obj(b);
    return { cidr: str(x.cidr), start: str(x.start), stop: str(x.stop) };
  });
  return { name: nameOf(o), disabled: s.disabled === true, blocks };
}

function selector(v: unknown): LabelSelectorSpec | null {
  if (v === undefined || v === null) return null;
  const s = obj(v);
  const matchLabels: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj(s.matchLabels))) if (typeof val === "string") matchLabels[k] = val;
  const matchExpressions = arr(s.matchExpressions).map((e) => {
    const x = obj(e);
    return { key: str(x.key) ?? "", operator: str(x.operator) ?? "", values: arr(x.values).filter((y): y is string => typeof y === "string") };
  });
  return { matchLabels, matchExpressions };
}

function peer(p: Obj, ref: string | null): CiliumPeer {
  const gr = obj(p.gracefulRestart);
  return {
    peerAddress: str(p.peerAddress),
    peerAsn: num(p.peerASN),
    holdTimeSeconds: num(p.holdTimeSeconds),
    keepAliveTimeSeconds: num(p.keepAliveTimeSeconds),
    gracefulRestart: bool(gr.enabled),
    peerConfigRef: ref,
  };
}

export function projectPeeringPolicy(o: KubeObject): CiliumBgpConfig {
  const s = spec(o);
  return {
    kind: "CiliumBGPPeeringPolicy",
    name: nameOf(o),
    nodeSelector: selector(s.nodeSelector),
    instances: arr(s.virtualRouters).map((r) => {
      const x = obj(r);
      return { localAsn: num(x.localASN), peers: arr(x.neighbors).map((n) => peer(obj(n), null)) };
    }),
  };
}

export function projectClusterConfig(o: KubeObject): CiliumBgpConfig {
  const s = spec(o);
  return {
    kind: "CiliumBGPClusterConfig",
    name: nameOf(o),
    nodeSelector: selector(s.nodeSelector),
    instances: arr(s.bgpInstances).map((i) => {
      const x = obj(i);
      // Timers and graceful restart of these peers live in the referenced CiliumBGPPeerConfig.
      const peers = arr(x.peers).map((p) => {
        const y = obj(p);
        return peer({ peerAddress: y.peerAddress, peerASN: y.peerASN }, str(obj(y.peerConfigRef).name));
      });
      return { localAsn: num(x.localASN), peers };
    }),
  };
}

export function projectPeerConfig(o: KubeObject): CiliumPeerConfig {
  const s = spec(o);
  const timers = obj(s.timers);
  return {
    name: nameOf(o),
    holdTimeSeconds: num(timers.holdTimeSeconds),
    keepAliveTimeSeconds: num(timers.keepAliveTimeSeconds),
    gracefulRestart: bool(obj(s.gracefulRestart).enabled),
  };
}

/** Whether a node's labels match a LabelSelector (null selects every node, as in Cilium). */
export function selectorMatches(sel: LabelSelectorSpec | null, labels: Readonly<Record<string, string>>): boolean {
  if (sel === null) return true;
  for (const [k, v] of Object.entries(sel.matchLabels)) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case "In":
        if (!has || !e.values.includes(value ?? "")) return false;
        break;
      case "NotIn":
        if (has && e.values.includes(value ?? "")) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false; // an operator Kubernetes would reject selects nothing
    }
  }
  return true;
}

/** The selector in the API server's `labelSelector=` syntax, for a server-side LIST. */
export function selectorString(sel: LabelSelectorSpec | null): string {
  if (sel === null) return "";
  const parts = Object.entries(sel.matchLabels).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions) {
    if (e.operator === "In") parts.push(`${e.key} in (${e.values.join(",")})`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin (${e.values.join(",")})`);
    else if (e.operator === "Exists") parts.push(e.key);
    else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
  }
  return parts.join(",");
}
