export interface FaultMatch {
  method?: string;
  pathPrefix?: string;
  /** RegExp, or its source text when sent over HTTP */
  pathRegex?: string | RegExp;
}

interface FaultBase {
  match?: FaultMatch;
  /** how many matching requests the fault hits; default 1 */
  times?: number;
}

export type Fault = FaultBase &
  (
    | { kind: "status"; status: number; body?: unknown }
    | { kind: "delay"; ms: number }
    | { kind: "timeout" }
    | { kind: "reset" }
    | { kind: "unauthorized" }
    | { kind: "forbidden" }
    | { kind: "garbage"; body?: string }
    | { kind: "validation"; validations: Record<string, string | string[]> }
  );

export type FaultKind = Fault["kind"];

export const FAULT_KINDS: readonly FaultKind[] = [
  "status",
  "delay",
  "timeout",
  "reset",
  "unauthorized",
  "forbidden",
  "garbage",
  "validation",
];

export function faultMatches(f: Fault, method: string, path: string): boolean {
  const m = f.match;
  if (!m) return true;
  if (m.method && m.method.toUpperCase() !== method.toUpperCase()) return false;
  if (m.pathPrefix && !path.startsWith(m.pathPrefix)) return false;
  if (m.pathRegex) {
    const re = typeof m.pathRegex === "string" ? new RegExp(m.pathRegex) : m.pathRegex;
    if (!re.test(path)) return false;
  }
  return true;
}

/** validate a fault that arrived as JSON over the control API */
export function parseFault(v: unknown): Fault {
  if (v === null || typeof v !== "object") throw new Error("fault must be an object");
  const o = v as Record<string, unknown>;
  const kind = o["kind"];
  if (typeof kind !== "string" || !(FAULT_KINDS as readonly string[]).includes(kind)) {
    throw new Error(`fault.kind must be one of ${FAULT_KINDS.join(", ")}`);
  }
  const base: FaultBase = {};
  if (o["match"] !== undefined) {
    const m = o["match"] as Record<string, unknown>;
    const match: FaultMatch = {};
    if (typeof m["method"] === "string") match.method = m["method"];
    if (typeof m["pathPrefix"] === "string") match.pathPrefix = m["pathPrefix"];
    if (typeof m["pathRegex"] === "string") match.pathRegex = m["pathRegex"];
    base.match = match;
  }
  if (typeof o["times"] === "number") base.times = o["times"];
  switch (kind as FaultKind) {
    case "status":
      if (typeof o["status"] !== "number") throw new Error("status fault needs a numeric status");
      return { ...base, kind: "status", status: o["status"], ...(o["body"] !== undefined ? { body: o["body"] } : {}) };
    case "delay":
      if (typeof o["ms"] !== "number") throw new Error("delay fault needs ms");
      return { ...base, kind: "delay", ms: o["ms"] };
    case "garbage":
      return { ...base, kind: "garbage", ...(typeof o["body"] === "string" ? { body: o["body"] } : {}) };
    case "validation": {
      const val = o["validations"];
      if (val === null || typeof val !== "object") throw new Error("validation fault needs validations");
      return { ...base, kind: "validation", validations: val as Record<string, string | string[]> };
    }
    case "timeout":
      return { ...base, kind: "timeout" };
    case "reset":
      return { ...base, kind: "reset" };
    case "unauthorized":
      return { ...base, kind: "unauthorized" };
    case "forbidden":
      return { ...base, kind: "forbidden" };
  }
}
