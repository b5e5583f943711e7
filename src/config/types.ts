/** The agent's validated configuration. Variable names are the public contract (README, .env.example, deploy/). */

export type Policy = "sync" | "upsert-only" | "create-only";
export type LbAccessScope = "addresses" | "ports";

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
    readonly remoteAsn: number;
    readonly updateSource: string | null;
    readonly keepalive: number | null;
    readonly holddown: number | null;
    readonly connectTimer: number | null;
    readonly bfd: boolean;
    readonly multihop: boolean;
    readonly password: string | null;
    readonly peerGroup: string | null;
  };
  readonly firewallInterface: string;
  readonly serviceSelector: string;
  readonly lb: {
    readonly addresses: readonly string[];
    readonly clientNetworks: readonly LbClientNetwork[];
    readonly accessScope: LbAccessScope;
  };
  readonly ownerId: string;
  readonly policy: Policy;
  readonly dryRun: boolean;
  readonly adoptExisting: boolean;
  readonly syncIntervalMs: number;
  readonly debounceMs: number;
  readonly leaderElection: boolean;
  readonly httpPort: number;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
};
