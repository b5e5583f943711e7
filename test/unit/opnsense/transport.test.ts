import { Writable } from "node:stream";
import nock from "nock";
import pino from "pino";
import { describe, expect, test } from "vitest";
import { OpnsenseError } from "../../../src/opnsense/index.ts";
import { API_KEY, API_SECRET, AUTH_HEADER, BASE, api, client, inspect, netError, rejectionOf, useNock } from "./helpers.ts";

/** What checkReachable asks: an alias nobody uses (`[]`), a few bytes. */
const PROBE = "/api/firewall/alias/getAliasUUID/opnsense_bgp_agent_probe";

useNock();

const NEIGHBOR_SPEC = {
  enabled: true,
  address: "10.0.20.11",
  remoteAs: 64555,
  updateSource: "lan",
  linkLocalInterface: "",
  description: "opnsense-bgp-agent:default node=worker-1",
  keepalive: null,
  holddown: null,
  connectTimer: null,
  bfd: false,
  multihop: false,
  password: "",
  peerGroup: "",
prefixListIn: "",
};

/** The error `frrStatus()` fails with, against whatever reply the test set up. */
async function frrStatusError(): Promise<OpnsenseError> {
  const e = await rejectionOf(client().frrStatus());
  expect(e).toBeInstanceOf(OpnsenseError);
  return e as OpnsenseError;
}

describe("requests", () => {
  test("GET carries Basic auth, no body and no content type (§1.3)", async () => {
    const scope = api({ badheaders: ["content-type"] }).get("/api/quagga/service/status").reply(200, { status: "running", widget: {} });
    expect(await client().frrStatus()).toBe("running");
    scope.done();
  });

  test("action POSTs send {} with the JSON content type, never an empty JSON body", async () => {
    let body: unknown;
    const scope = api()
      .matchHeader("content-type", "application/json")
      .post("/api/quagga/service/reconfigure", (b: unknown) => {
        body = b;
        return true;
      })
      .reply(200, { status: "ok" });
    await client().reconfigureFrr();
    expect(body).toEqual({});
    scope.done();
  });
});

describe("error mapping", () => {
  test("401 → auth, no retry", async () => {
    api().get("/api/quagga/service/status").once().reply(401, { status: 401, message: "Authentication Failed" });
    const e = await frrStatusError();
    expect(e.kind).toBe("auth");
    expect(e.status).toBe(401);
    expect(nock.pendingMocks()).toEqual([]);
  });

  test("403 → permission naming the privilege, no retry", async () => {
    api().get("/api/quagga/service/status").once().reply(403, { status: 403, message: "Forbidden" });
    const e = await rejectionOf(client().frrStatus());
    expect(e).toMatchObject({ kind: "permission", status: 403, endpoint: "quagga/service/status" });
    expect((e as OpnsenseError).privilege).toContain("page-routing");
    expect((e as Error).message).toContain('"Routing" (page-routing)');
  });

  test("400 Invalid JSON syntax → unexpected, no retry", async () => {
    api().get("/api/quagga/service/status").once().reply(400, { status: 400, message: "Invalid JSON syntax" });
    const e = await rejectionOf(client().frrStatus());
    expect(e).toMatchObject({ kind: "unexpected", status: 400 });
    expect((e as Error).message).toContain("Invalid JSON syntax");
  });

  test("validation failure: field map in the error, strings and string arrays, no retry", async () => {
    api()
      .post(/\/api\/quagga\/bgp\/setNeighbor\/.+/)
      .once()
      .reply(200, {
        result: "failed",
        validations: {
          "neighbor.address": "Please specify a valid network segment or IP address.",
          "neighbor.remoteas": ["A value is required.", "Value out of range."],
        },
      });
    const e = (await rejectionOf(client().createNeighbor({ ...NEIGHBOR_SPEC, address: "bogus" }, []))) as OpnsenseError;
    expect(e.kind).toBe("validation");
    expect(e.validations).toEqual({
      "neighbor.address": ["Please specify a valid network segment or IP address."],
      "neighbor.remoteas": ["A value is required.", "Value out of range."],
    });
    expect(e.message).toBe(
      "POST quagga/bgp/setNeighbor: validation failed: neighbor.address: Please specify a valid network segment or IP address.; neighbor.remoteas: A value is required. Value out of range.",
    );
    expect(nock.pendingMocks()).toEqual([]);
  });

  test('{"result":"failed"} without validations → unexpected mentioning the wrapper key', async () => {
    api().post(/\/api\/quagga\/bgp\/setNeighbor\/.+/).once().reply(200, { result: "failed" });
    const e = (await rejectionOf(client().createNeighbor(NEIGHBOR_SPEC, []))) as OpnsenseError;
    expect(e.kind).toBe("unexpected");
    expect(e.message).toMatch(/wrapped in the item key/);
  });

  test("non-JSON 200 body → unexpected garbage reply", async () => {
    api().get("/api/quagga/service/status").once().reply(200, "<html><body>Login</body></html>", { "content-type": "text/html" });
    const e = (await rejectionOf(client().frrStatus())) as OpnsenseError;
    expect(e.kind).toBe("unexpected");
    expect(e.message).toMatch(/^GET quagga\/service\/status: garbage reply/);
  });

  test("an unexpected JSON shape → unexpected naming the endpoint", async () => {
    api().get("/api/quagga/general/get").reply(200, { general: { enabled: { weird: true } } });
    api().get("/api/quagga/bgp/get").reply(200, { bgp: { enabled: "1", asnumber: "64555" } });
    api().get("/api/firewall/category/searchItem").reply(200, { rows: [] });
    api().get("/api/firewall/alias/get").reply(200, { alias: { aliases: { alias: [] } } });
    api().get("/api/firewall/filter/get").reply(200, { filter: { rules: { rule: [] } } });
    api().get("/api/quagga/diagnostics/generalrunningconfig").reply(200, { response: [] });
    const e = (await rejectionOf(client().readSnapshot({ aliasNames: [] }))) as OpnsenseError;
    expect(e.kind).toBe("unexpected");
    expect(e.message).toMatch(/^GET quagga\/general\/get: unexpected reply shape: general\.enabled/);
  });

  test("500 in use → in-use (entities of 26.7.1+ decoded), no retry", async () => {
    api()
      .post(`/api/firewall/alias/delItem/abc`)
      .once()
      .reply(500, { errorMessage: "Cannot delete alias k8s_nodes. Currently in use by [Rule] &lt;agent&gt;", errorTitle: "Alias in use" });
    const e = (await rejectionOf(client().deleteAlias("abc"))) as OpnsenseError;
    expect(e.kind).toBe("in-use");
    expect(e.message).toContain("<agent>");
  });

  test("delete of something already gone is success", async () => {
    const scope = api().post("/api/quagga/bgp/delNeighbor/abc").reply(200, { result: "not found" });
    await client().deleteNeighbor("abc");
    scope.done();
  });
});

