import { describe, expect, it } from "vitest";
import https from "node:https";
import { X509Certificate } from "node:crypto";
import { DEFAULT_API_KEY, DEFAULT_API_SECRET } from "./index.ts";
import { control, flatten, simulatorOnly, useTarget } from "./target.ts";
import { at, basic, call, keysOf, start } from "./test-client.ts";

const t = await useTarget();
const needsControl = simulatorOnly(t, "needs the control API");

describe("§1.1 routing", () => {
  it.each([
    ["/api/quagga/bgp/search_neighbor"],
    ["/api/quagga/bgp/searchNeighbor"],
    ["/api/quagga/bgp/SEARCHNEIGHBOR"],
    ["/api/firewall/alias_util/aliases"],
  ])("snake_case and camelCase reach the same action: %s", async (path) => {
    const r = await t.call("GET", path);
    expect(r.status).toBe(200);
  });

  it("unknown endpoint → 404 Endpoint not found, even without credentials", async () => {
    for (const path of ["/api/quagga/bgp/nosuch", "/api/nosuch/x/y", "/api/firewall/filter/bogus"]) {
      const r = await t.call("GET", path, { auth: null });
      expect(r.status).toBe(404);
      expect(r.json).toEqual({ errorMessage: "Endpoint not found" });
    }
  });

  it("missing required path parameter → 404 (ParameterMismatch)", async () => {
    const r = await t.call("POST", "/api/quagga/bgp/delNeighbor", { auth: null });
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ errorMessage: "Endpoint not found" });
  });

  it("extra path segments are ignored", async () => {
    const r = await t.call("GET", "/api/quagga/diagnostics/generalrunningconfig/plain");
    expect(r.status).toBe(200);
    expect(typeof at(r.json, "response")).toBe("string");
  });

  needsControl.it("os-frr not installed → 404 on /api/quagga/* (probe), other modules still work", async () => {
    control(t).setFrrInstalled(false);
    expect((await t.call("GET", "/api/quagga/bgp/get")).status).toBe(404);
    expect((await t.call("GET", "/api/firewall/filter/getRule")).status).toBe(200);
  });

  needsControl.it("frrInstalled:false start option", async () => {
    const s = await start({ frrInstalled: false });
    try {
      expect((await call(s, "GET", "/api/quagga/general/get")).status).toBe(404);
    } finally {
      await s.close();
    }
  });
});

describe("§1.2 authentication and privileges", () => {
  it("default keys look like real ones: 80 chars base64", () => {
    expect(DEFAULT_API_KEY).toMatch(/^[A-Za-z0-9+/]{80}$/);
    expect(DEFAULT_API_SECRET).toMatch(/^[A-Za-z0-9+/]{80}$/);
    expect(DEFAULT_API_KEY).not.toBe(DEFAULT_API_SECRET);
  });

  it("no Authorization header → 302 to the login page (GUI session path), empty body", async () => {
    const r = await t.call("GET", "/api/quagga/bgp/get?x=1", { auth: null });
    expect(r.status).toBe(302);
    expect(r.headers.get("location")).toBe("/?url=/api/quagga/bgp/get?x=1");
    expect(r.text).toBe("");
    expect(r.json).toBeUndefined();
  });

  it.each([
    ["wrong secret", basic(DEFAULT_API_KEY, "nope")],
    ["wrong key", basic("nope", DEFAULT_API_SECRET)],
    ["malformed header", "Basic !!!"],
  ])("%s → 401 JSON Authentication Failed", async (_n, header) => {
    const r = await t.call("GET", "/api/quagga/bgp/get", { auth: header });
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ status: 401, message: "Authentication Failed" });
  });

  it("the word Basic is not checked", async () => {
    const token = Buffer.from(`${t.apiKey}:${t.apiSecret}`).toString("base64");
    expect((await t.call("GET", "/api/quagga/bgp/get", { auth: `Whatever ${token}` })).status).toBe(200);
  });

  it("a failed key:secret check is padded (~2 s); a malformed header is refused at once", async () => {
    // the simulator pads by its configured delay; OPNsense aims at 2 s in total
    const pad = t.control ? 300 : 1500;
    t.control?.setAuthFailDelayMs(300);
    const t0 = Date.now();
    expect((await t.call("GET", "/api/quagga/bgp/get", { auth: basic("x", "y") })).status).toBe(401);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(pad - 10);
    const t1 = Date.now();
    expect((await t.call("GET", "/api/quagga/bgp/get", { auth: "Basic" })).status).toBe(401);
    expect((await t.call("GET", "/api/quagga/bgp/get", { auth: `Basic ${Buffer.from("nocolon").toString("base64")}` })).status).toBe(401);
    expect((await t.call("GET", "/api/quagga/bgp/get")).status).toBe(200);
    expect(Date.now() - t1).toBeLessThan(pad);
    t.control?.setAuthFailDelayMs(0);
  });

  needsControl.it("custom key/secret", async () => {
    const s = await start({ apiKey: "k", apiSecret: "s" });
    try {
      expect((await call(s, "GET", "/api/quagga/bgp/get", { auth: basic("k", "s") })).status).toBe(200);
      expect((await call(s, "GET", "/api/quagga/bgp/get", { auth: basic(DEFAULT_API_KEY, DEFAULT_API_SECRET) })).status).toBe(401);
    } finally {
      await s.close();
    }
  });

  (t.control ? it : it.skip).each([
    ["page-routing", "/api/quagga/bgp/searchNeighbor"],
    ["page-filter-api", "/api/firewall/filter/searchRule"],
    ["page-firewall-alias-edit", "/api/firewall/alias/searchItem"],
    ["page-firewall-categories", "/api/firewall/category/searchItem"],
    ["page-diagnostics-tables", "/api/firewall/alias_util/aliases"],
  ] as const)("missing %s → 403 on %s, other privileges still granted [simulator-only: needs the control API]", async (acl, path) => {
    const all = ["page-routing", "page-filter-api", "page-firewall-alias-edit", "page-firewall-categories", "page-diagnostics-tables"] as const;
    control(t).setPrivileges(all.filter((a) => a !== acl));
    const r = await t.call("GET", path);
    expect(r.status).toBe(403);
    expect(r.json).toEqual({ status: 403, message: "Forbidden" });
    control(t).setPrivileges([acl]);
    expect((await t.call("GET", path)).status).toBe(200);
  });

  needsControl.it("read-only user → 500 on writes, reads still work", async () => {
    control(t).setConfigReadonly(true);
    const w = await t.call("POST", "/api/firewall/category/addItem", { body: { category: { name: "x" } } });
    expect(w.status).toBe(500);
    expect(String(at(w.json, "errorMessage"))).toContain("denied for write access (user-config-readonly set)");
    expect((await t.call("GET", "/api/firewall/category/searchItem")).status).toBe(200);
    expect(control(t).counters().writes).toBe(0);
  });
});

