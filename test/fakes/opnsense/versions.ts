// Version rows the simulator plays and the capabilities each one shows. A row is a point release
// that was checked: every behaviour the simulator switches on is a named feature of the row (read
// from the templates and code of that release), never a comparison of series numbers, because
// OPNsense cherry-picks changes into point releases (§11: sort_order arrived in 25.1.5,
// tcpflags_any in 26.1.2, the blank alias getItem in 26.1.11).

export type OpnVersion = "24.1" | "24.7.12" | "25.1.12" | "25.7.11" | "26.1.11" | "26.7";

export const VERSIONS: readonly OpnVersion[] = ["24.1", "24.7.12", "25.1.12", "25.7.11", "26.1.11", "26.7"];

/** rows whose behaviour was checked by running OPNsense's own code (§11); 24.1 follows the contract only */
export const REAL_CHECKED: readonly OpnVersion[] = ["24.7.12", "25.1.12", "25.7.11", "26.1.11", "26.7"];

export interface Features {
  /** os-frr 1.xx shipped with the release (§0, §11) */
  osFrrMinor: number;
  /** 25.1: statetype, state-policy, interfacenot, inet46, multi-value source/destination, the advanced rule fields */
  statetype: boolean;
  /** 25.1.5: rule template and grid rows carry sort_order/prio_group; sequence defaults to max+100 */
  sortOrder: boolean;
  /** 25.7: grid rows carry raw values plus `%field` labels instead of labels (§2.3) */
  rawGrid: boolean;
  /**
   * filter/searchRule behaviour (§4.2, §11):
   * "basic" uuid/enabled/sequence/description; "action" adds the action label (24.7.9);
   * "floating" 25.1.5 rewrite: without `interface` only floating rules; "all" 26.1.1: every rule.
   */
  searchRule: "basic" | "action" | "floating" | "all";
  /** "floating" with `interface=<if>`: 25.1.x also lists floating rules, 25.7.x only rules on exactly that interface */
  searchRuleFloatingWithInterface: boolean;
  /** rule icmptype (in 25.1.12); icmp6type and the udp state timers (in 25.7.11); divert-to (26.1) */
  icmptype: boolean;
  icmp6type: boolean;
  divertTo: boolean;
  /** 26.1: direction `any`, protocol upper-cased on save */
  directionAny: boolean;
  /** 26.1.2: rule field tcpflags_any */
  tcpflagsAny: boolean;
  /** 26.1.3: comma-separated uuids in del/toggle (§2.1) */
  batchDelete: boolean;
  /** 26.1: BaseListField's message names the value: "Option [x] not in list." (a single select shows []) */
  optionMessageNamesValue: boolean;
  /** 26.1.3: the safe-delete title names the item: "Item <path> {<name>} in use by:" */
  inUseTitleNamesItem: boolean;
  /** 26.1: category names get the mask /[^,]+/; 25.7: safe delete refuses categories MVC items reference */
  categoryNameMask: boolean;
  categorySafeDelete: boolean;
  /** 25.1.5–25.7.x searchRule: the phrase is read from the query too (searchBase); paging from POST only */
  searchRulePhraseFromQuery: boolean;
  /** 25.1.4: a BooleanField without a default starts "0" (before: "") */
  booleanDefaultZero: boolean;
  /**
   * a JSON array posted as a leaf value (§1.3): "error" PHP error → 500; "saved" cast to the
   * string "Array" and saved; "refused" 500 "expected a single value, not a list."
   */
  arrayLeaf: "error" | "saved" | "refused";
  /** 26.1.11: alias/getItem of an unknown uuid is a 200 blank alias (before: 500) */
  blankAliasGetItem: boolean;
  /** 26.1.9: the alias-in-use message names the alias */
  aliasInUseNamesAlias: boolean;
  /** 25.1 alias fields (path_expression, username, password, authtype, last_updated); 25.7 expire; 26.1 authtype Header */
  aliasAuth: boolean;
  aliasExpire: boolean;
  aliasHeaderAuth: boolean;
  /**
   * alias runtime fields (current_items, last_updated: "" until pf has the table): in search rows
   * only before 25.1, also in get/getItem from 25.1; pf's counters (eval_*, in_/out_ block/pass)
   * from 25.7 (seen on the real 24.7.12 … 26.7)
   */
  aliasRuntimeInModel: boolean;
  aliasPfCounters: boolean;
  /** plugins 25.1: quagga/service/status carries `widget` */
  serviceWidget: boolean;
  /** filter savepoint: "exact" rollback works; "rounded" revision never matches (25.7–26.1); "removed" 404 (26.7) */
  savepoint: "exact" | "rounded" | "removed";
  /** 26.7: filter/apply passes skip_alias */
  applySkipsAliases: boolean;
  /** 26.7 (26.7.1/26.7.2): a UserException reply carries "errorLevel":"error" and its texts are HTML-escaped (ENT_NOQUOTES) */
  userErrorLevel: boolean;
  /** 26.7: DescriptionField also refuses NUL, VT and FF */
  descriptionControlChars: boolean;
}

