import type { OpnsenseErrorKind } from "../opnsense/errors.ts";

/**
 * Every kind of failure a pass can report, from the OPNsense client to the summary line and
 * metrics. One union, so a misspelt kind does not compile.
 */
export type ErrorKind =
  | OpnsenseErrorKind
  /** Preflight found reasons the agent cannot work (PreflightError). */
  | "preflight"
  /** The Kubernetes API could not be listed (KubernetesListError). */
  | "kubernetes"
  /** The configuration cannot be used for this pass (e.g. no BGP_REMOTE_ASN to be had). */
  | "config"
  /** A write needs an object that an earlier write of the pass failed to create. */
  | "dependency"
  /** Anything else: a bug, not a condition of the router or the cluster. */
  | "internal";

const KINDS: ReadonlySet<string> = new Set<ErrorKind>([
  "unreachable",
  "tls",
  "auth",
  "permission",
  "not-found",
  "validation",
  "in-use",
  "transient",
  "unexpected",
  "preflight",
  "kubernetes",
  "config",
  "dependency",
  "internal",
]);

/** Kinds after which no further request of this pass can succeed. */
const FATAL_KINDS: ReadonlySet<ErrorKind> = new Set<ErrorKind>(["auth", "permission", "unreachable", "tls"]);

function isErrorKind(k: string): k is ErrorKind {
  return KINDS.has(k);
}

export function errorKind(err: unknown): ErrorKind {
  if (typeof err === "object" && err !== null && "kind" in err) {
    const kind = (err as { kind: unknown }).kind;
    if (typeof kind === "string" && isErrorKind(kind)) return kind;
  }
  return "internal";
}

export function isFatal(err: unknown): boolean {
  return FATAL_KINDS.has(errorKind(err));
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
