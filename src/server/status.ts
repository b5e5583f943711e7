/** `GET /status`: the BGP session of every node as of the last pass, as JSON or an aligned table. */

export type StatusNode = {
  readonly node: string;
  readonly address: string;
  readonly remoteAs: number | null;
  readonly state: string;
  readonly uptimeSeconds: number;
  readonly prefixesReceived: number;
  readonly prefixesAccepted: number;
  /** ISO time of the last change the agent saw (for an Established session: when it came up). */
  readonly lastChange: string;
};

export type StatusView = {
  /** ISO time of the pass that read the sessions; null before the first one. */
  readonly observedAt: string | null;
  /** `known`, or `unknown` with the reason (diagnostics endpoint refused or failed, no pass yet). */
  readonly sessions: "known" | "unknown";
  readonly reason?: string;
  readonly nodes: readonly StatusNode[];
};

export type StatusSource = { status(): StatusView };

/** 3725 s → `1h02m05s`: short enough for a table column, exact enough to compare two looks. */
export function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  const two = (n: number) => String(n).padStart(2, "0");
  if (d > 0) return `${d}d${two(h)}h${two(m)}m`;
  if (h > 0) return `${h}h${two(m)}m${two(s)}s`;
  if (m > 0) return `${m}m${two(s)}s`;
  return `${s}s`;
}

/** A plain table for `kubectl port-forward` users: one header, one row per node, columns padded. */
export function renderStatusText(v: StatusView): string {
  const head = `sessions ${v.sessions}${v.reason ? ` (${v.reason})` : ""}; observed ${v.observedAt ?? "never"}\n`;
  if (v.nodes.length === 0) return `${head}${v.sessions === "known" ? "no BGP neighbors owned by the agent\n" : ""}`;
  const rows = [
    ["NODE", "NEIGHBOR", "REMOTE-AS", "STATE", "UPTIME", "PFX-RCVD", "PFX-ACCEPTED", "LAST-CHANGE"],
    ...v.nodes.map((n) => [n.node, n.address, n.remoteAs === null ? "-" : String(n.remoteAs), n.state, n.state === "Established" ? formatUptime(n.uptimeSeconds) : "-", String(n.prefixesReceived), String(n.prefixesAccepted), n.lastChange]),
  ];
  const widths = rows.reduce<number[]>((w, r) => r.map((c, i) => Math.max(w[i] ?? 0, c.length)), []);
  return head + rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ")).join("\n") + "\n";
}
