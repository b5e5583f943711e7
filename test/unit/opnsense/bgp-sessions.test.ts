import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { parseBgpSummary, readBgpSessions } from "../../../src/opnsense/bgp-sessions.ts";
import { createHttp } from "../../../src/opnsense/http.ts";
import { API_KEY, API_SECRET, BASE, api, useNock } from "./helpers.ts";

useNock();

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8")) as unknown;

describe("parseBgpSummary (replies captured from real FRR in a lab)", () => {
  test("every peer with its state, uptime, prefixes and description", () => {
    const peers = parseBgpSummary(fixture("bgpsummary"));
    expect([...peers.keys()]).toEqual(["10.0.20.11", "10.0.20.12", "10.0.20.13"]);
    expect(peers.get("10.0.20.12")).toEqual({
      address: "10.0.20.12",
      state: "Established",
      remoteAs: 64555,
      uptimeMs: 36000,
      prefixesReceived: 2,
      description: "opnsense-bgp-agent:default node=worker-2",
    });
    expect(peers.get("10.0.20.13")).toMatchObject({ state: "Connect", uptimeMs: 0, prefixesReceived: 0 });
  });

  test("a removed peer is gone; bgpd down ({\"response\": []}) means FRR runs no peer", () => {
    const after = parseBgpSummary(fixture("bgpsummary-after-removal"));
    expect([...after.keys()]).toEqual(["10.0.20.11", "10.0.20.13"]);
    expect(after.get("10.0.20.13")?.state).toBe("Active");
    expect(parseBgpSummary(fixture("bgpsummary-bgpd-down")).size).toBe(0);
  });

  test("a multiprotocol peer listed under two address families counts its prefixes once per family", () => {
    const peer = { state: "Established", remoteAs: 64555, peerUptimeMsec: 5000, pfxRcd: 2 };
    const peers = parseBgpSummary({ response: { ipv4Unicast: { peers: { "10.0.20.11": peer } }, ipv6Unicast: { peers: { "10.0.20.11": { ...peer, pfxRcd: 1 } } } } });
    expect(peers.get("10.0.20.11")?.prefixesReceived).toBe(3);
  });

  test("a reply without the response wrapper is refused", () => {
    expect(() => parseBgpSummary({ ipv4Unicast: {} })).toThrow(/response/);
  });
});

describe("readSnapshot's session read", () => {
  test("a 403 is a report naming the privilege, not a failure", async () => {
    api().get("/api/quagga/diagnostics/bgpsummary").reply(403, { status: 403, message: "Forbidden" });
    const read = await readBgpSessions(createHttp({ url: BASE, apiKey: API_KEY, apiSecret: API_SECRET, timeoutMs: 2000 }));
    expect(read).toMatchObject({ ok: false, privilege: "Routing (page-routing)" });
  });
});
