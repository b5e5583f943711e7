// gobgpd in a node namespace: plays a Kubernetes node's BGP speaker (Cilium/MetalLB) that
// peers with the router and announces LoadBalancer /32s.
import { writeFileSync } from "node:fs";
import { run, runOk, sleep } from "./exec.ts";
import type { Daemon, Daemons } from "./procs.ts";

export const GOBGP_API = "127.0.0.1:50051";

export type GobgpNode = {
  readonly name: string;
  readonly ns: string;
  readonly ip: string;
  /** `gobgp global rib add <prefix> nexthop <ip>` */
  announce(prefix: string): Promise<void>;
  withdraw(prefix: string): Promise<void>;
  /** gobgp's view of the session to the router */
  peer(address: string): Promise<GobgpPeer>;
  /** SIGTERM gobgpd (it closes its sessions with a NOTIFICATION) and wait for it to exit. */
  stop(): Promise<void>;
  /** Start gobgpd again and announce what was announced before (its RIB died with it). */
  start(): Promise<void>;
};

export type GobgpPeer = {
  /** "established", "active", … */
  readonly state: string;
  /** epoch seconds of the last session establishment (gobgp's timers.state.uptime), 0 if never */
  readonly upSince: number;
  /** OPEN messages received: one per session established */
  readonly opensReceived: number;
};

const SESSION_STATES = ["unknown", "idle", "connect", "active", "opensent", "openconfirm", "established"];

function rec(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** `gobgp neighbor <addr> -j` (gobgp 3.x: numeric session_state, uptime as epoch seconds) */
export function parseGobgpPeer(text: string): GobgpPeer {
  const o = rec(JSON.parse(text) as unknown);
  const state = rec(o["state"]);
  const s = state["session_state"];
  const name = typeof s === "number" ? (SESSION_STATES[s] ?? String(s)) : typeof s === "string" ? s.toLowerCase() : "unknown";
  const up = rec(rec(rec(o["timers"])["state"])["uptime"])["seconds"];
  const opens = rec(rec(rec(state["messages"])["received"]))["open"];
  return { state: name, upSince: name === "established" && typeof up === "number" ? up : 0, opensReceived: typeof opens === "number" ? opens : 0 };
}

/** The node's IPv6 side: its address and the router's, one more session for ipv6-unicast. */
export type GobgpIpv6 = { readonly ip: string; readonly peer: string };

export function gobgpToml(o: { asn: number; ip: string; peer: string; peerAsn: number; ipv6?: GobgpIpv6 }): string {
  const neighbor = (local: string, peer: string, afi: string): string[] => [
    "[[neighbors]]",
    "  [neighbors.config]",
    `    neighbor-address = "${peer}"`,
    `    peer-as = ${o.peerAsn}`,
    "  [neighbors.timers.config]",
    "    connect-retry = 5",
    // default 30 s: after FRR refuses a not-yet-configured peer, gobgp would sit in Idle and
    // refuse FRR's own connect until then; 1 s keeps session setup ~1-2 s like the notes measured
    "    idle-hold-time-after-reset = 1",
    "    hold-time = 90",
    "    keepalive-interval = 30",
    "  [neighbors.transport.config]",
    `    local-address = "${local}"`,
    "  [[neighbors.afi-safis]]",
    "    [neighbors.afi-safis.config]",
    `      afi-safi-name = "${afi}"`,
    "",
  ];
  return [
    "[global.config]",
    `  as = ${o.asn}`,
    `  router-id = "${o.ip}"`,
    `  local-address-list = [${[o.ip, ...(o.ipv6 ? [o.ipv6.ip] : [])].map((a) => `"${a}"`).join(", ")}]`,
    "",
    ...neighbor(o.ip, o.peer, "ipv4-unicast"),
    ...(o.ipv6 ? neighbor(o.ipv6.ip, o.ipv6.peer, "ipv6-unicast") : []),
  ].join("\n");
}

export async function startGobgp(o: {
  readonly name: string;
  readonly ns: string;
  readonly ip: string;
  readonly ipv6?: GobgpIpv6;
  readonly asn: number;
  readonly peer: string;
  readonly peerAsn: number;
  readonly dir: string;
  readonly daemons: Daemons;
}): Promise<GobgpNode> {
  const conf = `${o.dir}/gobgpd-${o.name}.toml`;
  writeFileSync(conf, gobgpToml(o));
  const [host, port] = GOBGP_API.split(":");
  const cli = (...args: string[]): string[] => ["netns", "exec", o.ns, "gobgp", "-u", host ?? "127.0.0.1", "-p", port ?? "50051", ...args];
  const announced = new Set<string>();
  // An IPv6 prefix goes out over the ipv6-unicast session with the node's IPv6 address as next hop.
  const ribArgs = (op: "add" | "del", prefix: string): string[] => {
    if (!prefix.includes(":")) return op === "add" ? ["global", "rib", "-a", "ipv4", "add", prefix, "nexthop", o.ip] : ["global", "rib", "-a", "ipv4", "del", prefix];
    if (o.ipv6 === undefined) throw new Error(`lab node ${o.name} has no IPv6 address for ${prefix}`);
    return op === "add" ? ["global", "rib", "-a", "ipv6", "add", prefix, "nexthop", o.ipv6.ip] : ["global", "rib", "-a", "ipv6", "del", prefix];
  };
  const launch = async (): Promise<Daemon> => {
    const d = o.daemons.spawn(`gobgpd-${o.name}`, [
      "ip", "netns", "exec", o.ns, "gobgpd", "-f", conf, "-t", "toml", "-p", "--pprof-disable", "--api-hosts", GOBGP_API,
    ]);
    // the gRPC API answers once the daemon is up
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = await run("ip", cli("global"));
      if (r.code === 0) return d;
      if (d.exitedWith() !== null) throw new Error(`gobgpd ${o.name} exited: ${d.exitedWith() ?? ""}\n${o.daemons.logs()}`);
      if (Date.now() > deadline) throw new Error(`gobgpd ${o.name} API not answering: ${r.stderr}`);
      await sleep(100);
    }
  };
  let d: Daemon | null = await launch();
  return {
    name: o.name,
    ns: o.ns,
    ip: o.ip,
    async announce(prefix) {
      await runOk("ip", cli(...ribArgs("add", prefix)));
      announced.add(prefix);
    },
    async withdraw(prefix) {
      await runOk("ip", cli(...ribArgs("del", prefix)));
      announced.delete(prefix);
    },
    async stop() {
      if (d === null) return;
      const running = d;
      d = null;
      process.kill(running.pid, "SIGTERM");
      await running.exited;
    },
    async start() {
      if (d !== null) return;
      d = await launch();
      for (const prefix of announced) await runOk("ip", cli(...ribArgs("add", prefix)));
    },
    async peer(address) {
      return parseGobgpPeer(await runOk("ip", cli("neighbor", address, "-j")));
    },
  };
}
