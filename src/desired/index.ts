/** The desired-state layer's public surface. */
export type { DesiredAlias, DesiredNeighbor, DesiredRule, DesiredState, Problem } from "./types.ts";
export { computeDesired } from "./compute.ts";
export { ANNOTATION_ADDRESS, ANNOTATION_ASN, ANNOTATION_SKIP } from "./annotations.ts";
export { BGP_RULE_KEY, NODE_ALIAS_KEY } from "./bgp-firewall.ts";
export { LB_ALIAS_KEY } from "./lb.ts";
