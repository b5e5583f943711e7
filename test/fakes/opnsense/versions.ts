// Version facts the simulator switches on. Plain OPNsense versions stand for
// the ".0" release of each series (so "26.1" is 26.1.0: no comma batch delete,
// which arrived in 26.1.3). The os-frr mapping is the one shipped with each
// .0 release per contract §0, except 26.7 which we treat as 26.7.2 (os-frr 1.54)
// so that manual_config, bfd_strict and safe delete are all observable.

export type OpnVersion = "24.1" | "24.7" | "25.1" | "25.7" | "26.1" | "26.7";

export const VERSIONS: readonly OpnVersion[] = ["24.1", "24.7", "25.1", "25.7", "26.1", "26.7"];

/** os-frr minor version (1.xx) per OPNsense version. */
export const OS_FRR_MINOR: Readonly<Record<OpnVersion, number>> = {
  "24.1": 38,
  "24.7": 40,
  "25.1": 42,
  "25.7": 45,
  "26.1": 50,
  "26.7": 54,
};

export function isVersion(v: unknown): v is OpnVersion {
  return typeof v === "string" && (VERSIONS as readonly string[]).includes(v);
}

export function atLeast(v: OpnVersion, min: OpnVersion): boolean {
  return VERSIONS.indexOf(v) >= VERSIONS.indexOf(min);
}

export function frrAtLeast(v: OpnVersion, minor: number): boolean {
  return OS_FRR_MINOR[v] >= minor;
}

export function osFrrVersion(v: OpnVersion): string {
  return `1.${OS_FRR_MINOR[v]}`;
}

/** Grid rows carry raw values (+ %field) from 25.7 on, labels before (§2.3). */
export function rawGrid(v: OpnVersion): boolean {
  return atLeast(v, "25.7");
}

/** Comma batch delete/toggle: 26.1.3+, i.e. only "26.7" with our mapping (§2.1). */
export function batchSupported(v: OpnVersion): boolean {
  return atLeast(v, "26.7");
}
