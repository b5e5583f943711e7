import { build } from "esbuild";
import { builtinModules } from "node:module";
const names = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const r = await build({ entryPoints: [process.argv[2]!], bundle: true, platform: "node", target: "node24", format: "esm", minify: true, metafile: true, write: false, outfile: "/tmp/x.js", external: ["bufferutil", "utf-8-validate", ...names] });
const out = Object.values(r.metafile.outputs)[0]!;
const byPkg = new Map<string, number>();
for (const [p, v] of Object.entries(out.inputs)) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)(\/dist\/gen)?/.exec(p);
  const k = m ? m[1] + (m[2] ?? "") : "src";
  byPkg.set(k, (byPkg.get(k) ?? 0) + v.bytesInOutput);
}
console.log("total", out.bytes);
for (const [k, v] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(k, v);
if (process.argv[3]) for (const [p, v] of Object.entries(out.inputs)) if (p.includes(process.argv[3]) && v.bytesInOutput > 0) console.log(" ", p, v.bytesInOutput);
