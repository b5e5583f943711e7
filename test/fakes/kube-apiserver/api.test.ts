import { CoordinationV1Api, CoreV1Api, EventsV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { V1Lease } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { startKubeFake } from "./index.ts";
import type { KubeFake, KubeObject } from "./index.ts";
import { call, expectStatusShape, kubeConfigFor } from "./test-helpers.ts";

let fake: KubeFake;
beforeEach(async () => {
  fake = await startKubeFake();
});
afterEach(() => fake.close());

interface WatchLine {
  type: string;
  object: KubeObject & { code?: number; reason?: string };
}

/** Opens a raw watch and collects events until `until` is satisfied or the stream ends. */
async function watchRaw(path: string, until: (lines: WatchLine[]) => boolean, afterOpen?: () => void, timeoutMs = 3000): Promise<{ lines: WatchLine[]; ended: boolean }> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const res = await fetch(fake.url + path, { signal: ac.signal });
  expect(res.status).toBe(200);
  afterOpen?.();
  const lines: WatchLine[] = [];
  let buf = "";
  let ended = false;
  const decoder = new TextDecoder();
  try {
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      if (until(lines)) break;
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        lines.push(JSON.parse(buf.slice(0, nl)) as WatchLine);
        buf = buf.slice(nl + 1);
      }
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return { lines, ended };
}

describe("leases (coordination.k8s.io/v1)", () => {
  test("create, read, update, 409 on stale resourceVersion and on duplicate create", async () => {
    const coord = kubeConfigFor(fake).makeApiClient(CoordinationV1Api);
    const body: V1Lease = { metadata: { name: "agent-leader", namespace: "kube-system" }, spec: { holderIdentity: "pod-a", leaseDurationSeconds: 15 } };
    const created = await coord.createNamespacedLease({ namespace: "kube-system", body });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.resourceVersion).toBe(fake.control.resourceVersion());
    expect(created.metadata?.generation).toBe(1);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.apiVersion).toBe("coordination.k8s.io/v1");

    await expect(coord.createNamespacedLease({ namespace: "kube-system", body })).rejects.toMatchObject({ code: 409 });

    const stale = structuredClone(created);
    const updated = await coord.replaceNamespacedLease({ name: "agent-leader", namespace: "kube-system", body: { ...created, spec: { ...created.spec, holderIdentity: "pod-b" } } });
    expect(updated.spec?.holderIdentity).toBe("pod-b");
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));
    expect(updated.metadata?.generation).toBe(2);

    const conflict = await coord.replaceNamespacedLease({ name: "agent-leader", namespace: "kube-system", body: { ...stale, spec: { ...stale.spec, holderIdentity: "pod-c" } } }).catch((e: unknown) => e);
    expect(conflict).toMatchObject({ code: 409 });
    const raw = JSON.parse((conflict as { body: string }).body) as unknown;
    expectStatusShape(raw, 409, "Conflict");
    expect((await coord.readNamespacedLease({ name: "agent-leader", namespace: "kube-system" })).spec?.holderIdentity).toBe("pod-b");
  });

  test("errors are Status objects: 404 NotFound, 409 AlreadyExists, missing namespace, name mismatch", async () => {
    let r = await call(fake, "GET", "/apis/coordination.k8s.io/v1/namespaces/default/leases/nope");
    expectStatusShape(r.body, 404, "NotFound");
    expect((r.body as { message: string }).message).toBe('leases.coordination.k8s.io "nope" not found');
    const lease = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "l" }, spec: {} };
    expect((await call(fake, "POST", "/apis/coordination.k8s.io/v1/namespaces/default/leases", lease)).status).toBe(201);
    r = await call(fake, "POST", "/apis/coordination.k8s.io/v1/namespaces/default/leases", lease);
    expectStatusShape(r.body, 409, "AlreadyExists");
    r = await call(fake, "POST", "/apis/coordination.k8s.io/v1/namespaces/nowhere/leases", lease);
    expectStatusShape(r.body, 404, "NotFound");
    r = await call(fake, "PUT", "/apis/coordination.k8s.io/v1/namespaces/default/leases/other", lease);
    expectStatusShape(r.body, 400, "BadRequest");
    r = await call(fake, "DELETE", "/api/v1/nodes/ghost");
    expectStatusShape(r.body, 404, "NotFound");
    r = await call(fake, "GET", "/api/v1/pods");
    expectStatusShape(r.body, 404, "NotFound");
    r = await call(fake, "POST", "/api/v1/nodes", "{not json");
    expectStatusShape(r.body, 400, "BadRequest");
    r = await call(fake, "POST", "/api/v1/nodes", { metadata: { name: "Bad_Name" } });
    expectStatusShape(r.body, 422, "Invalid");
  });
});

