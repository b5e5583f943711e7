// Bridge from the OPNsense simulator's *running* FRR state to a real FRR: whenever a
// `quagga/service/reconfigure` changed what the simulated box runs, write the rendered
// frr.conf and apply it to the real daemons the way os-frr's `rc.d/frr reload` does
// (frr-reload.py --reload), so real BGP sessions follow the simulator.
//
// The simulator has no change hook, so its `control.running()` is polled.
import { DEFAULT_INTERFACE_DEVICES, type SimControl } from "../fakes/opnsense/index.ts";
import { sleep } from "./exec.ts";
import { BASE_FRR_CONF, type ApplyResult, type Frr } from "./frr.ts";

export type BridgeApply = ApplyResult & {
  readonly at: number;
  /** the frr.conf as the simulator rendered it */
  readonly simConf: string;
  /** what was given to the real FRR (devices mapped) */
  readonly conf: string;
};

export type FrrBridge = {
  readonly applies: readonly BridgeApply[];
  /** applies that failed (frr-reload exit code ≠ 0) */
  readonly failures: readonly BridgeApply[];
  /** Resolves once the current running state of the simulator has been applied. */
  synced(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
};

/**
 * Replace the simulator's device names (rendered from its interface table: lan → vtnet1, …)
 * by the lab's devices for the same OPNsense interfaces, in `update-source` / `interface` statements.
 */
export function mapInterfaceDevices(
  conf: string,
  labDevices: Readonly<Record<string, string>>,
  simDevices: Readonly<Record<string, string>> = DEFAULT_INTERFACE_DEVICES,
): string {
  const byDevice = new Map<string, string>();
  for (const [ifname, dev] of Object.entries(simDevices)) {
    const lab = labDevices[ifname];
    if (lab !== undefined) byDevice.set(dev, lab);
  }
  return conf.replace(/^(\s*neighbor \S+ (?:update-source|interface)) (\S+)$/gm, (all, head: string, dev: string) => {
    const to = byDevice.get(dev);
    return to === undefined ? all : `${head} ${to}`;
  });
}

type RunningFrrView = { readonly running: boolean; readonly conf: string; readonly lastReconfigure: number | null };

/** What the real FRR should run for this simulator state (a stopped FRR = no routing config). */
export function targetConf(frr: RunningFrrView, labDevices: Readonly<Record<string, string>>): string {
  if (!frr.running || frr.conf === "") return BASE_FRR_CONF;
  return mapInterfaceDevices(frr.conf, labDevices);
}

export function startFrrBridge(o: {
  readonly control: Pick<SimControl, "running">;
  readonly frr: Pick<Frr, "apply">;
  /** OPNsense interface → lab device, e.g. { lan: "vtnet1" } */
  readonly interfaceDevices: Readonly<Record<string, string>>;
  readonly pollMs?: number;
  readonly onApply?: (a: BridgeApply) => void;
}): FrrBridge {
  const pollMs = o.pollMs ?? 100;
  const applies: BridgeApply[] = [];
  const failures: BridgeApply[] = [];
  let appliedSimConf: string | null = null;
  let stopped = false;

  const pending = (): { simConf: string; conf: string } | null => {
    const r = o.control.running().frr;
    const simConf = r.running ? r.conf : "";
    if (simConf === appliedSimConf) return null;
    return { simConf, conf: targetConf(r, o.interfaceDevices) };
  };

  const loop = (async (): Promise<void> => {
    while (!stopped) {
      const next = pending();
      if (next) {
        const res = await o.frr.apply(next.conf);
        const a: BridgeApply = { ...res, at: Date.now(), simConf: next.simConf, conf: next.conf };
        appliedSimConf = next.simConf;
        applies.push(a);
        if (!res.ok) failures.push(a);
        o.onApply?.(a);
        continue;
      }
      await sleep(pollMs);
    }
  })();

  return {
    applies,
    failures,
    async synced(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (pending() !== null) {
        if (Date.now() > deadline) throw new Error("FRR bridge: simulator state not applied in time");
        await sleep(50);
      }
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
