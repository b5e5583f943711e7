import { pino, type Logger, type LoggerOptions } from "pino";

/**
 * Paths that may carry secrets anywhere in a log object. Redaction is done by pino itself,
 * so a careless `log.info({ config })` still cannot leak the API secret or the BGP password.
 */
export const REDACT_PATHS: readonly string[] = [
  "apiKey",
  "apiSecret",
  "password",
  "authorization",
  "*.apiKey",
  "*.apiSecret",
  "*.password",
  "*.authorization",
  "*.*.apiKey",
  "*.*.apiSecret",
  "*.*.password",
  "headers.Authorization",
  "*.headers.Authorization",
  "*.headers.authorization",
];

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { app: "opnsense-bgp-agent" },
    redact: { paths: [...REDACT_PATHS], censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}

export type { Logger };
