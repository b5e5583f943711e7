import { describe, expect, test } from "vitest";
import { specialAddressReason } from "../../../src/domain/address-class.ts";
import { parseIp } from "../../../src/domain/net.ts";

const reason = (text: string) => {
  const ip = parseIp(text);
  if (ip === null) throw new Error(`not an IP: ${text}`);
  return specialAddressReason(ip);
};

describe("specialAddressReason", () => {
  test.each([
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "this-network"],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["169.254.1.1", "link-local"],
    ["224.0.0.5", "multicast"],
    ["239.255.255.255", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.254", "reserved"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["fe80::1", "link-local"],
    ["febf:ffff::1", "link-local"],
    ["ff02::1", "multicast"],
    ["FF0E::1", "multicast"],
    ["::ffff:10.0.0.1", "ipv4-mapped"],
  ])("%s is %s", (ip, expected) => {
    expect(reason(ip)).toBe(expected);
  });

  test.each(["1.0.0.1", "10.0.20.1", "126.255.255.255", "128.0.0.1", "169.253.255.255", "169.255.0.1", "192.168.1.1", "223.255.255.255", "2001:db8::1", "fec0::1", "fd00::1", "::2", "fe7f::1"])(
    "%s is an ordinary address",
    (ip) => {
      expect(reason(ip)).toBeNull();
    },
  );
});
