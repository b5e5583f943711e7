/**
 * LoadBalancer access (issue 5): a network alias of the LB addresses and pass rules from the
 * configured client networks to them. Version-aware: sloppy state needs `statetype` (≥ 25.1),
 * and "both directions" is one `direction: any` rule from 26.1, an in/out pair before.
 *
 * Whatever a Service says can only narrow what LB_CLIENT_NETWORKS grants (issue 9): ingress IPs
 * must be ordinary unicast addresses inside the LB pool, source ranges are intersected with the
 * entry's source, and Services outside SERVICE_NAMESPACES are not looked at.
 */
import type { Capabilities, IpProtocol, RuleDirection, RuleSpec } from "../domain/types.ts";
import { compareText } from "../domain/order.ts";
import type { ServiceView } from "../cluster/types.ts";
import type { Config, LbClientNetwork } from "../config/types.ts";
import type { DesiredAlias, DesiredRule, Problem } from "./types.ts";
import { networkContains, parseIp, parseNetwork, parseNetworks, type IpFamily, type ParsedIp, type ParsedNetwork } from "../domain/net.ts";
import { quoteCapped } from "../domain/text.ts";
import { specialAddressReason } from "../domain/address-class.ts";
import { narrowSource } from "./source-ranges.ts";
import { formatMarker, objectKey } from "../domain/ownership.ts";
import { lbAliasName } from "../domain/names.ts";
import { canonicalContent } from "./bgp-firewall.ts";

export const LB_ALIAS_KEY = "lb-addresses";

export type LbResult = {
  readonly alias: DesiredAlias | null;
  readonly rules: readonly DesiredRule[];
  readonly problems: readonly Problem[];
  readonly addresses: readonly string[];
};

type ServiceAddresses = { readonly service: ServiceView; readonly id: string; readonly ips: readonly string[] };

function serviceId(s: ServiceView): string {
  return `${s.namespace}/${s.name}`;
}

/** Where the rules of one entry are named in problems. */
export function entryObject(index: number): string {
  return `LB_CLIENT_NETWORKS entry ${index + 1}`;
}

/** The family a literal source pins the rule to; null for names (`lan`, aliases, `any`) that serve both. */
function sourceFamily(source: string): IpFamily | null {
  return parseNetwork(source)?.family ?? null;
}

/** One list of networks an ingress IP must lie in, and the variable it comes from (for messages). */
type Pool = { readonly variable: string; readonly networks: readonly ParsedNetwork[] };

/**
 * Where LB ingress IPs may lie: in LB_ADDRESSES and, when set explicitly, in BGP_ACCEPT_PREFIXES
 * (each non-empty list must contain the IP: an address the router would not route to the cluster
 * is no LB address either). Their default is LB_ADDRESSES itself, so it is not checked twice.
 */
function lbPools(config: Config, lbLabel: string): Pool[] {
  const pool = (variable: string, items: readonly string[]): Pool[] => {
    const networks = parseNetworks(items);
    return networks.length === 0 ? [] : [{ variable, networks }];
  };
  return [
    ...pool(lbLabel, config.lb.addresses),
    ...(config.bgp.acceptPrefixesFrom === "BGP_ACCEPT_PREFIXES" ? pool("BGP_ACCEPT_PREFIXES", config.bgp.acceptPrefixes) : []),
  ];
}

/** Why an ingress IP must not become an alias entry or rule destination, or null when it may. */
function ingressIpProblem(ip: ParsedIp, pools: readonly Pool[]): string | null {
  const special = specialAddressReason(ip);
  if (special !== null) return `is not a unicast host address (${special})`;
  const outside = pools.find((p) => !p.networks.some((n) => networkContains(n, ip)));
  if (outside !== undefined) return `is outside ${outside.variable} (${outside.networks.map((n) => n.text).join(", ")})`;
  return null;
}

function inNamespaceScope(service: ServiceView, config: Config): boolean {
  const namespaces = config.lb.serviceNamespaces;
  return namespaces === null || namespaces.includes(service.namespace);
}

