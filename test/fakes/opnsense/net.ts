import { isIPv4, isIPv6 } from "node:net";

export { isIPv4, isIPv6 };

export function isIpAddress(v: string): boolean {
  return isIPv4(v) || isIPv6(v);
}

/** address/mask with a mask in range for the family; alignment is not checked (like Util::isSubnet). */
export function isSubnet(v: string): boolean {
  const parts = v.split("/");
  if (parts.length !== 2) return false;
  const [addr, mask] = parts as [string, string];
  if (!/^\d{1,3}$/.test(mask)) return false;
  const m = Number(mask);
  if (isIPv4(addr)) return m <= 32;
  if (isIPv6(addr)) return m <= 128;
  return false;
}

export function isDomain(v: string): boolean {
  return /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/.test(v) && !/^[0-9.]+$/.test(v);
}

export function familyOf(v: string): "inet" | "inet6" {
  return v.includes(":") ? "inet6" : "inet";
}

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
