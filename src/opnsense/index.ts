/** Public surface of the OPNsense layer. */
export { createOpnsenseClient } from "./client.ts";
export type { OpnsenseClient, OpnsenseClientOptions } from "./client.ts";
export { OpnsenseError, PreflightError } from "./errors.ts";
export type { OpnsenseErrorKind } from "./errors.ts";
export type { RequestEvent } from "./http.ts";
export type { NeighborWriteContext } from "./bgp.ts";
export type { FrrServiceStatus } from "./frr-service.ts";
export { parseRunningConfig } from "./frr-service.ts";
export type { InterfaceSetting, OfferedInterfaces, PreflightResult } from "./preflight.ts";
export { interfaceProblems, routerStateProblems } from "./preflight.ts";
export type { SnapshotOptions } from "./snapshot.ts";
export { PRIVILEGES } from "./privileges.ts";
export { capabilityFields, describeCapabilities } from "./capabilities.ts";
export type { Privilege } from "./privileges.ts";
