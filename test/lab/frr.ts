// A real FRR (zebra + bgpd) in the lab's router namespace, driven like os-frr drives it:
// integrated frr.conf, loaded at boot with `vtysh -b`, changed with `frr-reload.py --reload`.
import { writeFileSync } from "node:fs";
import { run, runOk, which } from "./exec.ts";
import type { Daemons } from "./procs.ts";

export const FRR_BIN_DIR = "/usr/lib/frr";
export const FRR_RELOAD = `${FRR_BIN_DIR}/frr-reload.py`;

/** The frr.conf of a box with os-frr enabled but no BGP configured yet. */
export const BASE_FRR_CONF = ["frr defaults traditional", "hostname opnsense", "service integrated-vtysh-config", "!", ""].join("\n");

export type PeerSummary = {
  readonly state: string;
  readonly peerUptimeMsec: number;
  readonly pfxRcd: number;
  readonly desc: string | null;
};

export type NeighborInfo = {
  readonly bgpState: string;
  readonly connectionsEstablished: number;
  readonly connectionsDropped: number;
  readonly bgpTimerUpMsec: number;
  readonly nbrDesc: string | null;
  readonly updateSource: string | null;
  /** ROUTE-REFRESH messages sent (messageStats): how FRR re-reads a peer's routes without a reset */
  readonly routeRefreshSent: number;
};

export type RibPath = { readonly nexthops: readonly string[]; readonly bestpath: boolean; readonly multipath: boolean };

export type KernelRoute = { readonly dst: string; readonly gateways: readonly string[]; readonly devs: readonly string[] };

export type ApplyMethod = "frr-reload" | "vtysh";

export type ApplyResult = { readonly method: ApplyMethod; readonly ok: boolean; readonly output: string; readonly ms: number };

export type Frr = {
  readonly ns: string;
  /** config + run + vty socket directory (owned by frr) */
  readonly dir: string;
  readonly confPath: string;
  /** how `apply` changes the running config */
  readonly applyMethod: ApplyMethod;
  vtysh(...commands: string[]): Promise<string>;
  /** Write `conf` as frr.conf and make it the running config (frr-reload.py, else vtysh). */
  apply(conf: string): Promise<ApplyResult>;
  runningConfig(): Promise<string>;
  /** `show bgp summary json`, peers of every address family merged */
  summary(): Promise<Map<string, PeerSummary>>;
  /** `show bgp neighbors json` */
  neighbors(): Promise<Map<string, NeighborInfo>>;
  /** `show bgp ipv4|ipv6 unicast json`: prefix → paths */
  rib(family?: "ipv4" | "ipv6"): Promise<Map<string, RibPath[]>>;
  /** `ip [-6] -j route show proto bgp` in the router namespace */
  kernelRoutes(family?: "ipv4" | "ipv6"): Promise<Map<string, KernelRoute>>;
};

// ---- JSON narrowing (FRR output is data from outside: no casts beyond unknown) ----

