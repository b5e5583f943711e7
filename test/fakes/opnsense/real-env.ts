// The real OPNsense target of the contract tests, named only by the environment (npm run test:real).
import type { OpnVersion } from "./versions.ts";
import { isVersion, REAL_CHECKED } from "./versions.ts";

export const REAL_ENV = ["OPNSENSE_REAL_URL", "OPNSENSE_REAL_KEY", "OPNSENSE_REAL_SECRET", "OPNSENSE_REAL_VERSION"] as const;

/** the real target's settings from the environment; null when none is set */
export function realEnv(env: NodeJS.ProcessEnv = process.env): { url: string; key: string; secret: string; version: OpnVersion } | null {
  if (REAL_ENV.every((k) => !env[k])) return null;
  const missing = REAL_ENV.filter((k) => !env[k]);
  if (missing.length) throw new Error(`real OPNsense target: ${missing.join(", ")} not set`);
  const version = env["OPNSENSE_REAL_VERSION"] ?? "";
  if (!isVersion(version) || !REAL_CHECKED.includes(version)) {
    throw new Error(`OPNSENSE_REAL_VERSION=${version}: expected one of ${REAL_CHECKED.join(", ")}`);
  }
  return { url: (env["OPNSENSE_REAL_URL"] ?? "").replace(/\/+$/, ""), key: env["OPNSENSE_REAL_KEY"] ?? "", secret: env["OPNSENSE_REAL_SECRET"] ?? "", version };
}