const BASE: Features = {
  osFrrMinor: 38,
  statetype: false,
  sortOrder: false,
  rawGrid: false,
  searchRule: "basic",
  searchRuleFloatingWithInterface: false,
  icmptype: false,
  icmp6type: false,
  divertTo: false,
  directionAny: false,
  tcpflagsAny: false,
  batchDelete: false,
  optionMessageNamesValue: false,
  categoryNameMask: false,
  categorySafeDelete: false,
  searchRulePhraseFromQuery: false,
  inUseTitleNamesItem: false,
  booleanDefaultZero: false,
  arrayLeaf: "error",
  blankAliasGetItem: false,
  aliasInUseNamesAlias: false,
  aliasAuth: false,
  aliasExpire: false,
  aliasRuntimeInModel: false,
  aliasPfCounters: false,
  aliasHeaderAuth: false,
  serviceWidget: false,
  savepoint: "exact",
  applySkipsAliases: false,
  descriptionControlChars: false,
  userErrorLevel: false,
};

/** 26.1.11 (os-frr 1.53); 26.7 is the same but where said */
const R26_1_11: Features = {
  ...BASE,
  osFrrMinor: 53,
  statetype: true,
  sortOrder: true,
  rawGrid: true,
  searchRule: "all",
  icmptype: true,
  icmp6type: true,
  divertTo: true,
  directionAny: true,
  tcpflagsAny: true,
  batchDelete: true,
  optionMessageNamesValue: true,
  inUseTitleNamesItem: true,
  categoryNameMask: true,
  categorySafeDelete: true,
  booleanDefaultZero: true,
  arrayLeaf: "refused",
  blankAliasGetItem: true,
  aliasInUseNamesAlias: true,
  aliasAuth: true,
  aliasRuntimeInModel: true,
  aliasExpire: true,
  aliasPfCounters: true,
  aliasHeaderAuth: true,
  serviceWidget: true,
  savepoint: "rounded",
};

export const FEATURES: Readonly<Record<OpnVersion, Features>> = {
  "24.1": BASE,
  "24.7.12": { ...BASE, osFrrMinor: 42, searchRule: "action" },
  "25.1.12": {
    ...BASE,
    osFrrMinor: 44,
    statetype: true,
    sortOrder: true,
    searchRule: "floating",
    searchRuleFloatingWithInterface: true,
    searchRulePhraseFromQuery: true,
    icmptype: true,
    booleanDefaultZero: true,
    arrayLeaf: "saved",
    aliasAuth: true,
    aliasRuntimeInModel: true,
    serviceWidget: true,
  },
  "25.7.11": {
    ...BASE,
    osFrrMinor: 50,
    statetype: true,
    sortOrder: true,
    rawGrid: true,
    categorySafeDelete: true,
    searchRule: "floating",
    searchRulePhraseFromQuery: true,
    icmptype: true,
    icmp6type: true,
    booleanDefaultZero: true,
    arrayLeaf: "saved",
    aliasAuth: true,
    aliasRuntimeInModel: true,
    aliasExpire: true,
    aliasPfCounters: true,
    serviceWidget: true,
    savepoint: "rounded",
  },
  "26.1.11": R26_1_11,
  "26.7": {
    ...R26_1_11,
    osFrrMinor: 54,
    savepoint: "removed",
    applySkipsAliases: true,
    descriptionControlChars: true,
    userErrorLevel: true,
  },
};

export function isVersion(v: unknown): v is OpnVersion {
  return typeof v === "string" && (VERSIONS as readonly string[]).includes(v);
}

export function featuresOf(v: OpnVersion): Features {
  return FEATURES[v];
}

export function osFrrVersion(v: OpnVersion): string {
  return `1.${FEATURES[v].osFrrMinor}`;
}
