import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "cli.ts");

test("CLI prints where it listens and the kubectl command, writes a kubeconfig, seeds nodes, exits on SIGTERM", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kube-fake-cli-"));
  const out = join(dir, "kubeconfig");
  // process.execPath is the Node 24 running vitest, so type stripping works.
  const child = spawn(process.execPath, [CLI, "--port", "0", "--seed-nodes", "2", "--token", "T", "--kubeconfig-out", out], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let buf = "";
      child.stdout.on("data", (d: Buffer) => {
        buf += d.toString();
        const nl = buf.indexOf("\n");
        if (nl >= 0) resolve(buf.slice(0, nl));
      });
      child.once("exit", (code) => reject(new Error(`cli exited early (${String(code)})`)));
    });
    expect(line).toMatch(/^kube-fake listening on http:\/\/127\.0\.0\.1:\d+ .* try: kubectl --kubeconfig \S+ get nodes$/);
    const url = /listening on (\S+)/.exec(line)?.[1] as string;
    expect(readFileSync(out, "utf8")).toContain(`server: ${url}`);
    const res = await fetch(`${url}/api/v1/nodes`, { headers: { authorization: "Bearer T" } });
    const list = (await res.json()) as { items: { metadata: { name: string } }[] };
    expect(list.items.map((n) => n.metadata.name)).toEqual(["node-1", "node-2"]);
    const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
