/** The command line: no command runs the agent; `check`, `plan` and `run --once` are one-shot. */
export type Command =
  | { readonly kind: "agent" }
  | { readonly kind: "check"; readonly json: boolean }
  | { readonly kind: "plan" }
  | { readonly kind: "run-once" }
  | { readonly kind: "help" }
  | { readonly kind: "usage-error"; readonly message: string };

export const USAGE = `usage: opnsense-bgp-agent [command]

  (no command)   run the agent: watch the cluster and keep OPNsense in step
  check [--json] preflight: connection, TLS, credentials, privileges, interfaces, FRR/BGP state, Kubernetes;
                 exit 0 when the agent can work, 1 otherwise
  plan           one dry-run pass: the writes the agent would make; exit 0 when nothing to do,
                 2 when changes are pending, 1 on error. Never writes
  run --once     one real pass, then exit: 0 on success, 1 otherwise

Settings come from the environment, as for the agent (README: Configuration).`;

export function parseArgs(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  const flags = new Set(rest);
  const unknown = (allowed: readonly string[]) => rest.filter((a) => !allowed.includes(a));
  const bad = (allowed: readonly string[]): Command | null => {
    const u = unknown(allowed);
    return u.length > 0 ? { kind: "usage-error", message: `${command}: unknown argument${u.length > 1 ? "s" : ""} ${u.join(" ")}` } : null;
  };
  switch (command) {
    case undefined:
      return { kind: "agent" };
    case "help":
    case "--help":
    case "-h":
      return { kind: "help" };
    case "check":
      return bad(["--json"]) ?? { kind: "check", json: flags.has("--json") };
    case "plan":
      return bad([]) ?? { kind: "plan" };
    case "run":
      if (!flags.has("--once")) return { kind: "usage-error", message: "run: only `run --once` exists; without a command the agent runs continuously" };
      return bad(["--once"]) ?? { kind: "run-once" };
    default:
      return { kind: "usage-error", message: `unknown command ${command}` };
  }
}