describe("retries (transient only)", () => {
  test("503 then success", async () => {
    const scope = api().get("/api/quagga/service/status").reply(503, "busy").get("/api/quagga/service/status").reply(200, { status: "running" });
    expect(await client().frrStatus()).toBe("running");
    scope.done();
  });

  test("ECONNRESET then success", async () => {
    const scope = api()
      .get("/api/quagga/service/status")
      .replyWithError(netError("ECONNRESET", "socket hang up"))
      .get("/api/quagga/service/status")
      .reply(200, { status: "running" });
    expect(await client().frrStatus()).toBe("running");
    scope.done();
  });

  test('500 "Unexpected error" is retried', async () => {
    const scope = api()
      .get("/api/quagga/service/status")
      .reply(500, { errorMessage: "Unexpected error, check log for details" })
      .get("/api/quagga/service/status")
      .reply(200, { status: "stopped" });
    expect(await client().frrStatus()).toBe("stopped");
    scope.done();
  });

  test("gives up after the retry budget with a transient error", async () => {
    api().get("/api/quagga/service/status").times(3).reply(502, "bad gateway");
    const e = (await rejectionOf(client({ retries: 2 }).frrStatus())) as OpnsenseError;
    expect(e.kind).toBe("transient");
    expect(e.status).toBe(502);
    expect(nock.pendingMocks()).toEqual([]);
  });

  test("create after a 503 retries the same uuid (set/<uuid> upsert, never a duplicate)", async () => {
    const seen: string[] = [];
    api()
      .post(/\/api\/quagga\/bgp\/setNeighbor\/.+/)
      .times(2)
      .reply(async (req: unknown) => {
        seen.push((await inspect(req)).path);
        return seen.length === 1 ? [503, "busy"] : [200, { result: "saved" }];
      });
    const uuid = await client().createNeighbor(NEIGHBOR_SPEC, []);
    expect(seen).toEqual([`/api/quagga/bgp/setNeighbor/${uuid}`, `/api/quagga/bgp/setNeighbor/${uuid}`]);
  });

  test("timeout → transient error after retries", async () => {
    api().get("/api/quagga/service/status").times(2).delay(300).reply(200, { status: "running" });
    const e = (await rejectionOf(client({ timeoutMs: 50, retries: 1 }).frrStatus())) as OpnsenseError;
    expect(e.kind).toBe("transient");
    expect(e.message).toMatch(/timeout/);
  });

  test("connection refused → unreachable naming the URL", async () => {
    const c = client({ url: "http://127.0.0.1:1", retries: 0 });
    const e = (await rejectionOf(c.frrStatus())) as OpnsenseError;
    expect(e.kind).toBe("unreachable");
    expect(e.message).toContain("http://127.0.0.1:1");
    expect(e.message).toContain("ECONNREFUSED");
  });
});

