import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { keepBgpReply, parseBgpModel } from "../../../src/opnsense/bgp.ts";
import { createHttp } from "../../../src/opnsense/http.ts";
import { JsonStreamParser } from "../../../src/opnsense/json-stream.ts";
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, VERSIONS, startOpnsenseSimulator, type Simulator } from "../../fakes/opnsense/index.ts";

/**
 * quagga/bgp/get is decoded keeping only what the parsers read (keepBgpReply): the model must be
 * the one the whole reply gives, on every version the simulator speaks.
 */
describe.each(VERSIONS)("quagga/bgp/get decoded as it arrives (%s)", (version) => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startOpnsenseSimulator({ version, authFailDelayMs: 0 });
    const rows = [sim.control.seedPrefixlist({ name: "in", seqnumber: "10", action: "permit", network: "10.96.0.0/24", version: "IPv4", enabled: "1", description: "d" })];
    let group = "";
    try {
      group = sim.control.seedPeergroup({ name: "k8s", enabled: "1" });
    } catch {
      // os-frr without peer groups
    }
    for (let i = 1; i <= 20; i++) {
      sim.control.seedNeighbor({
        enabled: i % 7 === 0 ? "0" : "1",
        address: i === 4 ? "fd00:20::4" : `10.0.20.${i}`,
        ...(i === 4 ? { linklocalinterface: "lan" } : {}),
        remoteas: String(64500 + (i % 3)),
        description: `node "${i}" \\ ü`,
        updatesource: i % 2 === 0 ? "lan" : "",
        keepalive: i % 5 === 0 ? "30" : "",
        bfd: String(i % 2),
        password: i === 3 ? "s3cr3t" : "",
        ...(group !== "" && i % 4 === 0 ? { peergroup: group } : {}),
        ...(i % 3 === 0 ? { linkedPrefixlistIn: rows[0] ?? "" } : {}),
      });
    }
  });
  afterAll(async () => {
    await sim.close();
  });

  test("the model equals the one parsed from the whole reply, built from a fraction of it", async () => {
    const res = await fetch(`${sim.url}/api/quagga/bgp/get`, { headers: { Authorization: `Basic ${Buffer.from(`${DEFAULT_API_KEY}:${DEFAULT_API_SECRET}`).toString("base64")}` } });
    const text = await res.text();
    const whole = parseBgpModel(JSON.parse(text));
    expect(whole.neighbors).toHaveLength(20);

    const http = createHttp({ url: sim.url, apiKey: DEFAULT_API_KEY, apiSecret: DEFAULT_API_SECRET, timeoutMs: 5000 });
    const streamed = await http.request({ method: "GET", endpoint: "quagga/bgp/get", keep: keepBgpReply });
    expect(parseBgpModel(streamed)).toEqual(whole);
    // What was built is a fraction of the reply (the option maps nobody reads are gone).
    expect(JSON.stringify(streamed).length).toBeLessThan(text.length * 0.6);

    type Reply = { bgp: { neighbors: { neighbor: Record<string, Record<string, unknown>> } } };
    const parser = new JsonStreamParser(keepBgpReply);
    parser.write(text);
    const kept = Object.values((parser.end() as Reply).bgp.neighbors.neighbor)[0] ?? {};
    const all = Object.values((JSON.parse(text) as Reply).bgp.neighbors.neighbor)[0] ?? {};
    const read = ["address", "bfd", "connecttimer", "description", "enabled", "holddown", "keepalive", "linkedPrefixlistIn", "linklocalinterface", "multihop", "password", "peergroup", "remoteas", "updatesource"];
    expect(Object.keys(kept).sort()).toEqual(read.filter((f) => f in all));
  });
});
