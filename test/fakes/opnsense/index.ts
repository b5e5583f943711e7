import { createServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { generate } from "selfsigned";
import { SimState } from "./state.ts";
import type { OpnVersion } from "./versions.ts";
import { createControl } from "./control.ts";
import type { SimControl } from "./control.ts";
import { Transport } from "./server.ts";

export type { OpnVersion } from "./versions.ts";
export type { Features } from "./versions.ts";
export { VERSIONS, REAL_CHECKED, FEATURES, featuresOf, osFrrVersion, isVersion } from "./versions.ts";
export type { SimControl, SimSnapshot, RunningSnapshot, RunningNeighbor, LegacyRuleSeed } from "./control.ts";
export type { Fault, FaultKind, FaultMatch } from "./faults.ts";
export type { Privilege, PeerState, Counters, LogEntry, Fields } from "./state.ts";
export { ALL_PRIVILEGES, INTERFACES } from "./state.ts";
export { renderFrrConf, neighborLines, DEFAULT_INTERFACE_DEVICES } from "./frr-render.ts";
export type { FrrConfigInput, FrrRenderOptions } from "./frr-render.ts";

function keyLike(seed: number): string {
  // base64 of 60 bytes = 80 characters over [A-Za-z0-9+/], like real keys (§1.2)
  return Buffer.from(Array.from({ length: 60 }, (_, i) => (i * 37 + seed * 101 + 11) & 255)).toString("base64");
}

export const DEFAULT_API_KEY = keyLike(1);
export const DEFAULT_API_SECRET = keyLike(2);
export const DEFAULT_HOSTNAME = "opnsense.localdomain";
/** the release a simulator plays unless told otherwise */
export const DEFAULT_VERSION: OpnVersion = "26.1.11";

export interface SimulatorOptions {
  version?: OpnVersion;
  port?: number;
  host?: string;
  apiKey?: string;
  apiSecret?: string;
  authFailDelayMs?: number;
  tls?: boolean | { hostname: string };
  frrInstalled?: boolean;
}

export interface Simulator {
  url: string;
  /** PEM of the self-signed server certificate (its own CA) when tls is on */
  caPem?: string;
  /** DNS name in the certificate; connect with it or set the TLS servername (§1.6) */
  hostname?: string;
  apiKey: string;
  apiSecret: string;
  control: SimControl;
  close(): Promise<void>;
}

/** self-signed like OPNsense's web GUI cert: CN and a single DNS SAN, no IP SAN, 397 days (§1.6) */
async function makeCert(hostname: string): Promise<{ key: string; cert: string }> {
  const now = new Date();
  const pems = await generate([{ name: "commonName", value: hostname }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate: now,
    notAfterDate: new Date(now.getTime() + 397 * 24 * 3600 * 1000),
    extensions: [
      { name: "subjectAltName", altNames: [{ type: 2, value: hostname }] },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

export async function startOpnsenseSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const sim = new SimState(opts.version ?? DEFAULT_VERSION, opts.frrInstalled ?? true);
  const apiKey = opts.apiKey ?? DEFAULT_API_KEY;
  const apiSecret = opts.apiSecret ?? DEFAULT_API_SECRET;
  let transport: Transport | null = null;
  const control = createControl(sim, {
    setAuthFailDelayMs: (ms) => {
      if (transport) transport.opts.authFailDelayMs = ms;
    },
    releaseHung: () => transport?.releaseParked(),
  });
  transport = new Transport(sim, control, { apiKey, apiSecret, authFailDelayMs: opts.authFailDelayMs ?? 2000 });
  const tlsHost = opts.tls ? (typeof opts.tls === "object" ? opts.tls.hostname : DEFAULT_HOSTNAME) : undefined;
  let server: Server;
  let caPem: string | undefined;
  if (tlsHost) {
    const { key, cert } = await makeCert(tlsHost);
    caPem = cert;
    server = createHttpsServer({ key, cert }, transport.handle);
  } else {
    server = createServer(transport.handle);
  }
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const result: Simulator = {
    url: `${tlsHost ? "https" : "http"}://${urlHost}:${port}`,
    apiKey,
    apiSecret,
    control,
    close: async () => {
      if (sim.pendingRollback) clearTimeout(sim.pendingRollback.timer);
      transport?.releaseParked();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  if (caPem !== undefined) result.caPem = caPem;
  if (tlsHost !== undefined) result.hostname = tlsHost;
  return result;
}
