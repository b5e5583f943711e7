// Long-running lab daemons: spawned by us, tracked by PID, stopped by PID.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { pidAlive, sleep } from "./exec.ts";

export type Daemon = {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** resolves with the exit code/signal once the process is gone */
  readonly exited: Promise<string>;
  exitedWith(): string | null;
};

export type Daemons = {
  readonly list: readonly Daemon[];
  /** spawn argv[0] with the rest as arguments; stdout/stderr go to <logDir>/<name>.log */
  spawn(name: string, argv: readonly string[]): Daemon;
  /** Wait until `path` exists; fails early (with the daemon logs) when a daemon died. */
  waitForFile(path: string, what: string, timeoutMs?: number): Promise<void>;
  /** The tail of every daemon log, for failure messages. */
  logs(): string;
  /** SIGTERM each, then SIGKILL what is left after `graceMs`. */
  stopAll(graceMs?: number): Promise<void>;
  /** Synchronous SIGKILL of each (exit handlers). */
  killAllSync(): void;
};

export function createDaemons(logDir: string): Daemons {
  const list: Daemon[] = [];
  const children = new Map<number, ChildProcess>();

  const logs = (): string =>
    list
      .map((d) => {
        let text = "";
        try {
          text = readFileSync(d.logPath, "utf8");
        } catch {
          text = "(no log)";
        }
        const state = d.exitedWith();
        return `--- ${d.name} pid ${d.pid}${state !== null ? ` exited ${state}` : ""}\n${text.split("\n").slice(-15).join("\n")}`;
      })
      .join("\n");

  return {
    list,
    spawn(name, argv) {
      const [cmd, ...args] = argv;
      if (cmd === undefined) throw new Error("empty argv");
      const logPath = `${logDir}/${name}.log`;
      const fd = openSync(logPath, "a");
      const child = spawn(cmd, args, { stdio: ["ignore", fd, fd] });
      closeSync(fd);
      if (child.pid === undefined) throw new Error(`could not start ${name} (${argv.join(" ")})`);
      let result: string | null = null;
      const exited = new Promise<string>((resolve) => {
        child.once("exit", (code, signal) => {
          result = signal ?? `code ${code ?? "?"}`;
          children.delete(child.pid ?? -1);
          resolve(result);
        });
        child.once("error", (e) => {
          result = `error ${e.message}`;
          resolve(result);
        });
      });
      children.set(child.pid, child);
      const d: Daemon = { name, pid: child.pid, logPath, exited, exitedWith: () => result };
      list.push(d);
      return d;
    },
    async waitForFile(path, what, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!existsSync(path)) {
        const dead = list.find((d) => d.exitedWith() !== null);
        if (dead) throw new Error(`${dead.name} exited (${dead.exitedWith() ?? ""}) while waiting for ${what}\n${logs()}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${path})\n${logs()}`);
        await sleep(50);
      }
    },
    logs,
    async stopAll(graceMs = 3000) {
      const live = list.filter((d) => d.exitedWith() === null);
      for (const d of live) {
        try {
          process.kill(d.pid, "SIGTERM");
        } catch {
          // already gone
        }
      }
      await Promise.race([Promise.all(live.map((d) => d.exited)), sleep(graceMs)]);
      for (const d of live) {
        if (d.exitedWith() === null && pidAlive(d.pid)) {
          try {
            process.kill(d.pid, "SIGKILL");
          } catch {
            // gone
          }
        }
      }
      await Promise.race([Promise.all(live.map((d) => d.exited)), sleep(1000)]);
    },
    killAllSync() {
      for (const d of list) {
        if (d.exitedWith() !== null) continue;
        try {
          process.kill(d.pid, "SIGKILL");
        } catch {
          // gone
        }
      }
    },
  };
}
