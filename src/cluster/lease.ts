/**
 * The coordination.k8s.io/v1 Lease as the agent reads and writes it (leader.ts, lease-annotation.ts).
 * Fields it does not know are kept as they came: a PUT replaces the whole object.
 */
import { z } from "zod";

const stringMap = z.record(z.string(), z.string());

export const lease = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: z
    .looseObject({
      name: z.string().optional(),
      namespace: z.string().optional(),
      resourceVersion: z.string().optional(),
      labels: stringMap.optional(),
      annotations: stringMap.optional(),
    })
    .optional(),
  spec: z
    .looseObject({
      holderIdentity: z.string().nullish(),
      leaseDurationSeconds: z.number().int().nullish(),
      acquireTime: z.string().nullish(),
      renewTime: z.string().nullish(),
      leaseTransitions: z.number().int().nullish(),
    })
    .optional(),
});
export type Lease = z.infer<typeof lease>;

export function leasePath(namespace: string, name?: string): string {
  const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

/** A MicroTime: RFC 3339 with six fractional digits, as the API server writes Lease times. */
export function microTime(t: Date): string {
  return `${t.toISOString().slice(0, -1)}000Z`;
}
