import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { classify, startRecordingProxy, type RecordingProxy } from "./recording-proxy.ts";

describe("classify (contract: writes save config.xml, applies make configd act)", () => {
  it.each([
    ["GET", "/api/quagga/bgp/get", "read"],
    ["GET", "/api/firewall/filter/getRule", "read"],
    ["POST", "/api/firewall/filter/searchRule", "read"],
    ["GET", "/api/quagga/diagnostics/bgpsummary", "read"],
    ["POST", "/api/quagga/bgp/setNeighbor/0c4f4a3e-6f8e-4ab1-9a0e-6c1a4c3b2a10", "write"],
    ["POST", "/api/quagga/bgp/addNeighbor", "write"],
    ["POST", "/api/firewall/alias/set_item/0c4f4a3e-6f8e-4ab1-9a0e-6c1a4c3b2a10", "write"],
    ["POST", "/api/firewall/filter/delRule/x", "write"],
    ["POST", "/api/firewall/filter/toggleRule/x/0", "write"],
    ["POST", "/api/quagga/general/set", "write"],
    ["POST", "/api/firewall/filter/savepoint", "write"],
    ["POST", "/api/quagga/service/reconfigure", "apply"],
    ["POST", "/api/firewall/alias/reconfigure", "apply"],
    ["POST", "/api/firewall/filter/apply/1786899650.62", "apply"],
    ["POST", "/api/firewall/filter/cancel_rollback/1786899650.62", "apply"],
    ["POST", "/api/firewall/filter/revert/1786899650.62", "apply"],
    // A GET never writes (the mutating actions act on POST only).
    ["GET", "/api/quagga/bgp/setNeighbor/x", "read"],
    ["GET", "/api/firewall/filter/savepoint", "read"],
    ["POST", "/not-api/set", "read"],
  ])("%s %s → %s", (method, path, kind) => {
    expect(classify(method, path)).toBe(kind);
  });
});

describe("recording proxy", () => {
  let upstream: http.Server;
  let proxy: RecordingProxy;
  afterEach(async () => {
    await proxy.close();
    if (upstream.listening) await new Promise<void>((r) => upstream.close(() => r()));
  });

  it("forwards method, path, query, headers and body both ways and records each call's status", async () => {
    const seen: { method?: string; url?: string; auth?: string; host?: string; body: string }[] = [];
    upstream = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, host: req.headers.host, body });
        const status = req.url?.includes("missing") ? 404 : 200;
        res.writeHead(status, { "content-type": "application/json", "x-upstream": "yes" });
        res.end(JSON.stringify({ echo: body, status }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    proxy = await startRecordingProxy(target);

    const post = await fetch(`${proxy.url}/api/quagga/bgp/setNeighbor/u1?x=1`, {
      method: "POST",
      headers: { authorization: "Basic abc", "content-type": "application/json" },
      body: JSON.stringify({ neighbor: { address: "10.0.0.1" } }),
    });
    expect(post.status).toBe(200);
    expect(post.headers.get("x-upstream")).toBe("yes");
    expect(await post.json()).toEqual({ echo: '{"neighbor":{"address":"10.0.0.1"}}', status: 200 });
    expect(seen[0]).toEqual({ method: "POST", url: "/api/quagga/bgp/setNeighbor/u1?x=1", auth: "Basic abc", host: new URL(target).host, body: '{"neighbor":{"address":"10.0.0.1"}}' });

    expect((await fetch(`${proxy.url}/api/quagga/bgp/missing`)).status).toBe(404);
    await (await fetch(`${proxy.url}/api/quagga/service/reconfigure`, { method: "POST" })).text();

    expect(proxy.calls()).toEqual([
      { method: "POST", path: "/api/quagga/bgp/setNeighbor/u1", status: 200, kind: "write" },
      { method: "GET", path: "/api/quagga/bgp/missing", status: 404, kind: "read" },
      { method: "POST", path: "/api/quagga/service/reconfigure", status: 200, kind: "apply" },
    ]);
    expect(proxy.counts()).toEqual({ reads: 1, writes: 1, applies: 1 });
    proxy.clear();
    expect(proxy.counts()).toEqual({ reads: 0, writes: 0, applies: 0 });
  });

  it("answers 502 and records it when the target is down", async () => {
    // A port that was just free and is closed again: nothing listens there.
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    upstream = http.createServer();
    proxy = await startRecordingProxy(`http://127.0.0.1:${port}`);
    const res = await fetch(`${proxy.url}/api/quagga/bgp/get`);
    expect(res.status).toBe(502);
    expect(proxy.calls()).toEqual([{ method: "GET", path: "/api/quagga/bgp/get", status: 502, kind: "read" }]);
  });
});
