import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEventRecorder } from "../../../src/cluster/events.ts";
import type { NodeEvent } from "../../../src/controller/node-events.ts";
import { startKubeFake, type KubeFake } from "../../fakes/kube-apiserver/index.ts";

let kube: KubeFake;
let kc: KubeConfig;
beforeAll(async () => {
  kube = await startKubeFake({});
  kc = new KubeConfig();
  kc.loadFromString(kube.kubeconfig());
});
afterAll(async () => {
  await kube.close();
});

const conflict: NodeEvent = { node: "worker-2", type: "Warning", reason: "BGPPeerConflict", message: "not peered: foreign neighbor" };

describe("event recorder", () => {
  it("repeats the same event only after the dedup window, and caps a batch", async () => {
    let t = 0;
    const rec = createEventRecorder({ kc, logger: pino({ level: "silent" }), instance: "test", dedupWindowMs: 1000, maxPerBatch: 3, now: () => t });
    kube.control.reset();
    rec.record([conflict]);
    rec.record([conflict]);
    t = 999;
    rec.record([conflict]);
    await rec.flush();
    expect(kube.control.events()).toHaveLength(1);
    t = 1000;
    rec.record([conflict]);
    await rec.flush();
    expect(kube.control.events()).toHaveLength(2);
    rec.record(Array.from({ length: 10 }, (_, i) => ({ ...conflict, node: `n-${i}` })));
    await rec.flush();
    expect(kube.control.events()).toHaveLength(5);
  });

  it("never throws when the API refuses (e.g. missing RBAC)", async () => {
    kube.control.reset();
    kube.control.failNext({ verb: "any", path: "/api/v1/namespaces/default/events", status: 403, times: 5 });
    const rec = createEventRecorder({ kc, logger: pino({ level: "silent" }), instance: "test" });
    rec.record([conflict]);
    await expect(rec.flush()).resolves.toBeUndefined();
    expect(kube.control.events()).toHaveLength(0);
  });
});
