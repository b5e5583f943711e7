// The BGP lab: network namespaces with unique names, a router namespace running FRR on a
// bridge named like the OPNsense LAN NIC (vtnet1), and node namespaces running gobgpd.
//
//   netns <id>-rtr   bridge vtnet1 10.0.20.1/24, zebra + bgpd (user frr, private dir)
//     veth-n1 ── eth0 in netns <id>-n1  10.0.20.11/24  gobgpd AS 64555
//     veth-n2 ── eth0 in netns <id>-n2  10.0.20.12/24  gobgpd AS 64555
//     …
//
// <id> = bgplab-<pid>-<random>. Leftovers of runs whose process is gone are removed first;
// teardown (explicit, or on process exit/SIGINT/SIGTERM) kills our PIDs and deletes our namespaces;
// a detached watchdog does the same if this process dies without running any handler (SIGKILL).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, chmodSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pidAlive, run, runOk, runSyncQuiet, which } from "./exec.ts";
import { createDaemons, type Daemons } from "./procs.ts";
import { FRR_BIN_DIR, startFrr, type Frr } from "./frr.ts";
import { startGobgp, type GobgpNode } from "./gobgp.ts";

export const LAB_PREFIX = "bgplab";
export const ROUTER_IP = "10.0.20.1";
/** The router's IPv6 address on the same LAN (IPv6 peering, issue 13 part 5). */
export const ROUTER_IP6 = "fd00:20::1";
export const ROUTER_DEVICE = "vtnet1";
export const LAB_ASN = 64555;

/** `ip6`: the node also has this IPv6 address (/64) and its gobgpd a second session, to ROUTER_IP6, for ipv6-unicast. */
export type LabNodeSpec = { readonly name: string; readonly ip: string; readonly ip6?: string };

export const DEFAULT_NODES: readonly LabNodeSpec[] = [
  { name: "worker-1", ip: "10.0.20.11" },
  { name: "worker-2", ip: "10.0.20.12" },
  { name: "worker-3", ip: "10.0.20.13" },
];

export type Lab = {
  readonly id: string;
  readonly dir: string;
  readonly routerNs: string;
  readonly routerIp: string;
  readonly routerIp6: string;
  /** device of the router's LAN bridge inside routerNs (the OPNsense `lan` device) */
  readonly routerDevice: string;
  readonly frr: Frr;
  readonly nodes: ReadonlyMap<string, GobgpNode>;
  readonly daemons: Daemons;
  node(name: string): GobgpNode;
  teardown(): Promise<void>;
};

// ---- prerequisites ----

/** Why the lab cannot run here, or null when it can. Creates and deletes one probe namespace. */
export async function labSkipReason(): Promise<string | null> {
  if (process.env["BGP_LAB"] === "0") return "BGP_LAB=0";
  if (process.platform !== "linux") return `needs Linux (platform ${process.platform})`;
  if (process.getuid?.() !== 0) return "needs root (network namespaces, FRR as user frr)";
  const missing = ["ip", `${FRR_BIN_DIR}/zebra`, `${FRR_BIN_DIR}/bgpd`, "vtysh", "gobgpd", "gobgp"].filter((b) => which(b) === null);
  if (missing.length > 0) return `missing ${missing.join(", ")} (apt-get install frr frr-pythontools gobgpd iproute2)`;
  if (!/^frr:/m.test(readFileSync("/etc/passwd", "utf8"))) return "no user frr (the frr package creates it)";
  const probe = `${LAB_PREFIX}-${process.pid}-probe${randomBytes(2).toString("hex")}`;
  const r = await run("ip", ["netns", "add", probe]);
  if (r.code !== 0) return `cannot create a network namespace (no CAP_SYS_ADMIN?): ${r.stderr.trim()}`;
  const l = await run("ip", ["-n", probe, "link", "add", "probe0", "type", "bridge"]);
  await run("ip", ["netns", "del", probe]);
  if (l.code !== 0) return `cannot create a bridge in a network namespace: ${l.stderr.trim()}`;
  return null;
}

// ---- leftovers and exit handlers ----

function ownerPid(name: string): number | null {
  const m = new RegExp(`^${LAB_PREFIX}-(\\d+)-`).exec(name);
  return m?.[1] !== undefined ? Number(m[1]) : null;
}

function listNamespaces(): string[] {
  return runSyncQuiet("ip", ["netns", "list"])
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter((n) => n !== "");
}

/** SIGKILL every process in the namespace (they are lab daemons of ours), then delete it. */
function destroyNamespaceSync(ns: string): void {
  for (const p of runSyncQuiet("ip", ["netns", "pids", ns]).split(/\s+/).filter((x) => /^\d+$/.test(x))) {
    try {
      process.kill(Number(p), "SIGKILL");
    } catch {
      // gone
    }
  }
  runSyncQuiet("ip", ["netns", "del", ns]);
}

/** Remove namespaces and temp dirs of earlier lab runs whose process no longer exists. */
export function cleanupLeftovers(): string[] {
  const removed: string[] = [];
  for (const ns of listNamespaces()) {
    const pid = ownerPid(ns);
    if (pid === null || pid === process.pid || pidAlive(pid)) continue;
    destroyNamespaceSync(ns);
    removed.push(ns);
  }
  const tmp = tmpdir();
  for (const d of readdirSync(tmp)) {
    const pid = ownerPid(d);
    if (pid === null || pid === process.pid || pidAlive(pid)) continue;
    rmSync(join(tmp, d), { recursive: true, force: true });
    removed.push(join(tmp, d));
  }
  return removed;
}

/**
 * A detached watchdog shell that outlives us: when `ownerPid` is gone (e.g. the vitest worker was
 * SIGKILLed on abort, so no exit handler ran) it kills the processes inside the lab's namespaces
 * by PID, deletes the namespaces and the directory. Normal teardown kills the watchdog by its PID.
 */
