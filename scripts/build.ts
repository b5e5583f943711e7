/**
 * `npm run build`: the production bundle, dist/main.js — the agent and its CLI with every
 * dependency in one minified ES module.
 *
 * Why a bundle: Node compiles only the functions that run, but it keeps the source of every
 * module it loads; `@kubernetes/client-node` alone pulls its whole generated API (~25 MB of
 * module source in the heap). Bundled and minified, the agent starts faster and sits tens of
 * MB lower (see `npm run bench`). The image then needs no node_modules at all.
 */
import { build } from "esbuild";
import { chmodSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const outdir = process.env["BUILD_OUTDIR"] ?? join(root, "dist");

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: [join(root, "src/main.ts")],
  outfile: join(outdir, "main.js"),
  bundle: true,
  platform: "node",
  target: "node24",
  format: "esm",
  minify: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  // CommonJS dependencies call require() for Node built-ins, which an ES module does not have.
  // The shebang makes the bundle the package's `bin` (npx opnsense-bgp-agent check).
  banner: { js: '#!/usr/bin/env node\nimport { createRequire as __agentRequire } from "node:module"; const require = __agentRequire(import.meta.url);' },
  // ws tries these optional native speed-ups inside try/catch; they are not installed.
  external: ["bufferutil", "utf-8-validate"],
});
chmodSync(join(outdir, "main.js"), 0o755);
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
console.log(`${join(outdir, "main.js")}: ${(bytes / 1024 / 1024).toFixed(1)} MB`);
