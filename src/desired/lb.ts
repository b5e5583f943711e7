/**
 * LoadBalancer access (issue 5): a network alias of the LB addresses and pass rules from the
 * configured client networks to them. Version-aware: sloppy state needs `statetype` (≥ 25.1),
 * and "both directions" is one `direction: any` rule from 26.1, an in/out pair before.
 */
import type { Capabilities, IpProtocol, RuleDirection, RuleSpec } from "../domain/types.ts";
import type { ServiceView } from "../cluster/types.ts";
import type { Config, LbClientNetwork } from "../config/types.ts";
import type { DesiredAlias, DesiredRule, Problem } from "./types.ts";
import { parseIp, parseNetwork, type IpFamily } from "../domain/net.ts";
import { quoteCapped } from "../domain/text.ts";
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

function loadBalancerAddresses(services: readonly ServiceView[], problems: Problem[]): ServiceAddresses[] {
  const out: ServiceAddresses[] = [];
  const lbs = services.filter((s) => s.type === "LoadBalancer").sort((a, b) => (serviceId(a) < serviceId(b) ? -1 : serviceId(a) > serviceId(b) ? 1 : 0));
  for (const service of lbs) {
    const id = serviceId(service);
    const ips: string[] = [];
    for (const ingress of service.ingress) {
      if (ingress.ip !== "") {
        const ip = parseIp(ingress.ip);
        if (ip === null) problems.push({ kind: "service", object: id, message: `LoadBalancer ingress IP ${quoteCapped(ingress.ip)} is not an IP address; ignored` });
        else ips.push(ip.address);
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
  return out;
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
      message: `sloppy state needs OPNsense ≥ 25.1 (this router: ${caps.versionRange}); no rule created for this entry (${JSON.stringify(entry.raw)})`,
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

export function desiredLb(services: readonly ServiceView[], config: Config, caps: Capabilities): LbResult {
  const problems: Problem[] = [];
  const entries = config.lb.clientNetworks;
  if (entries.length === 0) return { alias: null, rules: [], problems, addresses: [] };

  const owner = config.ownerId;
  const aliasName = lbAliasName(owner);
  const lbServices = loadBalancerAddresses(services, problems);
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

    // Scope "ports": one rule per service address, port and source, like cloud load balancers.
    for (const { service, id, ips } of lbServices) {
      const ranges: string[] = [];
      for (const range of service.loadBalancerSourceRanges) {
        const net = parseNetwork(range);
        if (net === null) serviceProblem(id, `loadBalancerSourceRanges entry ${quoteCapped(range)} is not an address or CIDR; ignored`);
        else ranges.push(net.text);
      }
      const useRanges = service.loadBalancerSourceRanges.length > 0;
      const ports = [...service.ports].sort((a, b) => a.protocol.localeCompare(b.protocol) || a.port - b.port);
      for (const ip of ips) {
        const family: IpProtocol = parseIp(ip)?.family ?? "inet";
        for (const port of ports) {
          const protocol = port.protocol.toUpperCase();
          if (protocol !== "TCP" && protocol !== "UDP") {
            serviceProblem(id, `port ${port.port}/${port.protocol}: OPNsense rules take ports only for TCP and UDP; no rule for this port`);
            continue;
          }
          const sources = useRanges ? ranges : [entry.source];
          for (const source of sources) {
            const sf = sourceFamily(source);
            if (sf !== null && sf !== family) continue;
            for (const direction of shape.directions) {
              const base = `lb ${n} ${direction} ${family} ${id} ${ip} ${protocol}/${port.port}`;
              const key = objectKey(owner, useRanges ? `${base} from ${source}` : base);
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