describe("events", () => {
  test("core/v1 and events.k8s.io/v1 Events created by clients show up in control.events()", async () => {
    const kc = kubeConfigFor(fake);
    await kc.makeApiClient(CoreV1Api).createNamespacedEvent({
      namespace: "default",
      body: { metadata: { generateName: "web." }, involvedObject: { kind: "Service", name: "web", namespace: "default" }, reason: "Synced", message: "BGP neighbor added", type: "Normal", source: { component: "opnsense-bgp-agent" } },
    });
    await kc.makeApiClient(EventsV1Api).createNamespacedEvent({
      namespace: "default",
      body: { metadata: { name: "web.2" }, eventTime: new Date(), reason: "Failed", note: "OPNsense unreachable", type: "Warning", action: "Reconcile", reportingController: "opnsense-bgp-agent", reportingInstance: "pod-a", regarding: { kind: "Service", name: "web", namespace: "default" } },
    });
    const evs = fake.control.events();
    expect(evs.map((e) => [e.apiVersion, e.reason])).toEqual([
      ["v1", "Synced"],
      ["events.k8s.io/v1", "Failed"],
    ]);
    expect(evs[0]?.metadata.name).toMatch(/^web\./);
    const byField = await call(fake, "GET", `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent("involvedObject.name=web,reason=Synced")}`);
    expect((byField.body as { items: unknown[] }).items).toHaveLength(1);
  });
});

