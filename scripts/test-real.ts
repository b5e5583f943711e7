/**
 * `npm run test:real`: the simulator's contract tests (test/fakes/opnsense), the agent-level
 * real-target tests (test/real) and, when its extra variables are set (test/lab/README.md), the BGP
 * lab behind the real code (test/lab/real-opnsense-frr.test.ts) against a real OPNsense instead of
 * the simulator. The target comes
 * only from the environment; tests that need the simulator's control API are skipped there.
 *
 *   OPNSENSE_REAL_URL      e.g. http://127.0.0.1:8443 (the API base, without /api)
 *   OPNSENSE_REAL_KEY      API key of a user with the privileges the README lists
 *   OPNSENSE_REAL_SECRET   its secret
 *   OPNSENSE_REAL_VERSION  the release's version row: 24.7.12, 25.1.12, 25.7.11, 26.1.11 or 26.7
 *
 * The tests create and delete objects: use a box that holds nothing you care about.
 * Extra arguments are passed to vitest (e.g. a test name filter with -t).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REAL_ENV, realEnv } from "../test/fakes/opnsense/real-env.ts";

const missing = REAL_ENV.filter((k) => !process.env[k]);
if (missing.length) {
  console.error(`test:real needs a real OPNsense: set ${missing.join(", ")} (see the README, "Testing against a real OPNsense")`);
  process.exit(1);
}
try {
  realEnv();
} catch (e) {
  console.error(`test:real: ${(e as Error).message}`);
  process.exit(1);
}

const root = join(import.meta.dirname, "..");
const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
// one file at a time: the files share one router, and some count what it holds
const args = [vitest, "run", "--fileParallelism=false", "--testTimeout=120000", "--passWithNoTests", "test/fakes/opnsense/", "test/real/", "test/lab/real-opnsense-frr.test.ts", ...process.argv.slice(2)];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit", env: process.env });
process.exit(r.status ?? 1);
