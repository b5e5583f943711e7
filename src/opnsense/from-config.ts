import { readFileSync } from "node:fs";
import type { Config } from "../config/types.ts";
import type { OpnsenseClientOptions } from "./client.ts";

/** The client settings that come from the configuration; the agent and the CLI add their own hooks. */
export function opnsenseOptions(config: Config): OpnsenseClientOptions {
  return {
    url: config.opnsense.url,
    apiKey: config.opnsense.apiKey,
    apiSecret: config.opnsense.apiSecret,
    // Neighbor writes carry it, so a validation reply may quote it back.
    redactValues: config.bgp.password ? [config.bgp.password] : [],
    caPem: config.opnsense.caFile ? readFileSync(config.opnsense.caFile, "utf8") : null,
    tlsServerName: config.opnsense.tlsServerName,
    tlsInsecure: config.opnsense.tlsInsecure,
    timeoutMs: config.opnsense.timeoutMs,
  };
}
