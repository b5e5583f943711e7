import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, test } from "vitest";
import { createHttp } from "../../../src/opnsense/http.ts";
import { withoutRedirectHooks } from "../../../src/opnsense/pool.ts";
import { collectAndShrink } from "../../../src/memory/gc.ts";
import { waitFor } from "../../helpers/wait.ts";

let server: Server | null = null;
afterEach(async () => {
  const srv = server;
  server = null;
  if (!srv) return;
  srv.closeAllConnections();
  await new Promise((r) => srv.close(r));
});

/** A server answering every request with one large JSON reply; counts its connections. */
async function bigReplyServer(bytes: number): Promise<{ url: string; connections: () => number }> {
  const body = JSON.stringify({ rows: "x".repeat(bytes) });
  let connections = 0;
  const srv = createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(body);
  });
  srv.on("connection", () => connections++);
  server = srv;
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const addr = srv.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}`, connections: () => connections };
}

/** Memory outside the V8 heap: where a reply's buffers and external strings live. */
function offHeap(): number {
  collectAndShrink();
  const m = process.memoryUsage();
  return m.external + m.arrayBuffers;
}

describe("the connection pool", () => {
  test("drops the redirect hooks (their closures hold the request and its reply) and keeps everything else", () => {
    const hook = () => undefined;
    expect(withoutRedirectHooks({ host: "opnsense.lan", port: 443, beforeRedirect: hook, beforeRedirects: { direct: hook } })).toEqual({ host: "opnsense.lan", port: 443 });
  });

  test("an idle keep-alive connection does not keep the last reply in memory, and is reused", async () => {
    const size = 8 * 1024 * 1024;
    const srv = await bigReplyServer(size);
    const http = createHttp({ url: srv.url, apiKey: "k", apiSecret: "s", timeoutMs: 10_000, retries: 0 });
    const before = offHeap();
    // Not handed to expect(): the assertion would keep its own reference to the reply.
    const length = await http.request({ method: "GET", endpoint: "quagga/bgp/get" }).then((r) => JSON.stringify(r).length);
    expect(length).toBeGreaterThan(size);
    // The reply arrived as buffers and a string of `size` bytes each; once the response has been
    // released (a tick or two after the promise resolves) only pool bookkeeping may remain.
    // Node's plain keep-alive agent never gets there: the idle socket keeps all of it.
    await waitFor(() => offHeap() - before < size / 4, "the reply to be released while its connection idles in the pool", 3000, 50);
    await http.request({ method: "GET", endpoint: "quagga/bgp/get" });
    expect(srv.connections()).toBe(1);
  });
});
