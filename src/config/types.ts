/** The agent's validated configuration. Variable names are the public contract (README, .env.example, deploy/). */

export type Policy = "sync" | "upsert-only" | "create-only";
export type LbAccessScope = "addresses" | "ports";
export type CiliumPools = "auto" | "off";
/** Which address family a node peers over (README: IPv6). */
export type BgpAddressFamily = "ipv4" | "ipv6" | "dual";

/** One LB_CLIENT_NETWORKS entry: clients arriving on `interface` from `source` may reach the LB addresses. */
export type LbClientNetwork = {
  /** OPNsense interface name the clients arrive on (`lan`, `opt1`). */
  readonly interface: string;
  /** Interface network (`lan`), a CIDR/IP, or an existing alias name. */
  readonly source: string;
  /** Replies bypass the router (clients share the nodes' subnet): sloppy state in both directions. */
  readonly asymmetric: boolean;
  /** The entry as the user wrote it, for error messages. */
  readonly raw: string;
};

export type Config = {
  readonly opnsense: {
    readonly url: string;
    readonly apiKey: string;
    readonly apiSecret: string;
    readonly caFile: string | null;
    readonly tlsServerName: string | null;
    readonly tlsInsecure: boolean;
    readonly timeoutMs: number;
  };
  readonly nodeSelector: string;
  readonly bgp: {
    /**
     * The nodes' AS number; null = unset, then each pass takes it from Cilium's BGP config when
     * that names exactly one local AS (src/desired/cilium-check.ts), and fails otherwise.
     */
    readonly remoteAsn: number | null;
    /**
     * `ipv4`: the first IPv4 InternalIP, else the first IPv6 one; `ipv6`: the other way round;
     * `dual`: one neighbor per family the node has.
     */
    readonly addressFamily: BgpAddressFamily;
    readonly updateSource: string | null;
    readonly keepalive: number | null;
    readonly holddown: number | null;
    readonly connectTimer: number | null;
    readonly bfd: boolean;
    readonly multihop: boolean;
    readonly password: string | null;
    readonly peerGroup: string | null;
    /**
     * Prefixes the nodes may announce (inbound prefix list on every owned neighbor), canonical
     * network-aligned CIDRs. Empty = no route filtering. This is what the configuration alone
     * gives; each pass merges Cilium's pools in (src/desired/lb-prefixes.ts).
     */
    readonly acceptPrefixes: readonly string[];
    /**
     * Where `acceptPrefixes` came from: `BGP_ACCEPT_PREFIXES` when set explicitly (an empty list
     * then means `none`, filtering off on purpose), else the LB_ADDRESSES default (`none` when empty).
     */
    readonly acceptPrefixesFrom: "BGP_ACCEPT_PREFIXES" | "LB_ADDRESSES" | "none";
    /** Peering addresses must lie in one of these CIDRs; null = any address that passes the built-in checks. */
    readonly peerNetworks: readonly string[] | null;
    /** AS numbers the `asn` annotation may pick (always includes `remoteAsn` when set). */
    readonly allowedAsns: readonly number[];
  };
  readonly firewallInterface: string;
  readonly serviceSelector: string;
  readonly lb: {
    readonly addresses: readonly string[];
    readonly clientNetworks: readonly LbClientNetwork[];
    readonly accessScope: LbAccessScope;
    /** Only Services in these namespaces get access rules; null = every namespace. */
    readonly serviceNamespaces: readonly string[] | null;
  };
  /** Blast-radius limits (README: Safety limits). */
  readonly safety: {
    /** A pass may delete at most this fraction of the owned neighbors (0–1); more is held until confirmed. */
    readonly maxDeleteFraction: number;
    /** Minimum time between two FRR reconfigures, and between two firewall applies. */
    readonly minApplyIntervalMs: number;
    /** How long a node that left the selector (or was deleted) keeps its neighbor. */
    readonly removalGraceMs: number;
  };
  /** `auto`: CiliumLoadBalancerIPPools count as LB prefixes when the cluster serves them. */
  readonly ciliumPools: CiliumPools;
  readonly ownerId: string;
  readonly policy: Policy;
  readonly dryRun: boolean;
  readonly adoptExisting: boolean;
  readonly syncIntervalMs: number;
  /** A BGP session down this long raises BGPSessionDownTooLong with the causes the agent can see. */
  readonly sessionDownWarnMs: number;
  readonly debounceMs: number;
  readonly leaderElection: boolean;
  readonly httpPort: number;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
};
