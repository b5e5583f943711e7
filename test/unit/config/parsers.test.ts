import { describe, expect, test } from "vitest";
import { parseClientNetworks } from "../../../src/config/client-networks.ts";
import { formatDuration, parseDuration } from "../../../src/config/duration.ts";
import { labelSelectorProblem } from "../../../src/config/label-selector.ts";
import { compareNetworks, parseIp, parseNetwork, sortNetworks } from "../../../src/domain/net.ts";

describe("parseDuration", () => {
  test.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1m30s", 90_000],
    ["1h0m5s", 3_605_000],
    ["1.5s", 1500],
    ["0", 0],
    [" 2s ", 2000],
  ])("%s → %d ms", (text, ms) => expect(parseDuration(text)).toBe(ms));
  test.each(["", "30", "s", "5 m", "-1s", "1d", "1s2", "ms"])("%j is not a duration", (text) =>
    expect(parseDuration(text)).toBeNull(),
  );
  test("formatDuration", () => {
    expect([0, 500, 2000, 90_000, 3_605_000].map(formatDuration)).toEqual(["0s", "500ms", "2s", "1m30s", "1h5s"]);
  });
});

describe("labelSelectorProblem", () => {
  test.each(["homelab/role=worker", "a", "!a", "a==b", "a!=b", "a=", "a in (b,c)", "a notin (b)", "a in ()", "x>3", "example.com/a.b_c-d=E.f"])(
    "%j is valid",
    (s) => expect(labelSelectorProblem(s)).toBeNull(),
  );
  test.each(["", ",", "a,,b", "a=b c", "a in b", "/a", "a/", `${"x".repeat(64)}=1`, `a=${"x".repeat(64)}`, "a=-b", "a in (b", "a)"])(
    "%j is invalid",
    (s) => expect(labelSelectorProblem(s)).not.toBeNull(),
  );
});

describe("addresses", () => {
  test("parseIp canonicalizes", () => {
    expect(parseIp("10.0.0.1")).toEqual({ family: "inet", address: "10.0.0.1" });
    expect(parseIp("2001:DB8:0:0:0:0:0:1")).toEqual({ family: "inet6", address: "2001:db8::1" });
    expect(parseIp("010.0.0.1")).toBeNull();
    expect(parseIp("256.0.0.1")).toBeNull();
    expect(parseIp("1.2.3")).toBeNull();
    expect(parseIp("fe80::1%eth0")).toBeNull();
    expect(parseIp("example.com")).toBeNull();
    expect(parseIp("")).toBeNull();
  });
  test("parseNetwork", () => {
    expect(parseNetwork("10.0.0.0/8")?.text).toBe("10.0.0.0/8");
    expect(parseNetwork("2001:db8::/32")?.text).toBe("2001:db8::/32");
    expect(parseNetwork("10.0.0.0/33")).toBeNull();
    expect(parseNetwork("2001:db8::/129")).toBeNull();
    expect(parseNetwork("10.0.0.0/")).toBeNull();
    expect(parseNetwork("10.0.0.0/08")).toBeNull();
  });
  test("sortNetworks: IPv4 numerically, then IPv6, deduplicated", () => {
    expect(sortNetworks(["2001:db8::1", "10.0.0.10", "10.0.0.9", "9.1.1.1", "10.0.0.9", "10.0.0.0/24"])).toEqual([
      "9.1.1.1",
      "10.0.0.0/24",
      "10.0.0.9",
      "10.0.0.10",
      "2001:db8::1",
    ]);
    expect(compareNetworks("::1", "::2")).toBeLessThan(0);
  });
});

