// FRR diagnostics derived from what runs (not from the saved model). Shapes follow
// FRR JSON captured in a lab, in the shape os-frr's diagnostics wrap it (under "response").

import type { Endpoint } from "./api-types.ts";
import { ok } from "./api-types.ts";
import type { RunningPeer, SimState } from "./state.ts";
import { grid, gridParams } from "./crud.ts";

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

function uptimeString(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

function localAs(sim: SimState, p: RunningPeer): number {
  return Number(p.fields["localas"] || sim.frr.asnumber);
}

function remoteAs(sim: SimState, p: RunningPeer): number {
  const mode = p.fields["remote_as_mode"] ?? "";
  if (mode === "internal") return Number(sim.frr.asnumber);
  const n = Number(p.fields["remoteas"] || 0);
  return n;
}

/** FRR only knows the description when os-frr renders it (1.52+) */
function description(sim: SimState, p: RunningPeer): string | undefined {
  if (!sim.frrAtLeast(52)) return undefined;
  const d = p.fields["description"] ?? "";
  return d === "" ? undefined : d;
}

function families(p: RunningPeer): Array<"ipv4Unicast" | "ipv6Unicast"> {
  if (p.fields["multiprotocol"] === "1") return ["ipv4Unicast", "ipv6Unicast"];
  return [p.address.includes(":") ? "ipv6Unicast" : "ipv4Unicast"];
}

function bgpdAnswers(sim: SimState): boolean {
  return sim.frr.running && sim.frr.bgpd;
}

export function bgpSummary(sim: SimState): unknown {
  if (!bgpdAnswers(sim) || sim.frr.peers.size === 0) return [];
  const now = Date.now();
  const out: Record<string, unknown> = {};
  for (const af of ["ipv4Unicast", "ipv6Unicast"] as const) {
    const peers: Record<string, unknown> = {};
    let failed = 0;
    for (const p of sim.frr.peers.values()) {
      if (!families(p).includes(af)) continue;
      const up = p.state === "Established";
      if (!up) failed++;
      const entry: Record<string, unknown> = {};
      if (up) entry["hostname"] = "node";
      Object.assign(entry, {
        remoteAs: remoteAs(sim, p),
        localAs: localAs(sim, p),
        version: 4,
        msgRcvd: up ? 4 : 0,
        msgSent: up ? 3 : 0,
        tableVersion: 0,
        outq: 0,
        inq: 0,
        peerUptime: up ? uptimeString(now - p.establishedAt) : "never",
        peerUptimeMsec: up ? now - p.establishedAt : 0,
      });
      if (up) entry["peerUptimeEstablishedEpoch"] = Math.floor(p.establishedAt / 1000);
      Object.assign(entry, {
        pfxRcd: up ? p.prefixes.filter((x) => x.includes(":") === (af === "ipv6Unicast")).length : 0,
        pfxSnt: 0,
        state: p.state,
        peerState: "OK",
        connectionsEstablished: p.connectionsEstablished,
        connectionsDropped: p.connectionsDropped,
      });
      const desc = description(sim, p);
      if (desc !== undefined) entry["desc"] = desc;
      entry["idType"] = p.address.includes(":") ? "ipv6" : "ipv4";
      peers[p.address] = entry;
    }
    const count = Object.keys(peers).length;
    if (count === 0) continue;
    out[af] = {
      routerId: sim.frr.routerId,
      as: Number(sim.frr.asnumber),
      vrfId: 0,
      vrfName: "default",
      tableVersion: 1,
      ribCount: 0,
      ribMemory: 0,
      peerCount: count,
      peerMemory: 741464 * count,
      peers,
      failedPeers: failed,
      displayedPeers: count,
      totalPeers: count,
      dynamicPeers: 0,
      bestPath: { multiPathRelax: "false" },
    };
  }
  return out;
}

export function bgpNeighbors(sim: SimState): unknown {
  if (!bgpdAnswers(sim) || sim.frr.peers.size === 0) return [];
  const now = Date.now();
  const out: Record<string, unknown> = {};
  for (const p of sim.frr.peers.values()) {
    const up = p.state === "Established";
    const la = localAs(sim, p);
    const ra = remoteAs(sim, p);
    const e: Record<string, unknown> = {
      remoteAs: ra,
      localAs: la,
      nbrInternalLink: ra === la,
      localRole: "undefined",
      remoteRole: "undefined",
    };
    const desc = description(sim, p);
    if (desc !== undefined) e["nbrDesc"] = desc;
    if (up) e["hostname"] = "node";
    Object.assign(e, {
      bgpVersion: 4,
      remoteRouterId: up ? p.address : "0.0.0.0",
      localRouterId: sim.frr.routerId,
      bgpState: p.state,
    });
    if (up) {
      Object.assign(e, {
        bgpTimerUpMsec: now - p.establishedAt,
        bgpTimerUpString: uptimeString(now - p.establishedAt),
        bgpTimerUpEstablishedEpoch: Math.floor(p.establishedAt / 1000),
      });
    }
    const keepalive = Number(p.fields["keepalive"] || 60) * 1000;
    const hold = Number(p.fields["holddown"] || 180) * 1000;
    Object.assign(e, {
      bgpTimerLastRead: 6000,
      bgpTimerLastWrite: 6000,
      bgpInUpdateElapsedTimeMsecs: up ? now - p.establishedAt : 0,
      bgpTimerConfiguredHoldTimeMsecs: hold,
      bgpTimerConfiguredKeepAliveIntervalMsecs: keepalive,
      bgpTimerHoldTimeMsecs: hold,
      bgpTimerKeepAliveIntervalMsecs: keepalive,
      messageStats: {
        opensSent: up ? 1 : 0,
        opensRecv: up ? 1 : 0,
        updatesSent: 0,
        updatesRecv: up ? 1 : 0,
        totalSent: up ? 3 : 0,
        totalRecv: up ? 4 : 0,
      },
      minBtwnAdvertisementRunsTimerMsecs: 0,
    });
    const us = p.fields["updatesource"] ?? "";
    if (us !== "" && !p.address.includes(":")) {
      const dev = { lan: "vtnet1", wan: "vtnet0", opt1: "vtnet2" }[us];
      e["updateSource"] = dev ?? us;
    }
    const afi: Record<string, unknown> = {};
    for (const f of families(p)) {
      afi[f] = { commAttriSentToNbr: "extendedAndStandard", acceptedPrefixCounter: up ? p.prefixes.length : 0 };
    }
    Object.assign(e, {
      addressFamilyInfo: afi,
      connectionsEstablished: p.connectionsEstablished,
      connectionsDropped: p.connectionsDropped,
      lastResetTimerMsecs: 42000,
      lastResetDueTo: "Waiting for peer OPEN",
      lastResetCode: 32,
      hostLocal: up ? sim.frr.routerId : "Unknown",
      portLocal: up ? 41153 : -1,
      hostForeign: up ? p.address : "Unknown",
      portForeign: up ? 179 : -1,
      connectRetryTimer: Number(p.fields["connecttimer"] || 120),
    });
    if (!up) e["nextConnectTimerDueInMsecs"] = 3000;
    Object.assign(e, { readThread: up ? "on" : "off", writeThread: up ? "on" : "off" });
    out[p.address] = e;
  }
  return out;
}

export function runningConfigText(sim: SimState): string {
  if (!sim.frr.running) return "";
  const body = sim.frr.conf.replace(/\n+$/, "");
  return `Building configuration...\n\nCurrent configuration:\n!\nfrr version 10.2.2\n${body}\n!\nend\n`;
}

function routeRows(sim: SimState, v6: boolean): { rows: Array<Record<string, unknown>>; base: Record<string, unknown> } {
  if (!bgpdAnswers(sim)) return { rows: [], base: {} };
  const base = {
    vrfId: 0,
    vrfName: "default",
    tableVersion: 1,
    routerId: sim.frr.routerId,
    defaultLocPrf: 100,
    localAS: Number(sim.frr.asnumber),
  };
  const byPrefix = new Map<string, RunningPeer[]>();
  const peers = [...sim.frr.peers.values()].filter((p) => p.state === "Established");
  for (const p of peers) {
    for (const pfx of p.prefixes) {
      if (pfx.includes(":") !== v6) continue;
      const list = byPrefix.get(pfx) ?? [];
      list.push(p);
      byPrefix.set(pfx, list);
    }
  }
  const rows: Array<Record<string, unknown>> = [];
  for (const [pfx, list] of byPrefix) {
    const [prefix, len] = pfx.includes("/") ? pfx.split("/") : [pfx, v6 ? "128" : "32"];
    list.forEach((p, i) => {
      const internal = remoteAs(sim, p) === Number(sim.frr.asnumber);
      const row: Record<string, unknown> = { ...base, valid: true };
      if (i === 0) {
        row["bestpath"] = true;
        row["selectionReason"] = list.length > 1 ? "Router ID" : "First path received";
      } else {
        row["multipath"] = true;
      }
      Object.assign(row, {
        pathFrom: internal ? "internal" : "external",
        prefix,
        prefixLen: Number(len),
        network: `${prefix}/${len}`,
        version: 1,
        locPrf: 100,
        weight: 0,
        peerId: p.address,
        path: internal ? "Internal" : String(remoteAs(sim, p)),
        origin: "incomplete",
        ip: p.address,
        hostname: "node",
        afi: v6 ? "ipv6" : "ipv4",
        used: true,
        internal,
      });
      rows.push(row);
    });
  }
  return { rows, base };
}

export function diagnosticsEndpoints(): Endpoint[] {
  const base = { module: "quagga", controller: "diagnostics", kind: "any" } as const;
  const routes = (v6: boolean): Endpoint => ({
    ...base,
    action: v6 ? "searchBgproute6" : "searchBgproute4",
    handler: (req, sim) => {
      const { rows, base: b } = routeRows(sim, v6);
      const g = grid(rows, gridParams(req, false));
      if (Object.keys(b).length) g["subtitle"] = `routerId : ${sim.frr.routerId} , localAS : ${sim.frr.asnumber}`;
      return ok(g);
    },
  });
  return [
    { ...base, action: "bgpsummary", handler: (_r, sim) => ok({ response: bgpSummary(sim) }) },
    { ...base, action: "bgpneighbors", handler: (_r, sim) => ok({ response: bgpNeighbors(sim) }) },
    { ...base, action: "generalrunningconfig", handler: (_r, sim) => ok({ response: runningConfigText(sim) }) },
    routes(false),
    routes(true),
  ];
}
