/**
 * Every environment variable the agent reads: the public contract. README, `.env.example`
 * and `deploy/` must name exactly this set (a docs test compares them).
 */
export type EnvVar = {
  readonly name: string;
  /** The default as a user would write it; "required" when there is none and the variable must be set; null when unset means "off/none". */
  readonly default: string | null;
  readonly required: boolean;
  /** Holds (or points to a file holding) a secret: never logged. */
  readonly secret: boolean;
  readonly meaning: string;
};

function v(name: string, def: string | null, meaning: string, flags: { required?: boolean; secret?: boolean } = {}): EnvVar {
  const required = flags.required ?? false;
  return { name, default: required ? "required" : def, required, secret: flags.secret ?? false, meaning };
}

export const ENV_VARS: readonly EnvVar[] = [
  v("OPNSENSE_URL", null, "OPNsense base URL, e.g. https://opnsense.lan (plain http only for tests)", { required: true }),
  v("OPNSENSE_API_KEY", null, "API key (or OPNSENSE_API_KEY_FILE)", { required: true, secret: true }),
  v("OPNSENSE_API_KEY_FILE", null, "file holding the API key (Kubernetes Secret volume)", { secret: true }),
  v("OPNSENSE_API_SECRET", null, "API secret (or OPNSENSE_API_SECRET_FILE)", { required: true, secret: true }),
  v("OPNSENSE_API_SECRET_FILE", null, "file holding the API secret (Kubernetes Secret volume)", { secret: true }),
  v("OPNSENSE_CA_FILE", null, "PEM bundle to trust (the GUI's self-signed certificate)"),
  v("OPNSENSE_TLS_SERVER_NAME", null, "certificate name to verify when OPNSENSE_URL uses an IP address"),
  v("OPNSENSE_TLS_INSECURE", "false", "skip TLS verification (warned at every start)"),
  v("OPNSENSE_TIMEOUT", "30s", "timeout per OPNsense request"),
  v("NODE_SELECTOR", "homelab/role=worker", "label selector of the nodes that become BGP neighbors"),
  v("BGP_REMOTE_ASN", "Cilium's local AS", "the nodes' AS number (1–4294967295); annotation opnsense-bgp-agent/asn overrides it per node; unset = the one local AS of Cilium's BGP config for the enrolled nodes"),
  v("BGP_ADDRESS_FAMILY", "ipv4", "`ipv4`: peer over the node's first IPv4 InternalIP, over IPv6 only when it has no IPv4 one; `ipv6`: IPv6 first, IPv4 as fallback; `dual`: one neighbor per family the node has"),
  v("BGP_UPDATE_SOURCE", null, "OPNsense interface for the IPv4 neighbors' update-source, e.g. lan (os-frr renders it for IPv4 neighbors only)"),
  v("BGP_KEEPALIVE", null, "keepalive timer in seconds (1–1000); set together with BGP_HOLDDOWN"),
  v("BGP_HOLDDOWN", null, "hold-down timer in seconds (3–3000); set together with BGP_KEEPALIVE"),
  v("BGP_CONNECT_TIMER", null, "connect retry timer in seconds (1–65000)"),
  v("BGP_BFD", "false", "enable BFD on every neighbor"),
  v("BGP_MULTIHOP", "false", "enable eBGP multihop on every neighbor"),
  v("BGP_PASSWORD", null, "TCP-MD5 password for every neighbor (or BGP_PASSWORD_FILE)", { secret: true }),
  v("BGP_PASSWORD_FILE", null, "file holding the TCP-MD5 password", { secret: true }),
  v("BGP_PEER_GROUP", null, "name of an existing OPNsense peer group for every neighbor (os-frr ≥ 1.40)"),
  v("BGP_ACCEPT_PREFIXES", "the LB prefixes", "CIDRs the nodes may announce (inbound prefix list on every neighbor); `none` turns route filtering off"),
  v("BGP_PEER_NETWORKS", null, "CIDRs a peering address must lie in (e.g. the node subnet); unset = any unicast address"),
  v("BGP_ALLOWED_ASNS", null, "further AS numbers the opnsense-bgp-agent/asn annotation may pick (BGP_REMOTE_ASN always may)"),
  v("FIREWALL_INTERFACE", "lan", "OPNsense interface where the nodes reach the router (TCP 179 rule)"),
  v("SERVICE_SELECTOR", "homelab/public-service=true", "label selector of the LoadBalancer Services that get access rules"),
  v("LB_ADDRESSES", null, "the LB pool: addresses/CIDRs, comma-separated; fill the LB alias, bound the ingress IPs that get rules, default of BGP_ACCEPT_PREFIXES (merged with Cilium's pools)"),
  v("CILIUM_POOLS", "auto", "`auto`: the prefixes of the cluster's CiliumLoadBalancerIPPools count as LB prefixes (like LB_ADDRESSES) when Cilium serves them; `off`: ignore them"),
  v("LB_CLIENT_NETWORKS", null, "client networks allowed to reach the LB addresses: `interface=lan source=lan asymmetric=true; …`"),
  v("SERVICE_NAMESPACES", null, "only Services in these namespaces (comma-separated) get access rules; unset = all"),
  v("LB_ACCESS_SCOPE", "addresses", "`addresses`: rules to the whole LB alias; `ports`: one rule per service address, port and protocol"),
  v("OWNER_ID", "default", "ownership id; give each cluster sharing one router its own (≤ 14 characters, a-z 0-9 -)"),
  v("POLICY", "sync", "`sync` (create, update, delete), `upsert-only` (never delete) or `create-only`"),
  v("DRY_RUN", "false", "compute and log the plan, write nothing"),
  v("ADOPT_EXISTING", "false", "take over hand-made neighbors with a desired node's address"),
  v("MAX_DELETE_FRACTION", "0.5", "a pass deleting more than this fraction of the owned neighbors (or all of them) is held; 1 allows any"),
  v("MIN_APPLY_INTERVAL", "10s", "minimum time between two FRR reconfigures and between two firewall applies"),
  v("REMOVAL_GRACE", "30s", "how long a node that left the selector or was deleted keeps its neighbor"),
  v("SYNC_INTERVAL", "5m", "periodic full resync"),
  v("SESSION_DOWN_WARN", "5m", "a node whose BGP session stays down this long gets a Warning Event naming the likely causes"),
  v("DEBOUNCE", "2s", "collect a burst of cluster changes into one pass"),
  v("LEADER_ELECTION", "true in cluster", "only the Lease holder writes (default true when KUBERNETES_SERVICE_HOST is set)"),
  v("HTTP_PORT", "8080", "port of /healthz, /readyz and /metrics"),
  v("LOG_LEVEL", "info", "fatal, error, warn, info, debug, trace or silent"),
];

export const ENV_VAR_NAMES: readonly string[] = ENV_VARS.map((e) => e.name);
