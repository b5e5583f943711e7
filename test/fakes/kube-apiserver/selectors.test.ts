import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startKubeFake } from "./index.ts";
import type { KubeFake } from "./index.ts";
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from "./selectors.ts";
import type { KubeObject } from "./types.ts";
import { call, expectStatusShape } from "./test-helpers.ts";

const labels = { "homelab/role": "worker", zone: "a", tier: "3", empty: "" };

describe("label selector matching", () => {
  const cases: [string, boolean][] = [
    ["", true],
    ["homelab/role=worker", true],
    ["homelab/role==worker", true],
    ["homelab/role = worker", true],
    ["homelab/role=master", false],
    ["homelab/role!=master", true],
    ["homelab/role!=worker", false],
    ["missing!=x", true], // != matches absent keys
    ["zone in (a,b)", true],
    ["zone in (b, c)", false],
    ["missing in (a)", false],
    ["zone notin (b,c)", true],
    ["zone notin (a)", false],
    ["missing notin (a)", true],
    ["zone", true],
    ["missing", false],
    ["!missing", true],
    ["!zone", false],
    ["empty", true],
    ["empty=", true],
    ["zone=a,homelab/role=worker", true],
    ["zone=a,homelab/role=master", false],
    ["zone in (a),!missing,tier", true],
    ["tier>2", true],
    ["tier<2", false],
    ["zone>1", false], // non-numeric value never matches Gt/Lt
  ];
  test.each(cases)("%j -> %s", (sel, want) => {
    expect(matchesLabels(parseLabelSelector(sel), labels)).toBe(want);
  });

  test("parsed form", () => {
    expect(parseLabelSelector("a=b,c!=d,e in (f,g),h notin (i),j,!k")).toEqual([
      { key: "a", op: "=", values: ["b"] },
      { key: "c", op: "!=", values: ["d"] },
      { key: "e", op: "in", values: ["f", "g"] },
      { key: "h", op: "notin", values: ["i"] },
      { key: "j", op: "exists", values: [] },
      { key: "k", op: "!", values: [] },
    ]);
  });

  const malformed = ["a=b=c", "a in b", "a in (b", "in (a)", "a notin ()", "=a", "a,", ",a", "a!", "a==(b)", "a b", "-bad=1", "a=b c", "x=" + "v".repeat(64), "Bad_Prefix.io/x=1", "a<b"];
  test.each(malformed)("malformed %j throws a 400 ApiError", (sel) => {
    expect(() => parseLabelSelector(sel)).toThrowError(expect.objectContaining({ code: 400, reason: "BadRequest" }));
  });
});

describe("field selector matching", () => {
  const svc: KubeObject = { metadata: { name: "web", namespace: "default" }, spec: { type: "LoadBalancer", clusterIP: "10.96.0.1" } };
  const cases: [string, boolean][] = [
    ["metadata.name=web", true],
    ["metadata.name==web", true],
    ["metadata.name!=web", false],
    ["metadata.namespace=default,spec.type=LoadBalancer", true],
    ["metadata.namespace=default,spec.type=ClusterIP", false],
    ["spec.type!=ClusterIP", true],
  ];
  test.each(cases)("%j -> %s", (sel, want) => {
    expect(matchesFields(parseFieldSelector(sel, ["metadata.name", "metadata.namespace", "spec.type"]), svc)).toBe(want);
  });

  test("escaped separators in values", () => {
    expect(parseFieldSelector("metadata.name=a\\,b")).toEqual([{ field: "metadata.name", op: "=", value: "a,b" }]);
  });

  test("unsupported field and garbage are 400", () => {
    expect(() => parseFieldSelector("spec.foo=1", ["metadata.name"])).toThrowError(expect.objectContaining({ code: 400 }));
    expect(() => parseFieldSelector("nonsense", ["metadata.name"])).toThrowError(expect.objectContaining({ code: 400 }));
  });
});

describe("selectors over HTTP", () => {
  let fake: KubeFake;
  beforeAll(async () => {
    fake = await startKubeFake();
    fake.control.createNode({ name: "w1", labels: { role: "worker", zone: "a" } });
    fake.control.createNode({ name: "w2", labels: { role: "worker", zone: "b" } });
    fake.control.createNode({ name: "cp", labels: { role: "cp" } });
  });
  afterAll(() => fake.close());

  const names = async (q: string): Promise<string[]> => {
    const r = await call(fake, "GET", `/api/v1/nodes?${q}`);
    expect(r.status).toBe(200);
    return (r.body as { items: KubeObject[] }).items.map((i) => i.metadata.name ?? "");
  };

  test("list filters by label and field selectors", async () => {
    expect(await names(`labelSelector=${encodeURIComponent("role=worker,zone notin (b)")}`)).toEqual(["w1"]);
    expect(await names(`labelSelector=${encodeURIComponent("role in (cp,worker),!zone")}`)).toEqual(["cp"]);
    expect(await names(`fieldSelector=${encodeURIComponent("metadata.name!=cp")}&limit=1&continue=abc`)).toEqual(["w1", "w2"]);
  });

  test("malformed selectors answer 400 Status (list and watch)", async () => {
    for (const q of ["labelSelector=a%20in%20b", "fieldSelector=spec.foo%3D1", "watch=true&labelSelector=%3D%3D"]) {
      const r = await call(fake, "GET", `/api/v1/nodes?${q}`);
      expect(r.status, q).toBe(400);
      expectStatusShape(r.body, 400, "BadRequest");
    }
  });
});
