import type { Endpoint, Reply } from "./api-types.ts";
import { ok } from "./api-types.ts";
import type { Fields, RunningPeer, SimState } from "./state.ts";
import { INTERFACES } from "./state.ts";
import { neighborLines, renderFrrConf } from "./frr-render.ts";
import type { FrrConfigInput } from "./frr-render.ts";

export function savedFrrInput(sim: SimState): FrrConfigInput {
  return {
    bgp: { ...sim.config.bgp },
    general: { ...sim.config.general },
    neighbors: Object.fromEntries([...sim.config.neighbors].map(([k, v]) => [k, { ...v }])),
    peergroups: Object.fromEntries([...sim.config.peergroups].map(([k, v]) => [k, { ...v }])),
    prefixlists: Object.fromEntries([...sim.config.prefixlists].map(([k, v]) => [k, { ...v }])),
  };
}

interface Desired {
  bgpd: boolean;
  asnumber: string;
  routerId: string;
  conf: string;
  peers: Map<string, { uuid: string; fields: Fields; signature: string }>;
}

function desiredFrom(sim: SimState): Desired {
  const input = savedFrrInput(sim);
  const minor = sim.features.osFrrMinor;
  const conf = renderFrrConf(input, { osFrrMinor: minor });
  const bgpd = input.bgp["enabled"] === "1" && (input.bgp["asnumber"] ?? "") !== "";
  const peers = new Map<string, { uuid: string; fields: Fields; signature: string }>();
  if (bgpd) {
    for (const [uuid, n] of sim.config.neighbors) {
      if (n["enabled"] !== "1") continue;
      const a = n["address"] ?? "";
      if (peers.has(a)) continue;
      // the description is changed in place by frr-reload (measured on a lab FRR); other lines reset the peer
      const sig = neighborLines({ ...n, description: "" }, { osFrrMinor: minor }).join("\n");
      peers.set(a, { uuid, fields: { ...n }, signature: sig });
    }
  }
  return {
    bgpd,
    asnumber: input.bgp["asnumber"] ?? "",
    routerId: input.bgp["routerid"] || (INTERFACES["lan"]?.ipv4 ?? "10.0.20.1"),
    conf,
    peers,
  };
}

function freshPeer(address: string, d: { uuid: string; fields: Fields; signature: string }): RunningPeer {
  return {
    address,
    uuid: d.uuid,
    fields: d.fields,
    signature: d.signature,
    state: "Active",
    establishedAt: 0,
    connectionsEstablished: 0,
    connectionsDropped: 0,
    prefixes: [],
  };
}

function dropAll(sim: SimState): void {
  sim.counters.sessionsDropped += sim.frr.peers.size;
  sim.frr.peers.clear();
}

function start(sim: SimState, d: Desired): void {
  sim.frr.running = true;
  sim.frr.bgpd = d.bgpd;
  sim.frr.asnumber = d.asnumber;
  sim.frr.routerId = d.routerId;
  sim.frr.conf = d.conf;
  sim.frr.peers = new Map([...d.peers].map(([a, p]) => [a, freshPeer(a, p)]));
}

function stop(sim: SimState): void {
  dropAll(sim);
  sim.frr.running = false;
  sim.frr.bgpd = false;
}

/** frr-reload: only removed or changed neighbors lose their session (§3.6, measured on a lab FRR) */
function reload(sim: SimState, d: Desired): void {
  if (d.asnumber !== sim.frr.asnumber || d.bgpd !== sim.frr.bgpd) {
    dropAll(sim);
    start(sim, d);
    return;
  }
  const next = new Map<string, RunningPeer>();
  for (const [a, want] of d.peers) {
    const cur = sim.frr.peers.get(a);
    if (cur && cur.signature === want.signature) {
      next.set(a, { ...cur, uuid: want.uuid, fields: want.fields });
    } else {
      if (cur) sim.counters.sessionsDropped++;
      next.set(a, freshPeer(a, want));
    }
  }
  for (const a of sim.frr.peers.keys()) if (!d.peers.has(a)) sim.counters.sessionsDropped++;
  sim.frr.peers = next;
  sim.frr.conf = d.conf;
  sim.frr.routerId = d.routerId;
}

export function reconfigure(sim: SimState): Reply {
  sim.counters.reconfigures++;
  sim.frr.lastReconfigure = Date.now();
  if (sim.config.general["enabled"] !== "1") {
    stop(sim);
    return ok({ status: "ok" });
  }
  // manual mode: frr.conf is no longer generated, the daemons keep what they run (§3.5)
  const manual = sim.config.general["manual_config"] === "1";
  const d = manual && sim.frr.running
    ? {
        bgpd: sim.frr.bgpd,
        asnumber: sim.frr.asnumber,
        routerId: sim.frr.routerId,
        conf: sim.frr.conf,
        peers: new Map([...sim.frr.peers].map(([a, p]) => [a, { uuid: p.uuid, fields: p.fields, signature: p.signature }])),
      }
    : desiredFrom(sim);
  const forcedRestart = !sim.frrAtLeast(43);
  if (forcedRestart || !sim.frr.running) {
    stop(sim);
    start(sim, d);
  } else {
    reload(sim, d);
  }
  return ok({ status: "ok" });
}

function status(sim: SimState): string {
  if (sim.config.general["enabled"] !== "1") return "disabled";
  return sim.frr.running ? "running" : "stopped";
}

export function serviceEndpoints(): Endpoint[] {
  const base = { module: "quagga", controller: "service" } as const;
  return [
    { ...base, action: "reconfigure", kind: "reconfigure", handler: (_r, sim) => reconfigure(sim) },
    {
      ...base,
      action: "status",
      kind: "any",
      handler: (_r, sim) =>
        // os-frr's own statusAction until plugins 25.1 moved it to ApiMutableServiceControllerBase (§3.1)
        ok(
          sim.features.serviceWidget
            ? { status: status(sim), widget: { caption_restart: "Restart", caption_start: "Start", caption_stop: "Stop" } }
            : { status: status(sim) },
        ),
    },
    {
      ...base,
      action: "start",
      kind: "service",
      handler: (_r, sim) => {
        if (!sim.frr.running && sim.config.general["enabled"] === "1") start(sim, desiredFrom(sim));
        return ok({ response: "OK" });
      },
    },
    {
      ...base,
      action: "stop",
      kind: "service",
      handler: (_r, sim) => {
        stop(sim);
        return ok({ response: "OK" });
      },
    },
    {
      ...base,
      action: "restart",
      kind: "service",
      handler: (_r, sim) => {
        stop(sim);
        if (sim.config.general["enabled"] === "1") start(sim, desiredFrom(sim));
        return ok({ response: "OK" });
      },
    },
  ];
}
