import { CoordinationV1Api, KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLeaderElector, type LeaderElector } from "../../src/cluster/leader.ts";
import { startKubeFake, type KubeFake } from "../fakes/kube-apiserver/index.ts";
import { waitFor } from "../helpers/wait.ts";

let kube: KubeFake;
let kc: KubeConfig;
const logger = pino({ level: "silent" });
const timing = { leaseDurationMs: 1000, renewDeadlineMs: 700, retryPeriodMs: 100 };

function elector(identity: string, changes: boolean[]): LeaderElector {
  return createLeaderElector({ kc, namespace: "kube-system", name: "opnsense-bgp-agent", identity, logger, onChange: (l) => changes.push(l), ...timing });
}

beforeAll(async () => {
  kube = await startKubeFake({});
  kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfig());
});
afterAll(async () => {
  await kube.close();
});

describe("leader election (Lease against the fake apiserver)", () => {
  it("elects exactly one leader, hands over on release, and never has two at once", async () => {
    const aChanges: boolean[] = [];
    const bChanges: boolean[] = [];
    const a = elector("pod-a", aChanges);
    const b = elector("pod-b", bChanges);
    a.start();
    await waitFor(() => a.isLeader(), "pod-a leads");
    b.start();
    // b keeps trying for longer than a lease duration while a renews: it must never win.
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      expect(a.isLeader() && b.isLeader()).toBe(false);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(b.isLeader()).toBe(false);
    const lease = kube.control.get("leases", "kube-system", "opnsense-bgp-agent");
    expect((lease?.spec as { holderIdentity?: string }).holderIdentity).toBe("pod-a");

    await a.stop();
    expect(a.isLeader()).toBe(false);
    await waitFor(() => b.isLeader(), "pod-b takes over after the release");
    expect(aChanges).toEqual([true, false]);
    expect(bChanges).toEqual([true]);
    await b.stop();
  });

  it("takes over an expired lease whose holder vanished without releasing it", async () => {
    const stale = elector("pod-crashed", []);
    stale.start();
    await waitFor(() => stale.isLeader(), "first holder leads");
    // A crash: the holder stops renewing but its record stays. stop() releases the lease, so write
    // the crashed holder back into it by hand.
    await stale.stop();
    const api = kc.makeApiClient(CoordinationV1Api);
    const cur = await api.readNamespacedLease({ name: "opnsense-bgp-agent", namespace: "kube-system" });
    await api.replaceNamespacedLease({
      name: "opnsense-bgp-agent",
      namespace: "kube-system",
      body: { ...cur, spec: { ...cur.spec, holderIdentity: "pod-crashed", leaseDurationSeconds: 1 } },
    });
    const c = elector("pod-c", []);
    const started = Date.now();
    c.start();
    await waitFor(() => c.isLeader(), "pod-c takes the expired lease", 5000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await c.stop();
  });
});