function loadBalancerAddresses(services: readonly ServiceView[], config: Config, problems: Problem[], lbLabel: string): ServiceAddresses[] {
  const out: ServiceAddresses[] = [];
  const pools = lbPools(config, lbLabel);
  let unchecked = 0;
  // Out-of-namespace Services are out of scope like unselected ones: silently, not as problems.
  const lbs = services
    .filter((s) => s.type === "LoadBalancer" && inNamespaceScope(s, config))
    .sort((a, b) => (serviceId(a) < serviceId(b) ? -1 : serviceId(a) > serviceId(b) ? 1 : 0));
  for (const service of lbs) {
    const id = serviceId(service);
    const ips: string[] = [];
    for (const ingress of service.ingress) {
      if (ingress.ip !== "") {
        const ip = parseIp(ingress.ip);
        const refused = ip === null ? null : ingressIpProblem(ip, pools);
        if (ip === null) problems.push({ kind: "service", object: id, message: `LoadBalancer ingress IP ${quoteCapped(ingress.ip)} is not an IP address; ignored` });
        else if (refused !== null) problems.push({ kind: "service", object: id, message: `LoadBalancer ingress IP ${quoteCapped(ingress.ip)} ${refused}; ignored` });
        else {
          ips.push(ip.address);
          if (pools.length === 0) unchecked++;
        }
      } else if (ingress.hostname !== "") {
        problems.push({
          kind: "service",
          object: id,
          message: `LoadBalancer ingress has hostname ${quoteCapped(ingress.hostname)} and no IP; firewall rules need IP addresses, so it is ignored`,
        });
      }
      // Neither: the load balancer has not assigned anything yet (pending).
    }
    out.push({ service, id, ips: canonicalContent(ips) });
  }
  if (unchecked > 0) {
    problems.push({
      kind: "config",
      object: "LB_ADDRESSES",
      message: `LB_ADDRESSES is empty (and neither BGP_ACCEPT_PREFIXES nor a Cilium pool gives prefixes), so ${unchecked} LoadBalancer ingress IP(s) are used unchecked: any selected Service can make any unicast address an alias entry and rule destination; set LB_ADDRESSES to the LB pool`,
    });
  }
  return out;
}

/** A Service's source ranges, or null when it sets none; unparsable ones are reported and dropped. */
function sourceRanges(service: ServiceView, report: (message: string) => void): ParsedNetwork[] | null {
  if (service.loadBalancerSourceRanges.length === 0) return null;
  const ranges: ParsedNetwork[] = [];
  for (const range of service.loadBalancerSourceRanges) {
    const net = parseNetwork(range);
    if (net === null) report(`loadBalancerSourceRanges entry ${quoteCapped(range)} is not an address or CIDR; ignored`);
    else ranges.push(net);
  }
  return ranges;
}

function narrowingMessage(issue: "disjoint" | "named-source", entry: LbClientNetwork, index: number, ranges: readonly ParsedNetwork[]): string {
  const list = ranges.map((r) => r.text).join(", ");
  if (issue === "disjoint") {
    return `loadBalancerSourceRanges (${list}) share no address with the source ${entry.source} of ${entryObject(index)}; no rule from that entry`;
  }
  return (
    `loadBalancerSourceRanges (${list}) cannot be intersected with the named source "${entry.source}" of ${entryObject(index)}: ` +
    `its rules keep that source and the ranges are not applied (give the entry a CIDR source to have them honoured)`
  );
}

type RuleShape = { readonly directions: readonly RuleDirection[]; readonly statetype: string | null };

/** Directions and state type of an entry's rules, or null (with a problem) when the router cannot express them. */
function ruleShape(entry: LbClientNetwork, index: number, caps: Capabilities, problems: Problem[]): RuleShape | null {
  if (!entry.asymmetric) return { directions: ["in"], statetype: caps.ruleStatetype ? "keep" : null };
  if (!caps.ruleStatetype) {
    // A keep-state rule would pass the first packet and then drop the flow: worse than no rule.
    problems.push({
      kind: "config",
      object: entryObject(index),
      message: `sloppy state needs OPNsense ≥ 25.1 (this router's rule template has no statetype); no rule created for this entry (${JSON.stringify(entry.raw)})`,
    });
    return null;
  }
  return { directions: caps.ruleDirectionAny ? ["any"] : ["in", "out"], statetype: "sloppy" };
}

function ruleSpec(
  owner: string,
  key: string,
  entry: LbClientNetwork,
  direction: RuleDirection,
  family: IpProtocol,
  statetype: string | null,
  fields: { readonly protocol: string; readonly sourceNet: string; readonly destinationNet: string; readonly destinationPort: string },
): RuleSpec {
  return {
    enabled: true,
    action: "pass",
    quick: true,
    interfaces: [entry.interface],
    direction,
    ipprotocol: family,
    protocol: fields.protocol,
    sourceNet: fields.sourceNet,
    sourcePort: "",
    destinationNet: fields.destinationNet,
    destinationPort: fields.destinationPort,
    statetype,
    description: formatMarker(owner, key),
  };
}

