/**
 * How the image runs the agent, read from the Dockerfile (the one place these settings are
 * written): the runtime stage's ENV and the node arguments of its ENTRYPOINT. `npm run bench`
 * measures the bundle with exactly these; a docs test checks that `npm start` uses them too.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export type ImageRuntime = { readonly env: Readonly<Record<string, string>>; readonly nodeArgs: readonly string[] };

export function imageRuntime(dockerfile = readFileSync(join(import.meta.dirname, "../Dockerfile"), "utf8")): ImageRuntime {
  // The runtime stage is the last FROM; the build stage's settings do not reach the image.
  const stage = dockerfile.slice(Math.max(0, dockerfile.lastIndexOf("\nFROM ")));
  const env: Record<string, string> = {};
  for (const m of stage.matchAll(/^ENV ([A-Z_]+)=(\S+)$/gm)) env[m[1] as string] = m[2] as string;
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(stage)?.[1];
  if (entry === undefined) throw new Error("Dockerfile: no ENTRYPOINT in the runtime stage");
  const argv = JSON.parse(entry) as string[];
  if (argv[0] !== "node") throw new Error(`Dockerfile: ENTRYPOINT runs ${argv[0]}, not node`);
  return { env, nodeArgs: argv.slice(1, -1) };
}
