// gobgpd in a node namespace: plays a Kubernetes node's BGP speaker (Cilium/MetalLB) that
// peers with the router and announces LoadBalancer /32s.
import { writeFileSync } from "node:fs";
import { run, runOk, sleep } from "./exec.ts";
import type { Daemons } from "./procs.ts";

export const GOBGP_API = "127.0.0.1:50051";

export type GobgpNode = {
  readonly name: string;
  readonly ns: string;
  readonly ip: string;
  /** `gobgp global rib add <prefix> nexthop <ip>` */
  announce(prefix: string): Promise<void>;
  withdraw(prefix: string): Promise<void>;
  /** gobgp's view of the session to the router: state name, e.g. "established" */
  peerState(peer: string): Promise<string>;
};

export function gobgpToml(o: { asn: number; ip: string; peer: string; peerAsn: number }): string {
  return [
    "[global.config]",
    `  as = ${o.asn}`,
    `  router-id = "${o.ip}"`,
    `  local-address-list = ["${o.ip}"]`,
    "",
    "[[neighbors]]",
    "  [neighbors.config]",
    `    neighbor-address = "${o.peer}"`,
    `    peer-as = ${o.peerAsn}`,
    "  [neighbors.timers.config]",
    "    connect-retry = 5",
    "    hold-time = 90",
    "    keepalive-interval = 30",
    "  [neighbors.transport.config]",
    `    local-address = "${o.ip}"`,
    "  [[neighbors.afi-safis]]",
    "    [neighbors.afi-safis.config]",
    '      afi-safi-name = "ipv4-unicast"',
    "",
  ].join("\n");
}

export async function startGobgp(o: {
  readonly name: string;
  readonly ns: string;
  readonly ip: string;
  readonly asn: number;
  readonly peer: string;
  readonly peerAsn: number;
  readonly dir: string;
  readonly daemons: Daemons;
}): Promise<GobgpNode> {
  const conf = `${o.dir}/gobgpd-${o.name}.toml`;
  writeFileSync(conf, gobgpToml(o));
  const d = o.daemons.spawn(`gobgpd-${o.name}`, [
    "ip", "netns", "exec", o.ns, "gobgpd", "-f", conf, "-t", "toml", "-p", "--pprof-disable", "--api-hosts", GOBGP_API,
  ]);
  const [host, port] = GOBGP_API.split(":");
  const cli = (...args: string[]): string[] => ["netns", "exec", o.ns, "gobgp", "-u", host ?? "127.0.0.1", "-p", port ?? "50051", ...args];
  // the gRPC API answers once the daemon is up
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await run("ip", cli("global"));
    if (r.code === 0) break;
    if (d.exitedWith() !== null) throw new Error(`gobgpd ${o.name} exited: ${d.exitedWith() ?? ""}\n${o.daemons.logs()}`);
    if (Date.now() > deadline) throw new Error(`gobgpd ${o.name} API not answering: ${r.stderr}`);
    await sleep(100);
  }
  return {
    name: o.name,
    ns: o.ns,
    ip: o.ip,
    async announce(prefix) {
      await runOk("ip", cli("global", "rib", "-a", "ipv4", "add", prefix, "nexthop", o.ip));
    },
    async withdraw(prefix) {
      await runOk("ip", cli("global", "rib", "-a", "ipv4", "del", prefix));
    },
    async peerState(peer) {
      const out = await runOk("ip", cli("neighbor", peer, "-j"));
      const m = /"session_state"\s*:\s*"?([A-Za-z_0-9]+)"?/.exec(out);
      return m?.[1] ?? "unknown";
    },
  };
}
