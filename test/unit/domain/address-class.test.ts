import { describe, expect, test } from "vitest";
import { specialAddressReason } from "../../../src/domain/address-class.ts";
import { parseIp } from "../../../src/domain/net.ts";

const reason = (text: string) => {
  const ip = parseIp(text);
  if (ip === null) throw new Error(text);
  return specialAddressReason(ip);
};

describe("special addresses", () => {
  test.each([
    ["0.0.0.0", "unspecified (0.0.0.0/8)"],
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["169.254.1.1", "link-local"],
    ["224.0.0.5", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved (240.0.0.0/4)"],
    ["::", "unspecified (::)"],
    ["::1", "loopback"],
    ["fe80::1", "link-local"],
    ["ff02::5", "multicast"],
  ])("%s is %s", (ip, why) => expect(reason(ip)).toBe(why));

  test.each(["10.0.20.11", "192.168.1.254", "8.8.8.8", "100.64.0.1", "2001:db8::1", "fd00::5"])("%s is ordinary", (ip) =>
    expect(reason(ip)).toBeNull(),
  );
});
