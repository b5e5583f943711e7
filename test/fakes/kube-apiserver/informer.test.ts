import { CoreV1Api, ListWatch, Watch } from "@kubernetes/client-node";
import type { KubernetesObject, V1Node, V1Service } from "@kubernetes/client-node";
import { afterEach, describe, expect, test } from "vitest";
import { startKubeFake } from "./index.ts";
import type { KubeFake } from "./index.ts";
import { kubeConfigFor, waitUntil } from "./test-helpers.ts";

// The real @kubernetes/client-node 2.0.1 informer (ListWatch) driven against the fake.

const SEL = "homelab/role=worker";

interface Rec<T extends KubernetesObject> {
  informer: ListWatch<T>;
  log: string[];
  errors: unknown[];
  connects: number;
  delays: number[];
}

function record<T extends KubernetesObject>(informer: ListWatch<T>, delays: number[]): Rec<T> {
  const r: Rec<T> = { informer, log: [], errors: [], connects: 0, delays };
  const name = (o: T): string => `${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name ?? "?"}`;
  informer.on("add", (o) => r.log.push(`add ${name(o)}`));
  informer.on("update", (o) => r.log.push(`update ${name(o)}`));
  informer.on("delete", (o) => r.log.push(`delete ${name(o)}`));
  informer.on("error", (e) => r.errors.push(e));
  informer.on("connect", () => r.connects++);
  return r;
}

let fake: KubeFake;
const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const s of stops.splice(0)) await s();
  await fake?.close();
});

function nodeInformer(selector: string | undefined = SEL): Rec<V1Node> {
  const kc = kubeConfigFor(fake);
  const core = kc.makeApiClient(CoreV1Api);
  const delays: number[] = [];
  const informer = new ListWatch<V1Node>("/api/v1/nodes", new Watch(kc), () => core.listNode(selector ? { labelSelector: selector } : {}), false, selector, undefined, {
    delayFn: async (ms: number) => {
      delays.push(ms);
    },
  });
  const r = record(informer, delays);
  stops.push(async () => {
    r.informer.on("error", () => {}); // stop() reports an AbortError
    await r.informer.stop();
  });
  return r;
}

