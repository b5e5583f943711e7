import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

const P = "opnsense_bgp_agent_";

/** The agent's metrics (design §7), on a registry of their own so several agents can live in one test process. */
export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: P });
  const syncTotal = new Counter({
    name: `${P}sync_total`,
    help: "Reconcile passes by result (success, partial, error, skipped)",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  const syncDuration = new Histogram({
    name: `${P}sync_duration_seconds`,
    help: "Duration of reconcile passes",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const managedObjects = new Gauge({
    name: `${P}managed_objects`,
    help: "Objects the agent owns on OPNsense after the last pass, by kind",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  const opnsenseRequests = new Counter({
    name: `${P}opnsense_requests_total`,
    help: "OPNsense API requests by endpoint (ids removed) and HTTP status (or 'error')",
    labelNames: ["endpoint", "code"] as const,
    registers: [registry],
  });
  const conflicts = new Gauge({
    name: `${P}conflicts`,
    help: "Desired objects blocked by a foreign object in the last pass",
    registers: [registry],
  });
  const problems = new Gauge({
    name: `${P}input_problems`,
    help: "Nodes, services or settings skipped in the last pass because their input is invalid",
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: `${P}last_success_timestamp_seconds`,
    help: "Unix time of the last fully successful pass",
    registers: [registry],
  });
  const writes = new Counter({
    name: `${P}opnsense_writes_total`,
    help: "Configuration writes made on OPNsense, by operation kind",
    labelNames: ["operation"] as const,
    registers: [registry],
  });
  const applies = new Counter({
    name: `${P}opnsense_applies_total`,
    help: "Service reconfigures / filter applies made on OPNsense",
    labelNames: ["subsystem"] as const,
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: `${P}rate_limited_total`,
    help: "Passes held back by MIN_APPLY_INTERVAL (changes collected into one later pass)",
    registers: [registry],
  });
  const rateLimitedSeconds = new Counter({
    name: `${P}rate_limited_seconds_total`,
    help: "Total time passes were held back by MIN_APPLY_INTERVAL",
    registers: [registry],
  });
  const firewallSuspended = new Gauge({
    name: `${P}firewall_suspended`,
    help: "1 while firewall changes are suspended after a lockout undo (cleared by removing the Lease annotation)",
    registers: [registry],
  });
  return { registry, syncTotal, syncDuration, managedObjects, opnsenseRequests, conflicts, problems, lastSuccess, writes, applies, rateLimited, rateLimitedSeconds, firewallSuspended };
}