describe("§1.3 request bodies", () => {
  it.each(["GET", "POST"])("JSON content type with empty body → 400 Invalid JSON syntax (%s)", async (method) => {
    const r = await t.call(method, "/api/quagga/bgp/getNeighbor", { raw: "", contentType: "application/json" });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ status: 400, message: "Invalid JSON syntax" });
  });

  it("content type check ignores case and spaces", async () => {
    const r = await t.call("POST", "/api/quagga/service/reconfigure", { raw: "", contentType: "Application/JSON; charset=UTF-8" });
    expect(r.status).toBe(400);
  });

  it.each([
    ["missing wrapper key", { address: "10.0.0.1" }],
    ["invalid JSON", "{nope"],
    ["JSON scalar", 42],
    ["JSON array", [{ neighbor: { address: "10.0.0.1" } }]],
  ])("%s → {result: failed} without validations", async (_n, body) => {
    const r =
      typeof body === "string"
        ? await t.call("POST", "/api/quagga/bgp/addNeighbor", { raw: body, contentType: "application/json" })
        : await t.call("POST", "/api/quagga/bgp/addNeighbor", { body });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ result: "failed" });
  });

  it("array as a leaf value: PHP error (<25.1), saved as 'Array' (25.1–26.1.10), refused (26.1.11+)", async () => {
    const neighbor = { address: "10.0.20.11", remoteas: "64555", description: ["contract array leaf"] };
    const r = await t.call("POST", "/api/quagga/bgp/addNeighbor", { body: { neighbor } });
    switch (t.features.arrayLeaf) {
      case "error":
        expect(r.status).toBe(500);
        expect(r.json).toEqual({ errorMessage: "Unexpected error, check log for details" });
        break;
      case "saved": {
        expect(r.status).toBe(200);
        expect(at(r.json, "result")).toBe("saved");
        const got = await t.call("GET", `/api/quagga/bgp/getNeighbor/${String(at(r.json, "uuid"))}`);
        expect(at(got.json, "neighbor", "description")).toBe("Array");
        break;
      }
      case "refused":
        // setNodes() throws a plain Exception ("expected a single value, not a list"): api.php hides it
        expect(r.status).toBe(500);
        expect(r.json).toEqual({ errorMessage: "Unexpected error, check log for details" });
        break;
    }
    const rows = at((await t.call("GET", "/api/quagga/bgp/searchNeighbor")).json, "rows");
    expect(Array.isArray(rows) ? rows.length : -1).toBe(t.features.arrayLeaf === "saved" ? 1 : 0);
  });

  it("JSON true → '1', numbers accepted as strings", async () => {
    const r = await t.call("POST", "/api/quagga/bgp/addNeighbor", {
      body: { neighbor: { enabled: true, address: "10.0.20.11", remoteas: 64555, keepalive: 30, holddown: 90 } },
    });
    expect(at(r.json, "result")).toBe("saved");
    const n = flatten(at((await t.call("GET", `/api/quagga/bgp/getNeighbor/${String(at(r.json, "uuid"))}`)).json, "neighbor"));
    expect(n).toMatchObject({ enabled: "1", remoteas: "64555", keepalive: "30", holddown: "90" });
  });

  it("JSON false → '' (so a required boolean fails)", async () => {
    const r = await t.call("POST", "/api/quagga/bgp/addNeighbor", { body: { neighbor: { enabled: false, address: "10.0.20.11", remoteas: "1" } } });
    expect(r.json).toEqual({ result: "failed", validations: { "neighbor.enabled": "A value is required." } });
  });

  it("form-urlencoded with nested keys works", async () => {
    const r = await t.call("POST", "/api/quagga/bgp/addNeighbor", {
      raw: "neighbor[address]=10.0.20.12&neighbor[remoteas]=64555",
      contentType: "application/x-www-form-urlencoded",
    });
    expect(at(r.json, "result")).toBe("saved");
  });

  it("other content types are ignored (body unparsed)", async () => {
    const r = await t.call("POST", "/api/quagga/bgp/addNeighbor", { raw: '{"neighbor":{"address":"10.0.0.1"}}', contentType: "text/plain" });
    expect(r.json).toEqual({ result: "failed" });
  });
});