function rec(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
function num(v: unknown): number {
  return typeof v === "number" ? v : 0;
}
function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function parseJson(text: string, what: string): unknown {
  const t = text.trim();
  if (t === "") return {};
  try {
    return JSON.parse(t) as unknown;
  } catch {
    throw new Error(`${what}: not JSON: ${t.slice(0, 300)}`);
  }
}

export function parseSummary(text: string): Map<string, PeerSummary> {
  const out = new Map<string, PeerSummary>();
  for (const af of Object.values(rec(parseJson(text, "show bgp summary json")))) {
    for (const [ip, p] of Object.entries(rec(rec(af)["peers"]))) {
      const r = rec(p);
      out.set(ip, { state: str(r["state"]) ?? "", peerUptimeMsec: num(r["peerUptimeMsec"]), pfxRcd: num(r["pfxRcd"]), desc: str(r["desc"]) });
    }
  }
  return out;
}

export function parseNeighbors(text: string): Map<string, NeighborInfo> {
  const out = new Map<string, NeighborInfo>();
  for (const [ip, n] of Object.entries(rec(parseJson(text, "show bgp neighbors json")))) {
    const r = rec(n);
    if (!("bgpState" in r)) continue;
    out.set(ip, {
      bgpState: str(r["bgpState"]) ?? "",
      connectionsEstablished: num(r["connectionsEstablished"]),
      connectionsDropped: num(r["connectionsDropped"]),
      bgpTimerUpMsec: num(r["bgpTimerUpMsec"]),
      nbrDesc: str(r["nbrDesc"]),
      updateSource: str(r["updateSource"]),
      routeRefreshSent: num(rec(r["messageStats"])["routeRefreshSent"]),
    });
  }
  return out;
}

export function parseRib(text: string): Map<string, RibPath[]> {
  const out = new Map<string, RibPath[]>();
  for (const [prefix, paths] of Object.entries(rec(rec(parseJson(text, "show bgp ipv4 unicast json"))["routes"]))) {
    out.set(
      prefix,
      arr(paths).map((p) => {
        const r = rec(p);
        return {
          nexthops: arr(r["nexthops"]).map((n) => str(rec(n)["ip"]) ?? ""),
          bestpath: r["bestpath"] === true,
          multipath: r["multipath"] === true,
        };
      }),
    );
  }
  return out;
}

function hopsAreV6(o: Record<string, unknown>): boolean {
  const hops = "nexthops" in o ? arr(o["nexthops"]).map(rec) : [o];
  return hops.some((h) => (str(h["gateway"]) ?? "").includes(":"));
}

export function parseKernelRoutes(text: string): Map<string, KernelRoute> {
  const out = new Map<string, KernelRoute>();
  for (const r of arr(parseJson(text === "" ? "[]" : text, "ip -j route"))) {
    const o = rec(r);
    const raw = str(o["dst"]) ?? "";
    // `ip -j route` names the default route "default" and host routes without a length; key them like FRR's RIB does
    const v6 = raw.includes(":") || hopsAreV6(o);
    const dst = raw === "default" ? (v6 ? "::/0" : "0.0.0.0/0") : raw.includes("/") ? raw : `${raw}/${v6 ? 128 : 32}`;
    const hops = "nexthops" in o ? arr(o["nexthops"]).map(rec) : [o];
    out.set(dst, {
      dst,
      gateways: hops.map((h) => str(h["gateway"]) ?? "").filter((g) => g !== ""),
      devs: hops.map((h) => str(h["dev"]) ?? "").filter((d) => d !== ""),
    });
  }
  return out;
}

// ---- vtysh fallback: what frr-reload does, reduced to the statements os-frr renders ----

type Ctx = { readonly path: readonly string[]; readonly line: string };

/** Config lines with their context (`router bgp N`, `address-family ...`), comments and `!` dropped. */
export function contextLines(conf: string): Ctx[] {
  const out: Ctx[] = [];
  const stack: string[] = [];
  for (const raw of conf.split("\n")) {
    const line = raw.trim();
    if (line === "" || line === "!" || line.startsWith("frr version")) continue;
    if (line === "exit-address-family") {
      stack.splice(1);
      continue;
    }
    if (line === "exit" || line === "end") {
      stack.splice(0);
      continue;
    }
    if (/^router |^interface |^vrf /.test(line)) {
      stack.splice(0, stack.length, line);
      out.push({ path: [], line });
      continue;
    }
    if (line.startsWith("address-family ") && stack.length >= 1) {
      stack.splice(1, stack.length - 1, line);
      out.push({ path: stack.slice(0, 1), line });
      continue;
    }
    out.push({ path: [...stack], line });
  }
  return out;
}

const key = (c: Ctx): string => [...c.path, c.line].join(" / ");

/**
 * vtysh command lines that turn `from` into `to`: removed neighbors get one `no neighbor X`
 * (which drops all their lines), other removed lines get `no <line>` in their context, and
 * removed routers `no router ...`. Added lines are applied afterwards with `vtysh -f to`.
 */
export function removalCommands(from: string, to: string): string[][] {
  const want = new Set(contextLines(to).map(key));
  const wantNeighbors = new Set(
    contextLines(to)
      .map((c) => /^neighbor (\S+) remote-as /.exec(c.line)?.[1])
      .filter((x): x is string => x !== undefined),
  );
  const cmds: string[][] = [];
  const goneNeighbors = new Set<string>();
  const goneRouters = new Set<string>();
  for (const c of contextLines(from)) {
    if (want.has(key(c))) continue;
    if (c.path.length === 0 && c.line.startsWith("router ")) {
      goneRouters.add(c.line);
      cmds.push([`no ${c.line}`]);
      continue;
    }
    const router = c.path[0];
    if (router !== undefined && goneRouters.has(router)) continue;
    const nb = /^neighbor (\S+) /.exec(c.line)?.[1];
    if (nb !== undefined && !wantNeighbors.has(nb)) {
      if (!goneNeighbors.has(nb) && router !== undefined) cmds.push([router, `no neighbor ${nb}`]);
      goneNeighbors.add(nb);
      continue;
    }
    if (c.path.length === 0 && (c.line.startsWith("hostname ") || c.line.startsWith("frr defaults") || c.line.startsWith("service "))) continue;
    cmds.push([...c.path, c.line.startsWith("no ") ? c.line.slice(3) : `no ${c.line}`]);
  }
  return cmds;
}

// ---- the daemons ----

export type StartFrrOptions = {
  readonly ns: string;
  readonly dir: string;
  readonly daemons: Daemons;
  /** force the vtysh fallback even when frr-reload.py is installed */
  readonly forceVtysh?: boolean;
};

export async function startFrr(o: StartFrrOptions): Promise<Frr> {
  const { ns, dir, daemons } = o;
  const confPath = `${dir}/frr.conf`;
  const vty = ["--vty_socket", dir, "--config_dir", dir];
  const common = ["-z", `${dir}/zserv.api`, "--vty_socket", dir, "-u", "frr", "-g", "frr"];
  writeFileSync(`${dir}/zebra.conf`, "");
  writeFileSync(`${dir}/bgpd.conf`, "");
  writeFileSync(`${dir}/vtysh.conf`, "service integrated-vtysh-config\n");
  writeFileSync(confPath, BASE_FRR_CONF);
  await runOk("chown", ["-R", "frr:frr", dir]);

  daemons.spawn("zebra", ["ip", "netns", "exec", ns, `${FRR_BIN_DIR}/zebra`, "-f", `${dir}/zebra.conf`, "-i", `${dir}/zebra.pid`, ...common]);
  await daemons.waitForFile(`${dir}/zebra.vty`, "zebra vty socket");
  daemons.spawn("bgpd", ["ip", "netns", "exec", ns, `${FRR_BIN_DIR}/bgpd`, "-f", `${dir}/bgpd.conf`, "-i", `${dir}/bgpd.pid`, ...common]);
  await daemons.waitForFile(`${dir}/bgpd.vty`, "bgpd vty socket");

  const vtysh = async (...commands: string[]): Promise<string> =>
    runOk("vtysh", [...vty, ...commands.flatMap((c) => ["-c", c])], { timeoutMs: 10_000 });
  // boot: load the integrated config like frrinit does
  await runOk("vtysh", [...vty, "-b"], { timeoutMs: 10_000 });

  const reloadPath = o.forceVtysh ? null : which(FRR_RELOAD);
  const applyMethod: ApplyMethod = reloadPath !== null && which("python3") !== null ? "frr-reload" : "vtysh";
  let lastApplied = BASE_FRR_CONF;

  const apply = async (conf: string): Promise<ApplyResult> => {
    const t0 = Date.now();
    writeFileSync(confPath, conf);
    if (applyMethod === "frr-reload") {
      // what rc.d/frr reload runs on OPNsense: frr-reload.py --reload --confdir ... --rundir ... frr.conf
      const r = await run(
        "python3",
        [FRR_RELOAD, "--reload", "--stdout", "--bindir", "/usr/bin", "--confdir", dir, "--rundir", dir, "--vty_socket", dir, confPath],
        { timeoutMs: 30_000 },
      );
      lastApplied = conf;
      return { method: applyMethod, ok: r.code === 0, output: `${r.stdout}${r.stderr}`, ms: Date.now() - t0 };
    }
    const outputs: string[] = [];
    let ok = true;
    for (const cmd of removalCommands(lastApplied, conf)) {
      const r = await run("vtysh", [...vty, "-c", "configure terminal", ...cmd.flatMap((c) => ["-c", c])]);
      outputs.push(`${cmd.join(" / ")}: rc=${r.code} ${r.stdout}${r.stderr}`.trim());
    }
    const r = await run("vtysh", [...vty, "-f", confPath], { timeoutMs: 30_000 });
    outputs.push(`vtysh -f: rc=${r.code} ${r.stdout}${r.stderr}`.trim());
    if (r.code !== 0) ok = false;
    lastApplied = conf;
    return { method: applyMethod, ok, output: outputs.join("\n"), ms: Date.now() - t0 };
  };

  return {
    ns,
    dir,
    confPath,
    applyMethod,
    vtysh,
    apply,
    runningConfig: () => vtysh("show running-config"),
    summary: async () => parseSummary(await vtysh("show bgp summary json")),
    neighbors: async () => parseNeighbors(await vtysh("show bgp neighbors json")),
    rib: async (family = "ipv4") => parseRib(await vtysh(`show bgp ${family} unicast json`)),
    kernelRoutes: async (family = "ipv4") => parseKernelRoutes(await runOk("ip", ["-n", ns, ...(family === "ipv6" ? ["-6"] : []), "-j", "route", "show", "proto", "bgp"])),
  };
}