describe("parseClientNetworks", () => {
  const ok = (text: string) => {
    const r = parseClientNetworks(text);
    if (!r.ok) throw new Error(r.errors.join("; "));
    return r.entries.map(({ interface: i, source, asymmetric }) => ({ i, source, asymmetric }));
  };
  const bad = (text: string) => {
    const r = parseClientNetworks(text);
    if (r.ok) throw new Error("expected errors");
    return r.errors;
  };

  test.each([
    ["", []],
    [" ; ;\n", []],
    ["interface=lan source=lan asymmetric=true", [{ i: "lan", source: "lan", asymmetric: true }]],
    ["interface=opt1 source=192.168.50.0/24", [{ i: "opt1", source: "192.168.50.0/24", asymmetric: false }]],
    ["source=lan interface=lan", [{ i: "lan", source: "lan", asymmetric: false }]],
    ["interface=lan  source=2001:DB8::/64 asymmetric=no", [{ i: "lan", source: "2001:db8::/64", asymmetric: false }]],
    ["interface=wan source=any", [{ i: "wan", source: "any", asymmetric: false }]],
    ["interface=lan source=trusted_clients", [{ i: "lan", source: "trusted_clients", asymmetric: false }]],
    ["interface=lan source=10.0.0.5", [{ i: "lan", source: "10.0.0.5", asymmetric: false }]],
    [
      "interface=lan source=lan asymmetric=true\ninterface=opt1 source=opt1;interface=opt2 source=opt2",
      [
        { i: "lan", source: "lan", asymmetric: true },
        { i: "opt1", source: "opt1", asymmetric: false },
        { i: "opt2", source: "opt2", asymmetric: false },
      ],
    ],
  ])("%j parses", (text, expected) => expect(ok(text)).toEqual(expected));

  test.each([
    ["interface=lan", ['LB_CLIENT_NETWORKS entry 1 ("interface=lan"): missing required field "source" (e.g. source=lan or source=192.168.50.0/24)']],
    ["source=lan", ['LB_CLIENT_NETWORKS entry 1 ("source=lan"): missing required field "interface" (e.g. interface=lan)']],
    [
      "interface=lan source=lan; interface=opt1 sorce=x",
      [
        'LB_CLIENT_NETWORKS entry 2 ("interface=opt1 sorce=x"): unknown field "sorce" (fields: interface, source, asymmetric)',
        'LB_CLIENT_NETWORKS entry 2 ("interface=opt1 sorce=x"): missing required field "source" (e.g. source=lan or source=192.168.50.0/24)',
      ],
    ],
    ["interface=lan source=lan lan", ['LB_CLIENT_NETWORKS entry 1 ("interface=lan source=lan lan"): "lan" is not a key=value field (fields: interface=, source=, asymmetric=)']],
    ["interface=lan source=lan asymmetric=maybe", ['LB_CLIENT_NETWORKS entry 1 ("interface=lan source=lan asymmetric=maybe"): asymmetric "maybe" is not a boolean (true/false, 1/0, yes/no)']],
    ["interface=lan source=192.168.1.0/33", ['LB_CLIENT_NETWORKS entry 1 ("interface=lan source=192.168.1.0/33"): source "192.168.1.0/33" is not a valid IPv4/IPv6 address or CIDR']],
    ["interface=lan source=a-b", ['LB_CLIENT_NETWORKS entry 1 ("interface=lan source=a-b"): source "a-b" is not an interface network (lan), an address or CIDR, an alias name or "any"']],
    ["interface=la-n source=lan", ['LB_CLIENT_NETWORKS entry 1 ("interface=la-n source=lan"): interface "la-n" is not an OPNsense interface name (e.g. lan, opt1)']],
    ["interface=lan interface=opt1 source=lan", ['LB_CLIENT_NETWORKS entry 1 ("interface=lan interface=opt1 source=lan"): field "interface" is given twice']],
    [
      "interface=lan source=lan; interface=opt1 source=x; interface=lan source=lan asymmetric=true",
      ['LB_CLIENT_NETWORKS entry 3 ("interface=lan source=lan asymmetric=true"): same interface and source as entry 1; merge them'],
    ],
  ])("%j is rejected", (text, errors) => expect(bad(text)).toEqual(errors));
});