describe("§1.4 HTTP methods", () => {
  it.each([
    ["GET", "/api/quagga/bgp/addNeighbor", { result: "failed" }],
    ["GET", "/api/firewall/filter/delRule/x", { result: "failed" }],
    ["GET", "/api/firewall/alias/toggleItem/x", { result: "failed" }],
    ["GET", "/api/quagga/bgp/set", { result: "failed" }],
    ["GET", "/api/quagga/service/reconfigure", { status: "failed" }],
    ["GET", "/api/firewall/alias/reconfigure", { status: "failed" }],
    ["GET", "/api/firewall/filter/apply", { status: "error" }],
    ["GET", "/api/quagga/service/restart", { response: [] }],
    ["POST", "/api/quagga/bgp/get", []],
    ["POST", "/api/quagga/general/get", []],
    ["POST", "/api/firewall/filter/get", []],
    ["POST", "/api/firewall/alias/get", []],
    ["GET", "/api/firewall/alias_util/flush/bogons", { status: "failed" }],
  ])("%s %s → %j", async (method, path, expected) => {
    const r = await t.call(method, path);
    expect(r.status).toBe(200);
    expect(r.json).toEqual(expected);
  });

  needsControl.it("wrong method changes nothing", async () => {
    await t.call("GET", "/api/quagga/service/reconfigure");
    expect(control(t).counters().reconfigures).toBe(0);
  });
});

describe("§1.5 response encoding", () => {
  it("JSON content type and escaped slashes", async () => {
    const add = await t.call("POST", "/api/firewall/alias/addItem", { body: { alias: { name: "nets", type: "network", content: "10.0.0.0/8" } } });
    expect(at(add.json, "result")).toBe("saved");
    const r = await t.call("GET", "/api/firewall/alias/get");
    expect(r.contentType).toBe("application/json; charset=UTF-8");
    expect(r.text).toContain("10.0.0.0\\/8");
  });

  simulatorOnly(t, "legacy rules are seeded through the control API").it("handler failures are generic 500s, user errors carry errorTitle", async () => {
    const cat = control(t).seedCategory({ name: "c" });
    control(t).seedLegacyRule({ category: ["c"] });
    const r = await t.call("POST", `/api/firewall/category/delItem/${cat}`);
    expect(r.status).toBe(500);
    expect(keysOf(r.json).sort()).toEqual(["errorMessage", "errorTitle"]);
  });
});

describe("§1.6 TLS", () => {
  simulatorOnly(t, "the real harness serves plain HTTP").it("self-signed certificate: DNS SAN only, ~397 days; usable via servername", async () => {
    const s = await start({ tls: { hostname: "opnsense.lan" } });
    try {
      expect(s.url.startsWith("https://127.0.0.1:")).toBe(true);
      expect(s.hostname).toBe("opnsense.lan");
      const cert = new X509Certificate(s.caPem ?? "");
      expect(cert.subjectAltName).toBe("DNS:opnsense.lan");
      const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86400000;
      expect(Math.round(days)).toBe(397);
      const get = (servername: string): Promise<number> =>
        new Promise((resolve, reject) => {
          const u = new URL(s.url);
          const req = https.request(
            { host: "127.0.0.1", port: u.port, path: "/api/quagga/bgp/get", servername, ca: s.caPem, headers: { authorization: basic(s.apiKey, s.apiSecret) } },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on("error", reject);
          req.end();
        });
      expect(await get("opnsense.lan")).toBe(200);
      // connecting by IP without a servername fails hostname verification (no IP SAN)
      await expect(
        new Promise((resolve, reject) => {
          const u = new URL(s.url);
          const req = https.request({ host: "127.0.0.1", port: u.port, path: "/", ca: s.caPem }, resolve);
          req.on("error", reject);
          req.end();
        }),
      ).rejects.toThrow();
    } finally {
      await s.close();
    }
  });
});
