/**
 * One error type for everything the OPNsense client can fail with. Callers branch on
 * `kind`, never on message text, and the message never carries credentials: it is built
 * here from the endpoint, the status and OPNsense's own reply text only.
 */

export type OpnsenseErrorKind =
  | "unreachable"
  | "tls"
  | "auth"
  | "permission"
  | "not-found"
  | "validation"
  | "in-use"
  | "transient"
  | "unexpected";

export type OpnsenseErrorInit = {
  readonly kind: OpnsenseErrorKind;
  readonly method: string;
  readonly endpoint: string;
  readonly detail: string;
  readonly status?: number;
  readonly validations?: Record<string, string[]>;
  readonly privilege?: string;
  /** Low-level code (ECONNRESET, ETIMEDOUT, DEPTH_ZERO_SELF_SIGNED_CERT…) for diagnostics. */
  readonly code?: string;
};

export class OpnsenseError extends Error {
  readonly kind: OpnsenseErrorKind;
  readonly method: string;
  readonly endpoint: string;
  readonly status?: number;
  readonly validations?: Record<string, string[]>;
  readonly privilege?: string;
  readonly code?: string;
  /** The reason alone, without the "METHOD endpoint:" prefix (used by preflight sentences). */
  readonly detail: string;

  constructor(init: OpnsenseErrorInit) {
    super(`${init.method} ${init.endpoint}: ${init.detail}`);
    this.name = "OpnsenseError";
    this.kind = init.kind;
    this.method = init.method;
    this.endpoint = init.endpoint;
    this.detail = init.detail;
    if (init.status !== undefined) this.status = init.status;
    if (init.validations !== undefined) this.validations = init.validations;
    if (init.privilege !== undefined) this.privilege = init.privilege;
    if (init.code !== undefined) this.code = init.code;
  }
}

/** Preflight found reasons why the agent cannot work; each problem is one complete sentence. */
export class PreflightError extends Error {
  /** Lets callers that only see `kind` (like every other OPNsense error) tell it apart. */
  readonly kind = "preflight";
  readonly problems: readonly string[];
  readonly warnings: readonly string[];

  constructor(problems: readonly string[], warnings: readonly string[] = []) {
    super(`OPNsense preflight failed:\n- ${problems.join("\n- ")}`);
    this.name = "PreflightError";
    this.problems = problems;
    this.warnings = warnings;
  }
}

/** Thrown by the codec when a reply field has a shape it cannot map; the caller adds the endpoint. */
export class ShapeError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = "ShapeError";
    this.path = path;
  }
}

export function unexpectedShape(method: string, endpoint: string, e: unknown): OpnsenseError {
  const why = e instanceof Error ? e.message : String(e);
  return new OpnsenseError({ kind: "unexpected", method, endpoint, detail: `unexpected reply shape: ${why}` });
}

/** Runs a reply mapper; a ShapeError becomes an `unexpected` OpnsenseError naming the endpoint. */
export function guardShape<T>(method: string, endpoint: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ShapeError) throw unexpectedShape(method, endpoint, e);
    throw e;
  }
}
