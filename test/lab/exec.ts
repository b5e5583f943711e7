// Small process helpers for the BGP lab: run a command, check for binaries.
import { execFile, execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";

export type RunResult = { readonly code: number; readonly stdout: string; readonly stderr: string };

/** Run a command without a shell; never throws for a non-zero exit (see `runOk`). */
export function run(cmd: string, args: readonly string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      [...args],
      { timeout: opts.timeoutMs ?? 15_000, maxBuffer: 32 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        let code = 0;
        if (err) {
          const c = (err as NodeJS.ErrnoException & { code?: unknown }).code;
          code = typeof c === "number" ? c : 127;
          if (stderr === "" && typeof err.message === "string") stderr = err.message;
        }
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Run a command and throw (with its stderr) unless it exits 0. */
export async function runOk(cmd: string, args: readonly string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** Synchronous best-effort run (exit handlers): returns stdout or "" on failure. */
export function runSyncQuiet(cmd: string, args: readonly string[]): string {
  try {
    return execFileSync(cmd, [...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10_000 });
  } catch {
    return "";
  }
}

/** Absolute path of an executable, looked up in PATH (plus the sbin dirs) unless already absolute. */
export function which(name: string): string | null {
  const candidates = name.startsWith("/")
    ? [name]
    : [...(process.env["PATH"] ?? "").split(":"), "/usr/sbin", "/sbin", "/usr/bin", "/bin"].filter((d) => d !== "").map((d) => `${d}/${name}`);
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return null;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** true while a process with this PID exists (signal 0). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
