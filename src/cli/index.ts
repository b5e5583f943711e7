import { loadConfig } from "../config/index.ts";
import type { Config } from "../config/types.ts";
import { createLogger } from "../log.ts";
import { USAGE, type Command } from "./args.ts";
import { renderCheck, runCheck } from "./check.ts";
import { runOnePass } from "./one-pass.ts";
import { renderPlan } from "./plan.ts";

type Io = { readonly out: (text: string) => void; readonly err: (text: string) => void };

const stdio: Io = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) };

function config(env: NodeJS.ProcessEnv, io: Io): { config: Config; warnings: readonly string[] } | null {
  const loaded = loadConfig(env);
  if (loaded.ok) return { config: loaded.config, warnings: loaded.warnings };
  io.err("invalid configuration:");
  for (const e of loaded.errors) io.err(`  ${e}`);
  return null;
}

/** Runs a one-shot command and returns its exit code. Its output is for people: plain text (or --json), no log lines. */
export async function runCli(command: Exclude<Command, { kind: "agent" }>, env: NodeJS.ProcessEnv = process.env, io: Io = stdio): Promise<number> {
  switch (command.kind) {
    case "help":
      io.out(USAGE);
      return 0;
    case "usage-error":
      io.err(`${command.message}\n\n${USAGE}`);
      return 1;
    case "check": {
      const c = config(env, io);
      if (!c) return 1;
      const result = await runCheck(c.config, createLogger("silent"));
      io.out(command.json ? JSON.stringify(result, null, 2) : renderCheck(result));
      return result.ok ? 0 : 1;
    }
    case "plan": {
      const c = config(env, io);
      if (!c) return 1;
      // DRY_RUN whatever the environment says: a plan never writes.
      const report = await runOnePass({ ...c.config, dryRun: true }, createLogger("silent"), "plan");
      const { text, exitCode } = renderPlan(report);
      io.out(text);
      return exitCode;
    }
    case "run-once": {
      const c = config(env, io);
      if (!c) return 1;
      // A real pass: the agent's JSON log lines, as the running agent would write them.
      const logger = createLogger(c.config.logLevel);
      for (const warning of c.warnings) logger.warn({ warning }, "configuration warning");
      const report = await runOnePass(c.config, logger, "run --once");
      return report.result === "success" ? 0 : 1;
    }
  }
}
