import type { KubeConfig } from "@kubernetes/client-node";
import { createKubeRest } from "./kube-rest.ts";
import { lease as leaseSchema, leasePath, type Lease } from "./lease.ts";

/**
 * One annotation on the agent's Lease, read and written with optimistic concurrency. The Lease is
 * the one object the agent already owns and may update (deploy/rbac.yaml), and it outlives the
 * pod, which is why state that must survive a restart lives there.
 */
export type LeaseAnnotation = {
  readonly location: string;
  readonly clearCommand: string;
  read(): Promise<string | null>;
  write(value: string): Promise<void>;
};

function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
  return typeof code === "number" ? code : undefined;
}

export function createLeaseAnnotation(opts: { kc: KubeConfig; namespace: string; name: string; key: string }): LeaseAnnotation {
  const api = createKubeRest(opts.kc);
  const path = leasePath(opts.namespace, opts.name);
  const { namespace, name, key } = opts;

  async function readLease(): Promise<Lease | null> {
    try {
      return await api.get(path, leaseSchema);
    } catch (err) {
      if (statusCode(err) === 404) return null;
      throw err;
    }
  }

  return {
    location: `lease ${namespace}/${name}`,
    clearCommand: `kubectl -n ${namespace} annotate lease ${name} ${key}-`,
    async read() {
      return (await readLease())?.metadata?.annotations?.[key] ?? null;
    },
    async write(value) {
      // The leader renews the same object every few seconds: a 409 only means we raced a renew.
      for (let attempt = 1; ; attempt++) {
        const lease = await readLease();
        if (lease === null) throw new Error(`lease ${namespace}/${name} does not exist (leader election creates it)`);
        const body: Lease = { ...lease, metadata: { ...lease.metadata, annotations: { ...(lease.metadata?.annotations ?? {}), [key]: value } } };
        try {
          await api.put(path, body, leaseSchema);
          return;
        } catch (err) {
          if (statusCode(err) !== 409 || attempt >= 5) throw err;
        }
      }
    },
  };
}
