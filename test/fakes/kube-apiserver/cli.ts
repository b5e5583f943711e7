// Standalone fake apiserver: `npm run kube-fake -- --port 6443 [--tls] [--token T] [--seed-nodes 3]`.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { startKubeFake } from "./server.ts";

const USAGE = `usage: node test/fakes/kube-apiserver/cli.ts [--port 6443] [--host 127.0.0.1] [--tls] [--token T]
       [--seed-nodes N] [--kubeconfig-out PATH] [--expired-watch http|event] [--bookmark-interval-ms MS]`;

function fail(msg: string): never {
  process.stderr.write(`${msg}\n${USAGE}\n`);
  process.exit(2);
}

function parseCli() {
  return parseArgs({
    options: {
      port: { type: "string", default: "6443" },
      host: { type: "string", default: "127.0.0.1" },
      tls: { type: "boolean", default: false },
      token: { type: "string" },
      "seed-nodes": { type: "string", default: "0" },
      "kubeconfig-out": { type: "string" },
      "expired-watch": { type: "string", default: "http" },
      "bookmark-interval-ms": { type: "string", default: "1000" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  }).values;
}

let values: ReturnType<typeof parseCli>;
try {
  values = parseCli();
} catch (e) {
  fail((e as Error).message);
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const port = Number(values.port);
const seed = Number(values["seed-nodes"]);
const expired = values["expired-watch"];
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad --port ${values.port}`);
if (!Number.isInteger(seed) || seed < 0) fail(`bad --seed-nodes ${values["seed-nodes"]}`);
if (expired !== "http" && expired !== "event") fail(`bad --expired-watch ${String(expired)}`);

const fake = await startKubeFake({
  port,
  host: values.host,
  tls: values.tls,
  token: values.token,
  expiredWatchMode: expired,
  bookmarkIntervalMs: Number(values["bookmark-interval-ms"]),
});
for (let i = 1; i <= seed; i++) {
  fake.control.createNode({ name: `node-${i}`, labels: i === 1 ? { "node-role.kubernetes.io/control-plane": "" } : { "node-role.kubernetes.io/worker": "" } });
}

let kubectl: string;
const out = values["kubeconfig-out"];
if (out) {
  const path = resolve(out);
  writeFileSync(path, fake.kubeconfig(), { mode: 0o600 });
  kubectl = `kubectl --kubeconfig ${path} get nodes`;
} else {
  kubectl = `kubectl --server ${fake.url}${values.tls ? " --insecure-skip-tls-verify" : ""}${values.token ? ` --token ${values.token}` : ""} get nodes`;
}
process.stdout.write(`kube-fake listening on ${fake.url} (control API: ${fake.url}/__fake/state) - try: ${kubectl}\n`);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`kube-fake: ${signal}, shutting down\n`);
  void fake.close().then(() => process.exit(0));
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