function startReaper(ownerPid: number, namespaces: readonly string[], dir: string): number | null {
  const q = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;
  const script = [
    `while kill -0 ${ownerPid} 2>/dev/null; do sleep 1; done`,
    `for ns in ${namespaces.map(q).join(" ")}; do`,
    `  for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done`,
    `  ip netns del "$ns" 2>/dev/null`,
    "done",
    `rm -rf ${q(dir)}`,
  ].join("\n");
  const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
  child.unref();
  return child.pid ?? null;
}

type Live = { daemons: Daemons; namespaces: string[]; dir: string; reaper: number | null };
const live = new Set<Live>();
let handlersInstalled = false;

function teardownSync(l: Live): void {
  l.daemons.killAllSync();
  for (const ns of l.namespaces) destroyNamespaceSync(ns);
  rmSync(l.dir, { recursive: true, force: true });
  if (l.reaper !== null) {
    try {
      process.kill(l.reaper, "SIGKILL");
    } catch {
      // gone
    }
  }
  live.delete(l);
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once("exit", () => {
    for (const l of [...live]) teardownSync(l);
  });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      for (const l of [...live]) teardownSync(l);
      process.kill(process.pid, sig);
    });
  }
}

// ---- the lab ----

/**
 * Build the lab. `forceVtysh` (or BGP_LAB_FRR_APPLY=vtysh) applies config changes with plain
 * vtysh commands instead of frr-reload.py.
 */
export async function createLab(o: { nodes?: readonly LabNodeSpec[]; forceVtysh?: boolean } = {}): Promise<Lab> {
  const forceVtysh = o.forceVtysh ?? process.env["BGP_LAB_FRR_APPLY"] === "vtysh";
  const specs = o.nodes ?? DEFAULT_NODES.slice(0, 2);
  cleanupLeftovers();
  installExitHandlers();
  const id = `${LAB_PREFIX}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const dir = mkdtempSync(join(tmpdir(), `${id}-`));
  chmodSync(dir, 0o755);
  const frrDir = join(dir, "frr");
  mkdirSync(frrDir, { mode: 0o750 });
  const daemons = createDaemons(dir);
  const routerNs = `${id}-rtr`;
  const nodeNs = specs.map((_, i) => `${id}-n${i + 1}`);
  const l: Live = { daemons, namespaces: [], dir, reaper: startReaper(process.pid, [routerNs, ...nodeNs], dir) };
  live.add(l);
  const nodes = new Map<string, GobgpNode>();

  const teardown = async (): Promise<void> => {
    if (!live.has(l)) return;
    await daemons.stopAll();
    teardownSync(l);
  };

  try {
    const ipn = (ns: string, ...args: string[]): Promise<string> => runOk("ip", ["-n", ns, ...args]);
    await runOk("ip", ["netns", "add", routerNs]);
    l.namespaces.push(routerNs);
    await ipn(routerNs, "link", "set", "lo", "up");
    await ipn(routerNs, "link", "add", ROUTER_DEVICE, "type", "bridge");
    await ipn(routerNs, "addr", "add", `${ROUTER_IP}/24`, "dev", ROUTER_DEVICE);
    // nodad: usable at once, no ~2 s of duplicate address detection before FRR can bind to it
    await ipn(routerNs, "addr", "add", `${ROUTER_IP6}/64`, "dev", ROUTER_DEVICE, "nodad");
    await ipn(routerNs, "link", "set", ROUTER_DEVICE, "up");
    // like the box: forwarding on (also keeps `no ip forwarding` out of the running config)
    await run("ip", ["netns", "exec", routerNs, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"]);

    for (const [i, spec] of specs.entries()) {
      const ns = nodeNs[i] ?? `${id}-n${i + 1}`;
      await runOk("ip", ["netns", "add", ns]);
      l.namespaces.push(ns);
      const veth = `veth-n${i + 1}`;
      // both ends are created inside the namespaces: no names in the host namespace to collide
      await ipn(routerNs, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
      await ipn(routerNs, "link", "set", veth, "master", ROUTER_DEVICE);
      await ipn(routerNs, "link", "set", veth, "up");
      await ipn(ns, "link", "set", "lo", "up");
      await ipn(ns, "addr", "add", `${spec.ip}/24`, "dev", "eth0");
      if (spec.ip6 !== undefined) await ipn(ns, "addr", "add", `${spec.ip6}/64`, "dev", "eth0", "nodad");
      await ipn(ns, "link", "set", "eth0", "up");
    }

    const frr = await startFrr({ ns: routerNs, dir: frrDir, daemons, ...(forceVtysh ? { forceVtysh: true } : {}) });
    for (const [i, spec] of specs.entries()) {
      nodes.set(
        spec.name,
        await startGobgp({
          name: spec.name,
          ns: nodeNs[i] ?? `${id}-n${i + 1}`,
          ip: spec.ip,
          ...(spec.ip6 !== undefined ? { ipv6: { ip: spec.ip6, peer: ROUTER_IP6 } } : {}),
          asn: LAB_ASN,
          peer: ROUTER_IP,
          peerAsn: LAB_ASN,
          dir,
          daemons,
        }),
      );
    }

    return {
      id,
      dir,
      routerNs,
      routerIp: ROUTER_IP,
      routerIp6: ROUTER_IP6,
      routerDevice: ROUTER_DEVICE,
      frr,
      nodes,
      daemons,
      node(name) {
        const n = nodes.get(name);
        if (!n) throw new Error(`no lab node ${name}`);
        return n;
      },
      teardown,
    };
  } catch (e) {
    await teardown();
    throw e;
  }
}
