/** Error kinds (set by the OPNsense client) after which no further request of this pass can succeed. */
const FATAL_KINDS = new Set(["auth", "permission", "unreachable", "tls"]);

export function errorKind(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "kind" in err) {
    const kind = (err as { kind: unknown }).kind;
    return typeof kind === "string" ? kind : undefined;
  }
  return undefined;
}

export function isFatal(err: unknown): boolean {
  const kind = errorKind(err);
  return kind !== undefined && FATAL_KINDS.has(kind);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
