/** The configuration layer's public surface. */
export type { Config, LbAccessScope, LbClientNetwork, Policy } from "./types.ts";
export { loadConfig, type Env, type LoadResult, type ReadFile } from "./load.ts";
export { ENV_VARS, ENV_VAR_NAMES, type EnvVar } from "./env-vars.ts";
export { redactedConfigSummary, type ConfigSummary } from "./summary.ts";
export { parseClientNetworks, type ClientNetworksResult } from "./client-networks.ts";
export { formatDuration, parseDuration } from "./duration.ts";