describe("patch and update semantics", () => {
  test("merge, strategic merge and JSON patch on a node", async () => {
    fake.control.createNode({ name: "n1", labels: { a: "1", b: "2" } });
    const core = kubeConfigFor(fake).makeApiClient(CoreV1Api);
    let n = await core.patchNode({ name: "n1", body: { metadata: { labels: { a: null, c: "3" } } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
    expect(n.metadata?.labels).toEqual({ b: "2", c: "3", "kubernetes.io/hostname": "n1", "kubernetes.io/os": "linux" });
    n = await core.patchNode({ name: "n1", body: { metadata: { annotations: { x: "y" } } } }, setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch));
    expect(n.metadata?.annotations).toEqual({ x: "y" });
    n = await core.patchNode(
      {
        name: "n1",
        body: [
          { op: "add", path: "/metadata/labels/homelab~1role", value: "worker" },
          { op: "replace", path: "/metadata/labels/b", value: "20" },
          { op: "remove", path: "/metadata/labels/c" },
          { op: "test", path: "/metadata/name", value: "n1" },
        ],
      },
      setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
    );
    expect(n.metadata?.labels?.["homelab/role"]).toBe("worker");
    expect(n.metadata?.labels?.b).toBe("20");
    expect(n.metadata?.labels?.c).toBeUndefined();

    const bad = await call(fake, "PATCH", "/api/v1/nodes/n1", [{ op: "remove", path: "/metadata/labels/zzz" }], { "content-type": "application/json-patch+json" });
    expectStatusShape(bad.body, 422, "Invalid");
    const wrongType = await call(fake, "PATCH", "/api/v1/nodes/n1", {}, { "content-type": "application/json" });
    expectStatusShape(wrongType.body, 415, "UnsupportedMediaType");
    const stale = await call(fake, "PATCH", "/api/v1/nodes/n1", { metadata: { resourceVersion: "1" } }, { "content-type": "application/merge-patch+json" });
    expectStatusShape(stale.body, 409, "Conflict");
  });

  test("strategic merge merges Service ports by port and honours $setElementOrder/$patch", async () => {
    fake.control.createService({ name: "web", ports: [{ name: "http", port: 80 }, { name: "https", port: 443 }] });
    const r = await call(
      fake,
      "PATCH",
      "/api/v1/namespaces/default/services/web",
      { spec: { "$setElementOrder/ports": [{ port: 443 }, { port: 8080 }], ports: [{ port: 8080, name: "alt" }, { port: 80, $patch: "delete" }], loadBalancerSourceRanges: ["10.0.0.0/8"] } },
      { "content-type": "application/strategic-merge-patch+json" },
    );
    expect(r.status).toBe(200);
    const spec = (r.body as { spec: { ports: { port: number; name: string }[]; loadBalancerSourceRanges: string[] } }).spec;
    expect(spec.ports.map((p) => `${p.name}:${p.port}`)).toEqual(["https:443", "alt:8080"]);
    expect(spec.loadBalancerSourceRanges).toEqual(["10.0.0.0/8"]);
  });

  test("status subresource: PUT/PATCH /status only touch status, the main resource ignores status", async () => {
    const svc = fake.control.createService({ name: "web" });
    const base = "/api/v1/namespaces/default/services/web";
    let r = await call(fake, "PATCH", `${base}/status`, { status: { loadBalancer: { ingress: [{ ip: "10.20.0.10" }] } }, spec: { type: "ClusterIP" } }, { "content-type": "application/merge-patch+json" });
    expect(r.status).toBe(200);
    let body = r.body as { spec: { type: string }; status: unknown; metadata: { generation: number } };
    expect(body.status).toEqual({ loadBalancer: { ingress: [{ ip: "10.20.0.10" }] } });
    expect(body.spec.type).toBe("LoadBalancer");
    r = await call(fake, "PUT", base, { ...svc, metadata: { ...svc.metadata, resourceVersion: undefined }, status: { loadBalancer: {} }, spec: { ...(svc.spec as object), loadBalancerSourceRanges: ["1.2.3.0/24"] } });
    body = r.body as typeof body;
    expect(body.status).toEqual({ loadBalancer: { ingress: [{ ip: "10.20.0.10" }] } });
    expect(body.metadata.generation).toBe(2);
    r = await call(fake, "PUT", "/api/v1/nodes/none/status", { metadata: { name: "none" } });
    expectStatusShape(r.body, 404, "NotFound");
  });
});

describe("watch protocol", () => {
  test("selector transitions become ADDED/DELETED; replay from a resourceVersion", async () => {
    const c = fake.control;
    c.createNode({ name: "n1", labels: { role: "worker" } });
    const rv = c.resourceVersion();
    c.createNode({ name: "n2" });
    const { lines } = await watchRaw(
      `/api/v1/nodes?watch=true&resourceVersion=${rv}&labelSelector=role%3Dworker`,
      (l) => l.length >= 4,
      () => {
        c.labelNode("n2", "role", "worker"); // starts matching
        c.annotateNode("n2", "a", "b");
        c.labelNode("n1", "role", "cp"); // stops matching
        c.deleteNode("n2");
      },
    );
    expect(lines.map((l) => `${l.type} ${l.object.metadata.name}`)).toEqual(["ADDED n2", "MODIFIED n2", "DELETED n1", "DELETED n2"]);
    // The DELETED for "stopped matching" carries the old state at the new resourceVersion.
    expect(lines[2]?.object.metadata.labels?.role).toBe("worker");
    expect(Number(lines[2]?.object.metadata.resourceVersion)).toBeGreaterThan(Number(lines[1]?.object.metadata.resourceVersion));
  });

  test("resourceVersion 0 starts with ADDED for existing objects; namespaced watch filters namespaces", async () => {
    fake.control.createService({ namespace: "default", name: "a" });
    fake.control.createService({ namespace: "kube-system", name: "b" });
    const { lines } = await watchRaw("/api/v1/namespaces/kube-system/services?watch=1&resourceVersion=0", (l) => l.length >= 1);
    expect(lines.map((l) => `${l.type} ${l.object.metadata.name}`)).toEqual(["ADDED b"]);
  });

  test("bookmarks and timeoutSeconds", async () => {
    await fake.close();
    fake = await startKubeFake({ bookmarkIntervalMs: 0 });
    const rv = fake.control.resourceVersion();
    const { lines } = await watchRaw(`/api/v1/nodes?watch=true&allowWatchBookmarks=true&resourceVersion=${rv}`, (l) => l.length >= 1, () => {
      setTimeout(() => fake.control.sendBookmarks(), 10);
    });
    expect(lines[0]).toEqual({ type: "BOOKMARK", object: { kind: "Node", apiVersion: "v1", metadata: { resourceVersion: rv } } });
    const t0 = Date.now();
    const res = await watchRaw(`/api/v1/nodes?watch=true&timeoutSeconds=1&resourceVersion=${rv}`, () => false);
    expect(res.ended).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  test("expired resourceVersion: HTTP 410 or in-stream ERROR; failNext inStream", async () => {
    const old = fake.control.resourceVersion();
    fake.control.createNode({ name: "n1" });
    fake.control.compact();
    const r = await call(fake, "GET", `/api/v1/nodes?watch=true&resourceVersion=${old}`);
    expectStatusShape(r.body, 410, "Expired");
    fake.control.setExpiredWatchMode("event");
    const { lines, ended } = await watchRaw(`/api/v1/nodes?watch=true&resourceVersion=${old}`, () => false);
    expect(ended).toBe(true);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.type).toBe("ERROR");
    expectStatusShape(lines[0]?.object, 410, "Expired");
    // The current resourceVersion is still fine after compaction.
    fake.control.failNext({ pathRegex: "^/api/v1/nodes$", verb: "watch", status: 500, inStream: true });
    const injected = await watchRaw(`/api/v1/nodes?watch=true&resourceVersion=${fake.control.resourceVersion()}`, () => false);
    expect(injected.lines.map((l) => [l.type, l.object.code])).toEqual([["ERROR", 500]]);
  });
});

describe("server features", () => {
  test("bearer token: 401 Status without it, /version stays public", async () => {
    await fake.close();
    fake = await startKubeFake({ token: "s3cret" });
    let r = await call(fake, "GET", "/api/v1/nodes", undefined, { authorization: "Bearer wrong" });
    expectStatusShape(r.body, 401, "Unauthorized");
    r = await call(fake, "GET", "/api/v1/nodes");
    expect(r.status).toBe(200);
    r = await call(fake, "GET", "/version", undefined, { authorization: "" });
    expect((r.body as { major: string }).major).toBe("1");
    // The generated kubeconfig works as-is for client-node (http needs insecure-skip-tls-verify).
    const kc = new KubeConfig();
    kc.loadFromString(fake.kubeconfig());
    expect(kc.getCurrentCluster()?.skipTLSVerify).toBe(true);
    expect((await kc.makeApiClient(CoreV1Api).listNamespace()).items.length).toBe(4);
  });

  test("discovery documents and Table output", async () => {
    const api = (await call(fake, "GET", "/api")).body as { versions: string[] };
    expect(api.versions).toEqual(["v1"]);
    const groups = (await call(fake, "GET", "/apis")).body as { groups: { name: string }[] };
    expect(groups.groups.map((g) => g.name).sort()).toEqual(["cilium.io", "coordination.k8s.io", "events.k8s.io"]);
    const v1 = (await call(fake, "GET", "/api/v1")).body as { resources: { name: string }[] };
    expect(v1.resources.map((x) => x.name)).toEqual(expect.arrayContaining(["nodes", "nodes/status", "services", "services/status", "events", "namespaces"]));
    const ns = (await call(fake, "GET", "/api/v1/namespaces")).body as { items: KubeObject[] };
    expect(ns.items.map((x) => x.metadata.name)).toEqual(["default", "kube-node-lease", "kube-public", "kube-system"]);

    fake.control.createNode({ name: "n1", labels: { "node-role.kubernetes.io/worker": "" } });
    const t = await call(fake, "GET", "/api/v1/nodes?includeObject=Object", undefined, { accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" });
    const table = t.body as { kind: string; rows: { cells: unknown[]; object: KubeObject }[] };
    expect(table.kind).toBe("Table");
    expect(table.rows[0]?.cells.slice(0, 3)).toEqual(["n1", "Ready", "worker"]);
    expect(table.rows[0]?.object.kind).toBe("Node");
  });

  test("HTTP control API mirrors KubeControl", async () => {
    const post = (path: string, body?: unknown, method = "POST") => call(fake, method, `/__fake${path}`, body);
    expect((await post("/nodes", { name: "n1", labels: { role: "worker" } })).status).toBe(200);
    expect((await post("/nodes/n1/labels", { role: null, zone: "a" })).status).toBe(200);
    expect((await post("/nodes/n1/addresses", [{ type: "InternalIP", address: "10.1.1.1" }], "PUT")).status).toBe(200);
    expect((await post("/services", { name: "web", namespace: "default", ports: [80] })).status).toBe(200);
    expect((await post("/services/default/web/ingress", { ingress: ["10.20.0.10"] }, "PUT")).status).toBe(200);
    const node = fake.control.get("node", "n1");
    expect(node?.metadata.labels).toMatchObject({ zone: "a" });
    expect(node?.metadata.labels?.role).toBeUndefined();
    expect((node?.status as { addresses: unknown }).addresses).toEqual([{ type: "InternalIP", address: "10.1.1.1" }]);
    expect(fake.control.get("svc", "default", "web")?.status).toEqual({ loadBalancer: { ingress: [{ ip: "10.20.0.10" }] } });
    const objs = (await call(fake, "GET", "/__fake/objects/services")).body as KubeObject[];
    expect(objs.map((o) => o.metadata.name)).toEqual(["web"]);

    expect((await post("/fail-next", { path: "/api/v1/nodes", verb: "list", status: 503 })).status).toBe(200);
    expectStatusShape((await call(fake, "GET", "/api/v1/nodes")).body, 503, "ServiceUnavailable");
    expect((await call(fake, "GET", "/api/v1/nodes")).status).toBe(200);
    const reqs = (await call(fake, "GET", "/__fake/requests?verb=list")).body as { status: number }[];
    expect(reqs.map((x) => x.status)).toEqual([503, 200]);

    const silentRv = fake.control.resourceVersion();
    expect((await post("/nodes/n1?silent=true", undefined, "DELETE")).status).toBe(200);
    expect(Number(fake.control.resourceVersion())).toBe(Number(silentRv) + 1);
    expect((await post("/compact", { expiredAs: "event" })).body).toEqual({ resourceVersion: fake.control.resourceVersion() });
    expect((await post("/drop-watches")).body).toEqual({ dropped: 0 });
    expect((await post("/nodes/ghost", undefined, "DELETE")).status).toBe(404);
    expect((await post("/nope")).status).toBe(404);
    expect((await post("/reset")).status).toBe(200);
    expect(fake.control.list("services")).toEqual([]);
    expect(fake.control.requests()).toEqual([]);
  });
});

describe("cilium.io CRDs", () => {
  const POOLS = "/apis/cilium.io/v2/ciliumloadbalancerippools";
  test("one object served in v2 and v2alpha1 (list, get, watch), cluster-scoped, in discovery", async () => {
    const created = await fetch(`${fake.url}/apis/cilium.io/v2alpha1/ciliumloadbalancerippools`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ apiVersion: "cilium.io/v2alpha1", kind: "CiliumLoadBalancerIPPool", metadata: { name: "blue" }, spec: { blocks: [{ cidr: "10.20.0.0/24" }] } }),
    });
    expect(created.status).toBe(201);
    const v2 = (await (await fetch(`${fake.url}${POOLS}`)).json()) as { items: KubeObject[] };
    expect(v2.items.map((i) => [i.apiVersion, i.metadata.name])).toEqual([["cilium.io/v2", "blue"]]);
    const one = (await (await fetch(`${fake.url}/apis/cilium.io/v2alpha1/ciliumloadbalancerippools/blue`)).json()) as KubeObject;
    expect(one.apiVersion).toBe("cilium.io/v2alpha1");
    const { lines } = await watchRaw(`${POOLS}?watch=true`, (l) => l.length >= 1);
    expect(lines[0]?.object.apiVersion).toBe("cilium.io/v2");
    const group = (await (await fetch(`${fake.url}/apis/cilium.io`)).json()) as { preferredVersion: { version: string }; versions: unknown[] };
    expect(group.preferredVersion.version).toBe("v2");
    const v2alpha1 = (await (await fetch(`${fake.url}/apis/cilium.io/v2alpha1`)).json()) as { resources: { name: string; namespaced: boolean }[] };
    expect(v2alpha1.resources.filter((r) => !r.name.includes("/")).map((r) => r.name).sort()).toEqual([
      "ciliumbgpadvertisements",
      "ciliumbgpclusterconfigs",
      "ciliumbgppeerconfigs",
      "ciliumbgppeeringpolicies",
      "ciliumloadbalancerippools",
    ]);
    expect(v2alpha1.resources.every((r) => !r.namespaced)).toBe(true);
  });

  test("ciliumCrds: false — cilium.io is absent from discovery and its paths are 404", async () => {
    const bare = await startKubeFake({ ciliumCrds: false });
    try {
      const groups = (await (await fetch(`${bare.url}/apis`)).json()) as { groups: { name: string }[] };
      expect(groups.groups.map((g) => g.name)).not.toContain("cilium.io");
      expect(groups.groups.map((g) => g.name)).toContain("coordination.k8s.io");
      expect((await fetch(`${bare.url}/apis/cilium.io`)).status).toBe(404);
      expect((await fetch(`${bare.url}/apis/cilium.io/v2`)).status).toBe(404);
      const list = await fetch(`${bare.url}${POOLS}`);
      expect(list.status).toBe(404);
      expectStatusShape(await list.json(), 404, "NotFound");
    } finally {
      await bare.close();
    }
  });
});
