import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { parseRunningConfig } from "../../../src/opnsense/index.ts";

const sample = JSON.parse(readFileSync(new URL("./fixtures/generalrunningconfig.json", import.meta.url), "utf8")) as { response: string };

describe("show running-config parser", () => {
  test("real sample (FRR 8.4.4, opnsense-api-derived)", () => {
    const running = parseRunningConfig(sample.response);
    expect([...running.neighbors.keys()]).toEqual(["10.0.20.11", "10.0.20.12", "10.0.20.13"]);
    expect(running.neighbors.get("10.0.20.11")).toEqual({ remoteAs: 64555, description: "opnsense-bgp-agent:default node=worker-1", prefixListIn: null });
    expect(running.neighbors.get("10.0.20.13")).toEqual({ remoteAs: 64555, description: "opnsense-bgp-agent:default node=worker-3", prefixListIn: null });
  });

  test("no description lines (os-frr < 1.52) → description null", () => {
    const text = "router bgp 64555\n neighbor 10.0.20.11 remote-as 64555\n neighbor 10.0.20.11 update-source vtnet1\nexit\n";
    expect(parseRunningConfig(text).neighbors.get("10.0.20.11")).toEqual({ remoteAs: 64555, description: null, prefixListIn: null });
  });

  test("peer-group names are not neighbors; remote-as internal has no number; IPv6 lower-cased", () => {
    const text = [
      "router bgp 64512",
      " neighbor k8s peer-group",
      " neighbor k8s remote-as 64555",
      " neighbor 10.0.20.14 peer-group k8s",
      " neighbor FD00::1 remote-as internal",
      " !",
      " address-family ipv4 unicast",
      "  neighbor 10.0.20.99 activate",
      " exit-address-family",
      "exit",
      "!",
      "line vty",
      " neighbor 10.9.9.9 remote-as 1",
    ].join("\n");
    const running = parseRunningConfig(text);
    expect([...running.neighbors.keys()].sort()).toEqual(["10.0.20.14", "fd00::1"]);
    expect(running.neighbors.get("fd00::1")).toEqual({ remoteAs: null, description: null, prefixListIn: null });
  });

  test("empty text → no neighbors", () => {
    expect(parseRunningConfig("").neighbors.size).toBe(0);
  });

  test("inbound prefix lists per neighbor and the prefix-list entries FRR runs", () => {
    const text = [
      "router bgp 64555",
      " neighbor 10.0.20.11 remote-as 64555",
      " neighbor 10.0.20.12 remote-as 64555",
      " !",
      " address-family ipv4 unicast",
      "  neighbor 10.0.20.11 activate",
      "  neighbor 10.0.20.11 prefix-list opnsense-bgp-agent-in in",
      "  neighbor 10.0.20.12 activate",
      " exit-address-family",
      "exit",
      "!",
      "ip prefix-list opnsense-bgp-agent-in seq 10 permit 10.96.0.0/24 le 32",
      "ip prefix-list opnsense-bgp-agent-in seq 4294967294 deny 0.0.0.0/0 le 32",
      "ipv6 prefix-list v6-in seq 5 permit 2001:db8::/48 le 128",
    ].join("\n");
    const running = parseRunningConfig(text);
    expect(running.neighbors.get("10.0.20.11")?.prefixListIn).toBe("opnsense-bgp-agent-in");
    expect(running.neighbors.get("10.0.20.12")?.prefixListIn).toBeNull();
    expect([...(running.prefixListEntries ?? [])]).toEqual([
      "opnsense-bgp-agent-in seq 10 permit 10.96.0.0/24 le 32",
      "opnsense-bgp-agent-in seq 4294967294 deny 0.0.0.0/0 le 32",
      "v6-in seq 5 permit 2001:db8::/48 le 128",
    ]);
  });
});
