/** FRR's own spelling of things the agent compares saved objects with. */

/** One prefix-list entry as FRR shows it and as a saved row renders (`network` is verbatim). */
export function prefixListEntry(name: string, seq: number, action: string, network: string): string {
  return `${name} seq ${seq} ${action} ${network.trim().replace(/\s+/g, " ")}`;
}
