import type { Config } from "./types.ts";
import { formatDuration } from "./duration.ts";

export type ConfigSummary = Readonly<Record<string, string | number | boolean | null>>;

const SET = "<set>";

/**
 * The configuration for the startup log line, keyed by variable name. Secrets appear only
 * as `<set>`; nothing here may ever hold a key, a secret or a password.
 */
export function redactedConfigSummary(config: Config): ConfigSummary {
  return {
    OPNSENSE_URL: config.opnsense.url,
    OPNSENSE_API_KEY: SET,
    OPNSENSE_API_SECRET: SET,
    OPNSENSE_CA_FILE: config.opnsense.caFile,
    OPNSENSE_TLS_SERVER_NAME: config.opnsense.tlsServerName,
    OPNSENSE_TLS_INSECURE: config.opnsense.tlsInsecure,
    OPNSENSE_TIMEOUT: formatDuration(config.opnsense.timeoutMs),
    NODE_SELECTOR: config.nodeSelector,
    BGP_REMOTE_ASN: config.bgp.remoteAsn,
    BGP_ADDRESS_FAMILY: config.bgp.addressFamily,
    BGP_UPDATE_SOURCE: config.bgp.updateSource,
    BGP_KEEPALIVE: config.bgp.keepalive,
    BGP_HOLDDOWN: config.bgp.holddown,
    BGP_CONNECT_TIMER: config.bgp.connectTimer,
    BGP_BFD: config.bgp.bfd,
    BGP_MULTIHOP: config.bgp.multihop,
    BGP_PASSWORD: config.bgp.password === null ? null : SET,
    BGP_PEER_GROUP: config.bgp.peerGroup,
    BGP_ACCEPT_PREFIXES: config.bgp.acceptPrefixes.length === 0 ? "none" : config.bgp.acceptPrefixes.join(","),
    BGP_PEER_NETWORKS: config.bgp.peerNetworks === null ? null : config.bgp.peerNetworks.join(","),
    BGP_ALLOWED_ASNS: config.bgp.allowedAsns.join(","),
    FIREWALL_INTERFACE: config.firewallInterface,
    SERVICE_SELECTOR: config.serviceSelector,
    LB_ADDRESSES: config.lb.addresses.join(","),
    LB_CLIENT_NETWORKS: config.lb.clientNetworks
      .map((n) => `interface=${n.interface} source=${n.source} asymmetric=${n.asymmetric}`)
      .join("; "),
    SERVICE_NAMESPACES: config.lb.serviceNamespaces === null ? null : config.lb.serviceNamespaces.join(","),
    LB_ACCESS_SCOPE: config.lb.accessScope,
    CILIUM_POOLS: config.ciliumPools,
    OWNER_ID: config.ownerId,
    POLICY: config.policy,
    DRY_RUN: config.dryRun,
    ADOPT_EXISTING: config.adoptExisting,
    MAX_DELETE_FRACTION: config.safety.maxDeleteFraction,
    MIN_APPLY_INTERVAL: formatDuration(config.safety.minApplyIntervalMs),
    REMOVAL_GRACE: formatDuration(config.safety.removalGraceMs),
    SYNC_INTERVAL: formatDuration(config.syncIntervalMs),
    SESSION_DOWN_WARN: formatDuration(config.sessionDownWarnMs),
    DEBOUNCE: formatDuration(config.debounceMs),
    LEADER_ELECTION: config.leaderElection,
    HTTP_PORT: config.httpPort,
    LOG_LEVEL: config.logLevel,
  };
}
