import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { realEnv } from "./real-env.ts";
import { renderFrrConf } from "./index.ts";

// Captured from a real FRR in a lab (a neighbor added with frr-reload); kept beside the simulator.
const lab = readFileSync(new URL("./fixtures/lab-frr-reload-1.conf", import.meta.url), "utf8");

function node(n: number): Record<string, string> {
  return {
    enabled: "1",
    address: `10.0.20.1${n}`,
    remoteas: "64555",
    updatesource: "lan",
    description: `opnsense-bgp-agent:default node=worker-${n}`,
    connecttimer: "5",
  };
}

(realEnv() ? describe.skip : describe)("§3.2/§3.3 renderFrrConf (os-frr bgpd.conf template, a lab FRR config) [simulator-only: the simulator's renderer]", () => {
  it("renders the lab configuration line for line", () => {
    const out = renderFrrConf({
      bgp: { enabled: "1", asnumber: "64555", networkimportcheck: "0" },
      general: { profile: "traditional", enablesyslog: "1", sysloglevel: "informational" },
      neighbors: { a: node(1), b: node(2) },
    });
    expect(out.trim()).toBe(lab.trim());
  });

  it("omits disabled neighbors, description before os-frr 1.52, update-source for IPv6", () => {
    const out = renderFrrConf(
      {
        bgp: { enabled: "1", asnumber: "65000" },
        neighbors: {
          a: node(1),
          b: { ...node(2), enabled: "0" },
          c: { enabled: "1", address: "2001:db8::2", remoteas: "65001", updatesource: "lan", linklocalinterface: "opt1" },
        },
      },
      { osFrrMinor: 50 },
    );
    expect(out).not.toContain("description");
    expect(out).not.toContain("10.0.20.12");
    expect(out).toContain(" neighbor 2001:db8::2 interface vtnet2");
    expect(out).not.toContain("2001:db8::2 update-source");
    expect(out).toContain(" address-family ipv6 unicast\n  neighbor 2001:db8::2 activate\n exit-address-family");
  });

  it("timers only when both set, bfd, multihop, password, remote_as_mode wins", () => {
    const out = renderFrrConf({
      bgp: { enabled: "1", asnumber: "65000" },
      neighbors: {
        a: { enabled: "1", address: "10.0.0.1", remoteas: "1", remote_as_mode: "external", keepalive: "10", holddown: "30", bfd: "1", multihop: "1", password: "s3cret" },
        b: { enabled: "1", address: "10.0.0.2", remoteas: "2", keepalive: "10" },
      },
    });
    expect(out).toContain(" neighbor 10.0.0.1 remote-as external\n");
    expect(out).toContain(" neighbor 10.0.0.1 timers 10 30\n");
    expect(out).toContain(" neighbor 10.0.0.1 bfd\n");
    expect(out).toContain(" neighbor 10.0.0.1 ebgp-multihop 255\n");
    expect(out).toContain(" neighbor 10.0.0.1 password s3cret\n");
    expect(out).not.toContain("10.0.0.2 timers");
  });

  it("no router bgp when BGP is disabled", () => {
    expect(renderFrrConf({ bgp: { enabled: "0", asnumber: "65000" }, neighbors: { a: node(1) } })).not.toContain("router bgp");
  });
});