/** `lbLabel` names `config.lb.addresses` in messages (LB_ADDRESSES, possibly with Cilium's pools merged in). */
export function desiredLb(services: readonly ServiceView[], config: Config, caps: Capabilities, lbLabel = "LB_ADDRESSES"): LbResult {
  const problems: Problem[] = [];
  const entries = config.lb.clientNetworks;
  if (entries.length === 0) return { alias: null, rules: [], problems, addresses: [] };

  const owner = config.ownerId;
  const aliasName = lbAliasName(owner);
  const lbServices = loadBalancerAddresses(services, config, problems, lbLabel);
  const content = canonicalContent([...lbServices.flatMap((s) => s.ips), ...config.lb.addresses]);
  const alias: DesiredAlias = {
    key: LB_ALIAS_KEY,
    spec: { name: aliasName, type: "network", enabled: true, content, description: formatMarker(owner, LB_ALIAS_KEY) },
  };

  const rules = new Map<string, DesiredRule>();
  const add = (key: string, spec: RuleSpec): void => {
    if (!rules.has(key)) rules.set(key, { key, spec });
  };
  const serviceProblems = new Set<string>();
  const serviceProblem = (object: string, message: string): void => {
    if (serviceProblems.has(`${object}\n${message}`)) return;
    serviceProblems.add(`${object}\n${message}`);
    problems.push({ kind: "service", object, message });
  };

  // IPv4 rules always exist (the usual case, and stable while services come and go);
  // IPv6 rules only while the alias holds IPv6 entries.
  const families: IpProtocol[] = content.some((c) => parseNetwork(c)?.family === "inet6") ? ["inet", "inet6"] : ["inet"];

  entries.forEach((entry, index) => {
    const shape = ruleShape(entry, index, caps, problems);
    if (shape === null) return;
    const entryFamily = sourceFamily(entry.source);
    const n = index + 1;

    if (config.lb.accessScope === "addresses") {
      for (const family of families) {
        if (entryFamily !== null && entryFamily !== family) continue;
        for (const direction of shape.directions) {
          const key = objectKey(owner, `lb ${n} ${direction} ${family}`);
          add(key, ruleSpec(owner, key, entry, direction, family, shape.statetype, {
            protocol: "any",
            sourceNet: entry.source,
            destinationNet: aliasName,
            destinationPort: "",
          }));
        }
      }
      return;
    }

    // Scope "ports": one rule per service address, port and source, like cloud load balancers;
    // the Service's source ranges narrow the entry's source (src/desired/source-ranges.ts).
    for (const { service, id, ips } of lbServices) {
      const ranges = sourceRanges(service, (message) => serviceProblem(id, message));
      const narrowed = narrowSource(entry.source, ranges);
      // Only worth a problem when the entry would otherwise have made rules for this Service.
      const concerned = ips.some((ip) => entryFamily === null || parseIp(ip)?.family === entryFamily);
      if (narrowed.issue !== null && ranges !== null && concerned) serviceProblem(id, narrowingMessage(narrowed.issue, entry, index, ranges));
      const ports = [...service.ports].sort((a, b) => compareText(a.protocol, b.protocol) || a.port - b.port);
      for (const ip of ips) {
        const family: IpProtocol = parseIp(ip)?.family ?? "inet";
        for (const port of ports) {
          const protocol = port.protocol.toUpperCase();
          if (protocol !== "TCP" && protocol !== "UDP") {
            serviceProblem(id, `port ${port.port}/${port.protocol}: OPNsense rules take ports only for TCP and UDP; no rule for this port`);
            continue;
          }
          for (const { source, family: sf } of narrowed.sources) {
            if (sf !== null && sf !== family) continue;
            for (const direction of shape.directions) {
              const base = `lb ${n} ${direction} ${family} ${id} ${ip} ${protocol}/${port.port}`;
              const key = objectKey(owner, ranges !== null ? `${base} from ${source}` : base);
              add(key, ruleSpec(owner, key, entry, direction, family, shape.statetype, {
                protocol,
                sourceNet: source,
                destinationNet: ip,
                destinationPort: String(port.port),
              }));
            }
          }
        }
      }
    }
  });

  return { alias, rules: [...rules.values()], problems, addresses: content };
}
