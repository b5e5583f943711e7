/**
 * Canonical (normalized) shapes of the router objects the agent reasons about.
 *
 * OPNsense returns values in shapes that differ from what it accepts (option maps,
 * comma strings, labels, numbers as strings). The OPNsense client maps every read into
 * these types and every write out of them, so `desired` and `plan` compare like with
 * like and never see a quirk. Two objects are equal iff their canonical fields are equal.
 */

/** An FRR BGP neighbor (os-frr `bgp.neighbors.neighbor`). */
export type Neighbor = {
  readonly uuid: string;
  readonly enabled: boolean;
  /** Plain IPv4/IPv6 address, lower-case. */
  readonly address: string;
  readonly remoteAs: number | null;
  /** OPNsense interface name (`lan`), "" when unset. os-frr renders it for IPv4 neighbors only (contract §3.3). */
  readonly updateSource: string;
  /**
   * `linklocalinterface`: OPNsense interface name, "" when unset. os-frr renders it as
   * `neighbor <ip> interface <device>` for IPv6 neighbors only (contract §3.3).
   */
  readonly linkLocalInterface: string;
  readonly description: string;
  readonly keepalive: number | null;
  readonly holddown: number | null;
  readonly connectTimer: number | null;
  readonly bfd: boolean;
  readonly multihop: boolean;
  /** TCP-MD5 password, "" when unset. Never log it. */
  readonly password: string;
  /** Peer group NAME ("" when none). The client maps names to and from peer-group UUIDs. */
  readonly peerGroup: string;
  /**
   * `linkedPrefixlistIn`: UUIDs of the linked prefix-list rows, sorted, comma-joined ("" = none).
   * Kept as UUIDs because FRR filters by the row the link names: a link to a row that no longer
   * exists silently renders nothing (OPNsense API contract §3.7), so the name alone would hide that.
   */
  readonly prefixListIn: string;
};
export type NeighborSpec = Omit<Neighbor, "uuid">;

/**
 * One row of an os-frr prefix list (`bgp.prefixlists.prefixlist`). Rows that share a `name`
 * form one FRR prefix list; `network` is free text rendered verbatim (`10.96.0.0/24 le 32`).
 */
export type PrefixRow = {
  readonly uuid: string;
  readonly enabled: boolean;
  readonly description: string;
  readonly name: string;
  /** `IPv4` or `IPv6`. */
  readonly version: string;
  readonly seqnumber: number | null;
  /** `permit` or `deny`. */
  readonly action: string;
  readonly network: string;
};
export type PrefixRowSpec = Omit<PrefixRow, "uuid">;

/** A firewall alias. `content` is sorted and de-duplicated; `categories` are category UUIDs. */
export type Alias = {
  readonly uuid: string;
  readonly name: string;
  /** `host`, `network`, … (foreign aliases may have any type). */
  readonly type: string;
  readonly enabled: boolean;
  readonly content: readonly string[];
  readonly description: string;
  readonly categories: readonly string[];
};
/** What the agent writes for an alias; the category is added by the writer. */
export type AliasSpec = Omit<Alias, "uuid" | "categories">;

export type RuleDirection = "in" | "out" | "any";
export type IpProtocol = "inet" | "inet6";

/** An MVC filter rule (`/api/firewall/filter`). */
export type Rule = {
  readonly uuid: string;
  readonly enabled: boolean;
  readonly action: string;
  readonly quick: boolean;
  /** Interface names, sorted. Empty = floating. */
  readonly interfaces: readonly string[];
  readonly direction: string;
  readonly ipprotocol: string;
  /** Upper-case (`TCP`, `UDP`, `TCP/UDP`) or `any`. */
  readonly protocol: string;
  /** Comma list as OPNsense stores it, items sorted. */
  readonly sourceNet: string;
  readonly sourcePort: string;
  readonly destinationNet: string;
  readonly destinationPort: string;
  /** `keep`, `sloppy`, …; null when the OPNsense version has no `statetype` field (24.x). */
  readonly statetype: string | null;
  readonly description: string;
  readonly categories: readonly string[];
};
/** What the agent writes for a rule; the category is added by the writer. */
export type RuleSpec = Omit<Rule, "uuid" | "categories">;

export type Category = { readonly uuid: string; readonly name: string };
export type PeerGroup = { readonly uuid: string; readonly name: string };