describe("actions", () => {
  test("reconfigure: empty status after the configd timeout → transient", async () => {
    api().post("/api/quagga/service/reconfigure").reply(200, { status: "" });
    expect(await rejectionOf(client().reconfigureFrr())).toMatchObject({ kind: "transient" });
  });

  test('reconfigure: " OK " accepted, "failed" is unexpected', async () => {
    api().post("/api/quagga/service/reconfigure").reply(200, { status: " OK\n" });
    await client().reconfigureFrr();
    api().post("/api/quagga/service/reconfigure").reply(200, { status: "failed" });
    expect(await rejectionOf(client().reconfigureFrr())).toMatchObject({ kind: "unexpected" });
  });

  test('filter apply with revision: "OK\\n\\n" compared trimmed', async () => {
    const scope = api().post("/api/firewall/filter/apply/1786899650.62").reply(200, { status: "OK\n\n" });
    await client().applyFilter("1786899650.62");
    scope.done();
  });

  test("alias reconfigure", async () => {
    const scope = api().post("/api/firewall/alias/reconfigure").reply(200, { status: "ok" });
    await client().reloadAliases();
    scope.done();
  });

  test("savepoint returns the revision; 404 (26.7+) → null", async () => {
    api().post("/api/firewall/filter/savepoint").reply(200, { status: "ok", retention: "100", revision: "1786899650.62" });
    expect(await client().savepoint()).toBe("1786899650.62");
    api().post("/api/firewall/filter/savepoint").reply(404, { errorMessage: "Endpoint not found" });
    expect(await client().savepoint()).toBeNull();
  });

  test('cancelRollback: "\\n\\n" ok; "Execute error" = no timer pending → error', async () => {
    api().post("/api/firewall/filter/cancelRollback/1786899650.62").reply(200, { status: "\n\n" });
    await client().cancelRollback("1786899650.62");
    api().post("/api/firewall/filter/cancelRollback/1786899650.62").reply(200, { status: "Execute error\n\n" });
    expect(await rejectionOf(client().cancelRollback("1786899650.62"))).toMatchObject({ kind: "unexpected" });
  });

  test("checkReachable (a tiny alias lookup, not general/get): 2xx true, 5xx/timeout/network false, single attempt", async () => {
    api().get(PROBE).reply(200, []);
    expect(await client().checkReachable(500)).toBe(true);
    api().get(PROBE).once().reply(503, "");
    expect(await client().checkReachable(500)).toBe(false);
    api().get(PROBE).once().delay(300).reply(200, []);
    expect(await client().checkReachable(50)).toBe(false);
    api().get(PROBE).once().replyWithError(netError("ECONNREFUSED", "refused"));
    expect(await client().checkReachable(500)).toBe(false);
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe("secrets", () => {
  test("neither the key, the secret nor the Authorization header appear in errors or logs", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const logger = pino({ level: "debug" }, sink);
    const events: unknown[] = [];
    const c = client({ logger, retries: 1, onRequest: (e) => events.push(e) });
    api().get("/api/quagga/service/status").reply(401, { status: 401, message: "Authentication Failed" });
    api().post("/api/firewall/filter/delRule/abc").times(2).replyWithError(netError("ECONNRESET", "socket hang up"));
    // a proxy or broken server that echoes the request headers back
    api().get("/api/firewall/category/searchItem").reply(502, `upstream said: authorization: ${AUTH_HEADER} key=${API_KEY}`);
    api().get("/api/firewall/category/searchItem").reply(500, { errorMessage: `echo ${API_SECRET}` });
    api().post("/api/firewall/alias/reconfigure").reply(200, "garbage");
    const errors = [
      await rejectionOf(c.frrStatus()),
      await rejectionOf(c.deleteRule("abc")),
      await rejectionOf(c.readSnapshot({ aliasNames: [] })),
      await rejectionOf(c.reloadAliases()),
    ];
    const texts = [...errors.map((e) => `${String(e)} ${JSON.stringify(e)} ${(e as Error).stack ?? ""}`), ...lines, JSON.stringify(events)];
    expect(lines.length).toBeGreaterThan(0);
    const b64 = AUTH_HEADER.slice("Basic ".length);
    for (const t of texts) {
      expect(t).not.toContain(API_KEY);
      expect(t).not.toContain(API_SECRET);
      expect(t).not.toContain(b64);
    }
    expect(lines.some((l) => l.includes('"endpoint":"quagga/service/status"') && l.includes('"status":401'))).toBe(true);
    expect(events).toContainEqual(expect.objectContaining({ method: "GET", endpoint: "quagga/service/status", status: 401 }));
  });

  test("the onRequest endpoint has no ids", async () => {
    const events: Array<{ endpoint: string }> = [];
    api().post("/api/firewall/filter/delRule/abc").reply(200, { result: "deleted" });
    await client({ onRequest: (e) => events.push(e) }).deleteRule("abc");
    expect(events.map((e) => e.endpoint)).toEqual(["firewall/filter/delRule"]);
  });
});

test("base URL with a trailing slash", async () => {
  const scope = nock(BASE).get("/api/quagga/service/status").reply(200, { status: "running" });
  expect(await client({ url: `${BASE}/` }).frrStatus()).toBe("running");
  scope.done();
});
