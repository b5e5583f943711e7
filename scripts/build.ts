/**
 * `npm run build`: the production bundle, dist/main.js — the agent and its CLI with every
 * dependency in one minified ES module.
 *
 * Why a bundle: Node compiles only the functions that run, but it keeps the source of every
 * module it loads; `@kubernetes/client-node`'s index alone pulls its whole generated API (~25 MB
 * of module source in the heap; the agent now imports only its KubeConfig: src/cluster/kube-rest.ts). Bundled and minified, the agent starts faster and sits tens of
 * MB lower (see `npm run bench`). The image then needs no node_modules at all.
 */
import { build, type Plugin } from "esbuild";
import { chmodSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const outdir = process.env["BUILD_OUTDIR"] ?? join(root, "dist");

/**
 * Node built-ins imported by ES modules (ours, client-node's, pino's…) are loaded with require()
 * instead. An `import` of a built-in makes Node build its ES module namespace, which reads every
 * export — and `node:http` exports WebSocket, CloseEvent and MessageEvent as lazy getters that
 * load Node's own copy of undici: measured +10 MB RSS for that one import, +2 MB each for
 * `node:fs` (fs.promises) and `node:util`. Through require() the getters stay untouched
 * (esbuild's import interop copies them as getters).
 */
const builtinsByRequire: Plugin = {
  name: "builtins-by-require",
  setup(b) {
    const names = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) =>
      args.kind === "import-statement" && names.has(args.path) ? { path: args.path, namespace: "builtin-by-require" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "builtin-by-require" }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: "js" }));
  },
};

/**
 * Edits to dependency code the agent provably never runs, each made because loading the original
 * costs memory. Node creates its lazy web globals (fetch, Request, Response, FormData…) from its
 * own copy of undici on first access: +10 MB RSS, for code the agent never calls (its HTTP is
 * node:http(s) through axios's http adapter and src/cluster/kube-rest.ts). The build fails when a
 * dependency update changes the code an edit expects.
 */
const EDITS: ReadonlyArray<{ readonly module: RegExp; readonly find: string; readonly replace: string }> = [
  // axios probes fetch support when it loads (Request, Response, new ReadableStream…). The agent's
  // instance uses the http adapter (src/opnsense/http.ts sets `adapter: "http"`), so axios never
  // asks for the fetch adapter.
  { module: /node_modules\/axios\/lib\/adapters\/fetch\.js$/, find: "const adapter = getFetch();", replace: "const adapter = false;" },
  // axios reads globalThis.FormData when it loads, to recognise native FormData bodies (which
  // isFormData also does by their toString tag); the agent only sends JSON strings.
  { module: /node_modules\/axios\/lib\/utils\.js$/, find: "typeof G.FormData !== 'undefined' ? G.FormData : undefined", replace: "undefined" },
];

const edits: Plugin = {
  name: "edits",
  setup(b) {
    for (const { module, find, replace } of EDITS) {
      b.onLoad({ filter: module }, async (args) => {
        const source = await readFile(args.path, "utf8");
        if (!source.includes(find)) throw new Error(`${args.path} no longer contains ${JSON.stringify(find)}: review the edit in scripts/build.ts`);
        return { contents: source.replace(find, replace), loader: "js" };
      });
    }
  },
};

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
  plugins: [builtinsByRequire, edits],
});
chmodSync(join(outdir, "main.js"), 0o755);
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
console.log(`${join(outdir, "main.js")}: ${(bytes / 1024 / 1024).toFixed(1)} MB`);