describe("client-node informer against the fake", () => {
  test("initial list uses the server-side label selector, then watches from the list resourceVersion", async () => {
    fake = await startKubeFake();
    fake.control.createNode({ name: "worker-1", labels: { "homelab/role": "worker" } });
    fake.control.createNode({ name: "cp-1", labels: { "homelab/role": "control-plane" } });
    const r = nodeInformer();
    await r.informer.start();
    expect(r.log).toEqual(["add worker-1"]);
    expect(r.informer.list().map((n) => n.metadata?.name)).toEqual(["worker-1"]);
    await fake.control.waitForWatches(1, { resource: "nodes" });
    const list = fake.control.requests({ verb: "list" });
    const watch = fake.control.requests({ verb: "watch" });
    expect(list[0]?.query.labelSelector).toBe(SEL);
    expect(watch[0]?.query).toMatchObject({ labelSelector: SEL, resourceVersion: fake.control.resourceVersion(), watch: "true" });
    expect(r.errors).toEqual([]);
  });

  test("add, update and delete events; non-matching nodes are filtered out; label removal is a delete", async () => {
    fake = await startKubeFake();
    const c = fake.control;
    c.createNode({ name: "worker-1", labels: { "homelab/role": "worker" } });
    const r = nodeInformer();
    await r.informer.start();
    await c.waitForWatches(1);

    c.createNode({ name: "worker-2", labels: { "homelab/role": "worker" } });
    c.setNodeAddresses("worker-1", [{ type: "InternalIP", address: "192.168.1.21" }]);
    c.createNode({ name: "cp-2", labels: { "homelab/role": "control-plane" } });
    c.deleteNode("worker-2");
    await waitUntil("three events", () => r.log.length >= 4);
    expect(r.log).toEqual(["add worker-1", "add worker-2", "update worker-1", "delete worker-2"]);
    const addrs = r.informer.get("worker-1")?.status?.addresses;
    expect(addrs).toEqual([{ type: "InternalIP", address: "192.168.1.21" }]);

    // Stops matching -> DELETED, starts matching -> ADDED (like the apiserver's watch cache).
    c.labelNode("worker-1", "homelab/role", null);
    await waitUntil("delete on label removal", () => r.log.length >= 5);
    expect(r.log[4]).toBe("delete worker-1");
    c.labelNode("cp-2", "homelab/role", "worker");
    await waitUntil("add on label match", () => r.log.length >= 6);
    expect(r.log[5]).toBe("add cp-2");
    // A no-op change does not bump the resourceVersion, so no update is reported.
    c.labelNode("cp-2", "homelab/role", "worker");
    c.annotateNode("cp-2", "note", "x");
    await waitUntil("annotation update", () => r.log.length >= 7);
    expect(r.log.slice(6)).toEqual(["update cp-2"]);
    expect(r.errors).toEqual([]);
  });

  test("dropped watches are re-opened from the last resourceVersion; changes in between are replayed", async () => {
    fake = await startKubeFake();
    const c = fake.control;
    c.createNode({ name: "worker-1", labels: { "homelab/role": "worker" } });
    const r = nodeInformer();
    await r.informer.start();
    await c.waitForWatches(1);
    const rvBefore = c.resourceVersion();

    expect(c.dropWatches()).toBe(1);
    c.createNode({ name: "worker-2", labels: { "homelab/role": "worker" } }); // while no watch is open
    await waitUntil("replayed add", () => r.log.includes("add worker-2"));
    await c.waitForWatches(1);
    const watches = c.requests({ verb: "watch" });
    expect(watches).toHaveLength(2);
    expect(watches[1]?.query.resourceVersion).toBe(rvBefore);
    expect(c.requests({ verb: "list" })).toHaveLength(1); // no relist
    expect(r.connects).toBe(2);

    // The event on the last watch reset the backoff, so the next drop re-watches at once;
    // a further quiet drop goes through the backoff (our delayFn).
    c.dropWatches();
    await waitUntil("third watch", () => c.requests({ verb: "watch" }).length === 3);
    expect(r.delays).toEqual([]);
    await c.waitForWatches(1);
    c.dropWatches();
    await waitUntil("fourth watch", () => c.requests({ verb: "watch" }).length === 4);
    expect(r.delays).toEqual([1000]);
    expect(r.errors).toEqual([]);
  });

  for (const expiredAs of ["http", "event"] as const) {
    test(`410 after compaction (${expiredAs}) makes the informer relist and emit delete/add`, async () => {
      fake = await startKubeFake();
      const c = fake.control;
      c.createNode({ name: "worker-1", labels: { "homelab/role": "worker" } });
      const r = nodeInformer();
      await r.informer.start();
      await c.waitForWatches(1);

      // Silent changes: no watch event, so only a relist can notice them.
      c.deleteNode("worker-1", { silent: true });
      c.createNode({ name: "worker-3", labels: { "homelab/role": "worker" } }, { silent: true });
      // A visible change after the silent ones: the stream is ordered, so once it arrives the
      // silent ones have provably produced nothing.
      c.createNode({ name: "marker", labels: { "homelab/role": "worker" } });
      await waitUntil("marker event", () => r.log.includes("add marker"));
      expect(r.log).toEqual(["add worker-1", "add marker"]);
      // One more silent change, so the informer's resourceVersion (the marker's) is older than the
      // compaction point and its next watch must relist.
      c.deleteNode("marker", { silent: true });
      c.compact({ expiredAs });
      c.dropWatches();

      await waitUntil("relist", () => r.log.length >= 5);
      expect(r.log.slice(0, 2)).toEqual(["add worker-1", "add marker"]);
      expect(r.log.slice(2).sort()).toEqual(["add worker-3", "delete marker", "delete worker-1"]);
      await c.waitForWatches(1);
      const statuses = c.requests({ verb: "watch" }).map((w) => w.status);
      expect(statuses).toEqual(expiredAs === "http" ? [200, 410, 200] : [200, 200, 200]);
      expect(c.requests({ verb: "list" })).toHaveLength(2);
      expect(r.errors).toEqual([]);
    });
  }

  test("watch 500 emits one error and stops the informer; start() resumes without relisting", async () => {
    fake = await startKubeFake();
    const c = fake.control;
    c.createNode({ name: "worker-1", labels: { "homelab/role": "worker" } });
    const r = nodeInformer();
    await r.informer.start();
    await c.waitForWatches(1);

    c.failNext({ path: "/api/v1/nodes", verb: "watch", status: 500 });
    c.dropWatches();
    await waitUntil("error event", () => r.errors.length === 1);
    expect((r.errors[0] as { statusCode?: number }).statusCode).toBe(500);
    const n = c.requests().length;

    c.createNode({ name: "worker-2", labels: { "homelab/role": "worker" } });
    await r.informer.start();
    await waitUntil("resumed", () => r.log.includes("add worker-2"));
    expect(c.requests({ verb: "list" })).toHaveLength(1);
    // Stopped means stopped: between the error and start() nothing was retried, so every request
    // since then is the resume's single watch.
    expect(c.requests().slice(n).map((q) => q.verb)).toEqual(["watch"]);
  });

  test("list 500 emits an ApiException error", async () => {
    fake = await startKubeFake();
    const c = fake.control;
    c.createNode({ name: "worker-1", labels: { "homelab/role": "worker" } });
    c.failNext({ path: "/api/v1/nodes", verb: "list", status: 500 });
    const r = nodeInformer();
    await r.informer.start(); // never rejects
    expect(r.errors).toHaveLength(1);
    expect((r.errors[0] as { code?: number }).code).toBe(500);
    expect(r.log).toEqual([]);
    await r.informer.start();
    expect(r.log).toEqual(["add worker-1"]);
  });

  test("Services informer over all namespaces sees LoadBalancer ingress updates", async () => {
    fake = await startKubeFake();
    const c = fake.control;
    c.createService({ namespace: "default", name: "web", ports: [80, 443], loadBalancerIP: "10.20.0.10" });
    c.createService({ namespace: "kube-system", name: "dns", type: "ClusterIP", ports: [{ name: "dns", port: 53, protocol: "UDP" }] });
    const kc = kubeConfigFor(fake);
    const core = kc.makeApiClient(CoreV1Api);
    const informer = new ListWatch<V1Service>("/api/v1/services", new Watch(kc), () => core.listServiceForAllNamespaces(), false);
    const r = record(informer, []);
    stops.push(async () => {
      informer.on("error", () => {});
      await informer.stop();
    });
    await informer.start();
    expect(r.log.sort()).toEqual(["add default/web", "add kube-system/dns"]);
    const web = informer.get("web", "default");
    expect(web?.spec?.type).toBe("LoadBalancer");
    expect(web?.spec?.ports?.map((p) => p.port)).toEqual([80, 443]);
    expect(web?.spec?.clusterIP).toMatch(/^10\.96\./);

    await c.waitForWatches(1, { resource: "services" });
    c.setServiceIngress("default", "web", ["10.20.0.10"]);
    await waitUntil("ingress update", () => r.log.includes("update default/web"));
    expect(informer.get("web", "default")?.status?.loadBalancer?.ingress).toEqual([{ ip: "10.20.0.10" }]);
    c.deleteService("kube-system", "dns");
    await waitUntil("delete", () => r.log.includes("delete kube-system/dns"));

    // Server-side spec.type field selector (supported by the real apiserver too).
    const lbs = await core.listServiceForAllNamespaces({ fieldSelector: "spec.type=LoadBalancer" });
    expect(lbs.items.map((s) => s.metadata?.name)).toEqual(["web"]);
  });
});
