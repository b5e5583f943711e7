import type { JsonObject } from "./types.ts";

const REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  409: "Conflict",
  410: "Expired",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

export function reasonFor(code: number): string {
  return REASONS[code] ?? (code >= 500 ? "InternalError" : "BadRequest");
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
}

export function statusBody(code: number, message: string, reason = reasonFor(code), details?: StatusDetails): JsonObject {
  const body: JsonObject = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  };
  if (details) {
    const d: JsonObject = {};
    if (details.name !== undefined) d.name = details.name;
    if (details.group !== undefined) d.group = details.group;
    if (details.kind !== undefined) d.kind = details.kind;
    body.details = d;
  }
  return body;
}

/** Thrown anywhere below the router; the router turns it into a Status response. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;

  constructor(code: number, message: string, reason?: string, details?: StatusDetails) {
    super(message);
    this.code = code;
    this.reason = reason ?? reasonFor(code);
    this.details = details;
  }

  toStatus(): JsonObject {
    return statusBody(this.code, this.message, this.reason, this.details);
  }
}

/** "leases.coordination.k8s.io" style name used in real apiserver messages. */
export function qualifiedResource(plural: string, group: string): string {
  return group ? `${plural}.${group}` : plural;
}

export function notFound(plural: string, group: string, name: string): ApiError {
  // details.kind carries the resource (plural), as the apiserver does.
  return new ApiError(404, `${qualifiedResource(plural, group)} "${name}" not found`, "NotFound", { name, group, kind: plural });
}

export function alreadyExists(plural: string, group: string, name: string): ApiError {
  return new ApiError(409, `${qualifiedResource(plural, group)} "${name}" already exists`, "AlreadyExists", {
    name,
    group,
    kind: plural,
  });
}

export function conflict(plural: string, group: string, name: string): ApiError {
  return new ApiError(
    409,
    `Operation cannot be fulfilled on ${qualifiedResource(plural, group)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    "Conflict",
    { name, group, kind: plural },
  );
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, message, "BadRequest");
}

export function invalid(kind: string, name: string, message: string): ApiError {
  return new ApiError(422, `${kind} "${name}" is invalid: ${message}`, "Invalid", { name, kind });
}

export function expired(message: string): ApiError {
  return new ApiError(410, message, "Expired");
}
