import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import pkg from "../../package.json" with { type: "json" };

const P = "opnsense_bgp_agent_";

/** The agent's metrics (design §7), on a registry of their own so several agents can live in one test process. */
export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  // Unprefixed: the standard process_*/nodejs_* names are what stock Node.js dashboards query.
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const buildInfo = new Gauge({
    name: `${P}build_info`,
    help: "Always 1; the labels say which agent version runs on which Node.js",
    labelNames: ["version", "node_version"] as const,
    registers: [registry],
  });
  buildInfo.set({ version: pkg.version, node_version: process.version }, 1);
  const leader = new Gauge({
    name: `${P}leader`,
    help: "1 when this replica may write (it holds the Lease, or leader election is off), 0 on standby",
    registers: [registry],
  });
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
  const heldNeighbors = new Gauge({
    name: `${P}held_neighbors`,
    help: "Owned neighbors kept in the last pass although no node asks for them, by reason (invalid-input, removal-grace, deletion-guard)",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  const deletionGuard = new Gauge({
    name: `${P}deletion_guard_active`,
    help: "1 while a pass would delete more than MAX_DELETE_FRACTION of the owned neighbors and deletes none",
    registers: [registry],
  });
  const ownerConflict = new Gauge({
    name: `${P}owner_conflict`,
    help: "1 while another cluster owns this OWNER_ID on the router (nothing is written)",
    registers: [registry],
  });
  const bgpConfigMismatches = new Gauge({
    name: `${P}bgp_config_mismatches`,
    help: "Disagreements between Cilium's BGP config and the agent/router found by the last pass, by kind (local-as, peer-as, peer-address, timers, graceful-restart, not-enrolled, not-peered-by-cilium)",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  const routeFilter = new Gauge({
    name: `${P}route_filter_enabled`,
    help: "1 when the agent links an inbound prefix list on its neighbors (BGP_ACCEPT_PREFIXES), 0 when any route is accepted",
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
  const sessionsKnown = new Gauge({
    name: `${P}bgp_sessions_known`,
    help: "1 when the last pass could read FRR's BGP sessions (quagga/diagnostics/bgpsummary), 0 when unknown (the per-node session series are then absent)",
    registers: [registry],
  });
  const sessionUp = new Gauge({
    name: `${P}bgp_session_up`,
    help: "1 when OPNsense's BGP session with the node is Established, else 0 (as of the last pass); family ipv4 or ipv6",
    labelNames: ["node", "family"] as const,
    registers: [registry],
  });
  const prefixesReceived = new Gauge({
    name: `${P}bgp_prefixes_received`,
    help: "Prefixes FRR holds from the node over this session (pfxRcd, all address families)",
    labelNames: ["node", "family"] as const,
    registers: [registry],
  });
  const prefixesAccepted = new Gauge({
    name: `${P}bgp_prefixes_accepted`,
    help: "Prefixes from the node that passed the inbound prefix list (FRR counts only those)",
    labelNames: ["node", "family"] as const,
    registers: [registry],
  });
  return { registry, sessionsKnown, sessionUp, prefixesReceived, prefixesAccepted, buildInfo, leader, heldNeighbors, deletionGuard, ownerConflict, routeFilter, bgpConfigMismatches, syncTotal, syncDuration, managedObjects, opnsenseRequests, conflicts, problems, lastSuccess, writes, applies, rateLimited, rateLimitedSeconds, firewallSuspended };
}
