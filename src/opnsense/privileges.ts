/**
 * Which OPNsense privilege guards which API path (ACL files, contract §1.2), so a 403 can
 * tell the operator exactly which checkbox to tick on the API user.
 */

export type Privilege = {
  /** Name shown in System ▸ Access ▸ Users/Groups ▸ privileges. */
  readonly gui: string;
  /** ACL id from the ACL.xml files. */
  readonly acl: string;
};

export const PRIVILEGES = {
  routing: { gui: "Routing", acl: "page-routing" },
  filter: {
    gui: 'Firewall: Rules [new] (on 25.7 and older: "Firewall: Automation: Filter")',
    acl: "page-filter-api",
  },
  alias: { gui: "Firewall: Alias: Edit", acl: "page-firewall-alias-edit" },
  category: { gui: "Firewall: Categories", acl: "page-firewall-categories" },
  aliasUtil: { gui: "Diagnostics: PF Table IP addresses", acl: "page-diagnostics-tables" },
} as const satisfies Record<string, Privilege>;

// Order matters: alias_util must be matched before the broader alias prefix.
const BY_PREFIX: ReadonlyArray<readonly [string, Privilege]> = [
  ["quagga/", PRIVILEGES.routing],
  ["firewall/filter/", PRIVILEGES.filter],
  ["firewall/alias_util/", PRIVILEGES.aliasUtil],
  ["firewall/alias/", PRIVILEGES.alias],
  ["firewall/category/", PRIVILEGES.category],
];

export function privilegeFor(endpoint: string): Privilege | undefined {
  return BY_PREFIX.find(([prefix]) => endpoint.startsWith(prefix))?.[1];
}

export function describePrivilege(p: Privilege): string {
  return `"${p.gui}" (${p.acl})`;
}
