/**
 * Which of Cilium's resources the cluster serves, and in which version (v2 preferred). Asked at
 * start and on every fresh-LIST resync; an informer is only started for what is served, so a
 * cluster without Cilium costs two 404s per resync and nothing else.
 */
import type { Logger } from "pino";
import { z } from "zod";
import { CILIUM_GROUP } from "./cilium.ts";
import type { KubeRest } from "./kube-rest.ts";
import { describeError } from "./watch.ts";

export type CiliumResource = { readonly kind: string; readonly plural: string; readonly version: string };
export type CiliumDiscovery = { readonly resources: readonly CiliumResource[] };

const KINDS: readonly { readonly kind: string; readonly plural: string }[] = [
  { kind: "CiliumLoadBalancerIPPool", plural: "ciliumloadbalancerippools" },
  { kind: "CiliumBGPPeeringPolicy", plural: "ciliumbgppeeringpolicies" },
  { kind: "CiliumBGPClusterConfig", plural: "ciliumbgpclusterconfigs" },
  { kind: "CiliumBGPPeerConfig", plural: "ciliumbgppeerconfigs" },
];
/** Most preferred first. */
const VERSIONS = ["v2", "v2alpha1"] as const;

/** APIResourceList: only the resource names matter here. */
const apiResourceList = z.looseObject({ resources: z.array(z.looseObject({ name: z.string() })) });

function statusCode(err: unknown): number | null {
  const code = (err as { code?: unknown; statusCode?: unknown } | null)?.code ?? (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === "number" ? code : null;
}

/** The served resources, or null when discovery itself failed (not a 404): keep what is known. */
export async function discoverCilium(api: Pick<KubeRest, "get">, logger: Logger): Promise<CiliumDiscovery | null> {
  const served = new Map<string, Set<string>>();
  for (const version of VERSIONS) {
    try {
      const list = await api.get(`/apis/${CILIUM_GROUP}/${version}`, apiResourceList);
      served.set(version, new Set(list.resources.map((r) => r.name)));
    } catch (err) {
      if (statusCode(err) === 404) continue; // version (or the whole group) not served
      logger.warn({ group: CILIUM_GROUP, version, error: describeError(err) }, "Cilium resource discovery failed; keeping the previous answer");
      return null;
    }
  }
  const resources: CiliumResource[] = [];
  for (const k of KINDS) {
    const version = VERSIONS.find((v) => served.get(v)?.has(k.plural));
    if (version !== undefined) resources.push({ ...k, version });
  }
  return { resources };
}

export function sameDiscovery(a: CiliumDiscovery, b: CiliumDiscovery): boolean {
  const key = (d: CiliumDiscovery) => d.resources.map((r) => `${r.plural}/${r.version}`).join(",");
  return key(a) === key(b);
}
