import { loadConfig } from "./config/index.ts";
import { createLogger } from "./log.ts";
import { startAgent } from "./agent.ts";
import { parseArgs } from "./cli/args.ts";
import { runCli } from "./cli/index.ts";

/** Process entry: validate config (all errors at once), start, and stop cleanly on SIGTERM/SIGINT. */
async function main(): Promise<number> {
  const command = parseArgs(process.argv.slice(2));
  if (command.kind !== "agent") return runCli(command);
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    const log = createLogger("info");
    for (const error of loaded.errors) log.error({ error }, "invalid configuration");
    log.fatal({ count: loaded.errors.length }, "refusing to start: fix the configuration errors above");
    return 1;
  }
  const logger = createLogger(loaded.config.logLevel);
  for (const warning of loaded.warnings) logger.warn({ warning }, "configuration warning");
  const agent = await startAgent({ config: loaded.config, logger });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) {
        logger.warn({ signal }, "second signal: exiting now");
        resolve(1);
        return;
      }
      stopping = true;
      logger.info({ signal }, "shutting down: finishing the current pass");
      // Kubernetes sends SIGKILL after terminationGracePeriodSeconds (30 s); stay well inside it.
      const force = setTimeout(() => {
        logger.error({}, "shutdown took too long; exiting");
        resolve(1);
      }, 25_000);
      force.unref();
      agent
        .stop()
        .then(() => {
          logger.info({}, "stopped");
          resolve(0);
        })
        .catch((err: unknown) => {
          logger.error({ error: String(err) }, "error while stopping");
          resolve(1);
        });
    };
    process.on("SIGTERM", () => shutdown("SIGTERM"));
    process.on("SIGINT", () => shutdown("SIGINT"));
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    createLogger("info").fatal({ error: err instanceof Error ? err.message : String(err) }, "agent crashed");
    process.exit(1);
  },
);