/** What an OPNsense box can do, detected from the templates its API returns (never from firmware info). */
export type Capabilities = {
  /** Filter rules have `statetype` (≥ 25.1). Without it sloppy state cannot be set. */
  readonly ruleStatetype: boolean;
  /** Filter `direction` accepts `any` (≥ 26.1); before that "both directions" needs an in and an out rule. */
  readonly ruleDirectionAny: boolean;
  /** `filter/savepoint` family exists (≤ 26.1.x; `GET filter/savepoint` is not a 404). */
  readonly savepoint: boolean;
  /**
   * OPNsense's own rollback works: `apply/<revision>` arms a timer that restores the savepoint
   * (24.1–25.1). From 25.7 the returned revision is rounded and never matches a backup (§4.6),
   * from 26.7 the endpoints are gone.
   */
  readonly serverRollback: boolean;
  /** Neighbor fields the installed os-frr knows (from the getNeighbor template). */
  readonly neighborFields: readonly string[];
  /** os-frr ≥ 1.52 renders the neighbor description into frr.conf. */
  readonly frrRendersDescription: boolean;
  /** Peer groups exist (os-frr ≥ 1.40). */
  readonly peerGroups: boolean;
};

/** FRR general settings that decide whether API neighbors can take effect at all. */
export type FrrGeneral = { readonly enabled: boolean; readonly manualConfig: boolean };
export type BgpGeneral = {
  readonly enabled: boolean;
  readonly asNumber: number | null;
  /** `bgp router-id` when set (one of the router's own addresses), else null. */
  readonly routerId: string | null;
  /** `bgp graceful-restart` (os-frr `bgp.graceful`); null when the model has no such field. */
  readonly graceful?: boolean | null;
};

/** What FRR runs right now (after the last reconfigure), parsed from its running configuration. */
export type FrrRunning = {
  /**
   * Neighbor address → its `description` line (null when FRR does not render descriptions) and
   * the name of its inbound prefix list (null when none).
   */
  readonly neighbors: ReadonlyMap<string, { readonly remoteAs: number | null; readonly description: string | null; readonly prefixListIn?: string | null }>;
  /** Prefix-list entries FRR runs, as `<name> seq <n> <action> <network>` (IPv4 and IPv6 alike). */
  readonly prefixListEntries?: ReadonlySet<string>;
};

/** One BGP peer as FRR reports it in `show bgp summary json` (address families merged). */
export type BgpPeerStatus = {
  readonly address: string;
  /** FRR's FSM state: `Established`, `Active`, `Connect`, `Idle`, `OpenSent`, `OpenConfirm` (`Idle (Admin)`…). */
  readonly state: string;
  readonly remoteAs: number | null;
  /** How long the session has been Established (0 when it is not). */
  readonly uptimeMs: number;
  /** `pfxRcd` summed over the address families: prefixes FRR holds from this peer. */
  readonly prefixesReceived: number;
  readonly description: string | null;
};

/**
 * What FRR's BGP sessions look like, read in the same batch as the snapshot; `unavailable` says why
 * not (the endpoint refused or failed), so a pass goes on without session data.
 */
export type BgpSessionsRead =
  | { readonly ok: true; readonly peers: ReadonlyMap<string, BgpPeerStatus> }
  | { readonly ok: false; readonly reason: string; readonly privilege: string | null };

/** What pf runs: live alias table contents, when readable (`alias_util/list`). */
export type AliasTablesRunning = ReadonlyMap<string, readonly string[]>;

/** Everything one reconcile pass reads from OPNsense, already normalized. */
export type RouterSnapshot = {
  readonly capabilities: Capabilities;
  readonly frr: FrrGeneral;
  readonly bgp: BgpGeneral;
  readonly neighbors: readonly Neighbor[];
  readonly peerGroups: readonly PeerGroup[];
  readonly prefixRows: readonly PrefixRow[];
  readonly categories: readonly Category[];
  readonly aliases: readonly Alias[];
  readonly rules: readonly Rule[];
  /** null when it could not be read (e.g. bgpd down); then pending-apply detection is skipped. */
  readonly frrRunning: FrrRunning | null;
  /** Live tables of the agent's aliases; null when not readable (privilege missing). */
  readonly aliasTablesRunning: AliasTablesRunning | null;
  /** FRR's BGP sessions (`diagnostics/bgpsummary`), or why they could not be read. */
  readonly bgpSessions: BgpSessionsRead;
};
