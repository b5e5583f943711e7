// Standalone simulator: `npm run simulator -- --version 26.1.11 --port 8443 --tls --hostname opnsense.lan`
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startOpnsenseSimulator } from "./index.ts";
import type { SimulatorOptions } from "./index.ts";
import { DEFAULT_VERSION } from "./index.ts";
import { isVersion, osFrrVersion, VERSIONS } from "./versions.ts";

const usage = `usage: node test/fakes/opnsense/cli.ts [--version ${VERSIONS.join("|")}] [--port 8443]
  [--host 127.0.0.1] [--api-key KEY] [--api-secret SECRET] [--tls] [--hostname opnsense.lan]
  [--auth-delay-ms 2000] [--no-frr]`;

const { values } = parseArgs({
  options: {
    version: { type: "string", default: DEFAULT_VERSION },
    port: { type: "string", default: "8443" },
    host: { type: "string", default: "127.0.0.1" },
    "api-key": { type: "string" },
    "api-secret": { type: "string" },
    tls: { type: "boolean", default: false },
    hostname: { type: "string" },
    "auth-delay-ms": { type: "string", default: "2000" },
    "no-frr": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (!isVersion(values.version)) {
  console.error(`unknown --version ${values.version}\n${usage}`);
  process.exit(2);
}
const opts: SimulatorOptions = {
  version: values.version,
  port: Number(values.port),
  host: values.host,
  authFailDelayMs: Number(values["auth-delay-ms"]),
  frrInstalled: !values["no-frr"],
};
if (values["api-key"]) opts.apiKey = values["api-key"];
if (values["api-secret"]) opts.apiSecret = values["api-secret"];
if (values.tls || values.hostname) opts.tls = values.hostname ? { hostname: values.hostname } : true;

const sim = await startOpnsenseSimulator(opts);
let caFile = "";
if (sim.caPem) {
  caFile = join(tmpdir(), `opnsense-sim-ca-${new URL(sim.url).port}.pem`);
  writeFileSync(caFile, sim.caPem);
}
console.log(
  `opnsense simulator listening on ${sim.url} version=${values.version} os-frr=${osFrrVersion(values.version)}` +
    (sim.hostname ? ` hostname=${sim.hostname} ca=${caFile}` : "") +
    ` api-key=${sim.apiKey} control=${sim.url}/__sim/`,
);

let closing = false;
const shutdown = (): void => {
  if (closing) return;
  closing = true;
  sim.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
