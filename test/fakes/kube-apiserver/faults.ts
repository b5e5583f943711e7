import type { RequestRecord, Verb } from "./types.ts";

export interface FailRule {
  /** Path prefix on segment boundaries ("/api/v1/nodes" hits list, watch and get of nodes). */
  path?: string;
  /** Alternative to `path`: a regular expression (or its source, over HTTP) tested on the path. */
  pathRegex?: RegExp | string;
  /** Which request kind to fail; default "any". */
  verb?: Verb | "any" | Verb[];
  status: number;
  /** How many matching requests fail; default 1, 0 or Infinity = until cleared. */
  times?: number;
  message?: string;
  reason?: string;
  /** Watches only: answer 200 and one in-stream ERROR event with `status` as code, then end. */
  inStream?: boolean;
}

export interface Fault {
  status: number;
  message: string;
  reason: string | undefined;
  inStream: boolean;
}

interface ActiveRule {
  rule: FailRule;
  regex: RegExp | undefined;
  remaining: number;
}

function pathMatches(prefix: string, path: string): boolean {
  const p = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  return path === p || path.startsWith(`${p}/`);
}

export class FaultInjector {
  #rules: ActiveRule[] = [];

  add(rule: FailRule): void {
    if (!Number.isInteger(rule.status) || rule.status < 100 || rule.status > 599) {
      throw new Error(`kube-fake: failNext needs an HTTP status, got ${String(rule.status)}`);
    }
    const times = rule.times === undefined ? 1 : rule.times === 0 ? Infinity : rule.times;
    const regex = rule.pathRegex === undefined ? undefined : typeof rule.pathRegex === "string" ? new RegExp(rule.pathRegex) : rule.pathRegex;
    this.#rules.push({ rule, regex, remaining: times });
  }

  /** Consumes one use of the first matching rule. */
  take(path: string, verb: Verb): Fault | undefined {
    for (const r of this.#rules) {
      const v = r.rule.verb ?? "any";
      const verbOk = v === "any" || (Array.isArray(v) ? v.includes(verb) : v === verb);
      if (!verbOk) continue;
      if (r.rule.path !== undefined && !pathMatches(r.rule.path, path)) continue;
      if (r.regex && !r.regex.test(path)) continue;
      r.remaining--;
      if (r.remaining <= 0) this.#rules = this.#rules.filter((x) => x !== r);
      return {
        status: r.rule.status,
        message: r.rule.message ?? `kube-fake: injected failure (${r.rule.status}) for ${verb} ${path}`,
        reason: r.rule.reason,
        inStream: r.rule.inStream === true,
      };
    }
    return undefined;
  }

  pending(): number {
    return this.#rules.length;
  }

  clear(): void {
    this.#rules = [];
  }
}

interface HasStatus {
  readonly headersSent: boolean;
  readonly statusCode: number;
}

export class RequestLog {
  #entries: RequestRecord[] = [];
  // Status is read from the response lazily: a watch's headers go out before its handler returns.
  #responses = new WeakMap<RequestRecord, HasStatus>();
  readonly #limit: number;

  constructor(limit = 10_000) {
    this.#limit = limit;
  }

  add(r: RequestRecord, res?: HasStatus): void {
    this.#entries.push(r);
    if (res) this.#responses.set(r, res);
    if (this.#entries.length > this.#limit) this.#entries.splice(0, this.#entries.length - this.#limit);
  }

  all(): RequestRecord[] {
    return this.#entries.map((e) => {
      const res = this.#responses.get(e);
      const status = e.status === 0 && res?.headersSent ? res.statusCode : e.status;
      return { ...e, status, query: { ...e.query } };
    });
  }

  clear(): void {
    this.#entries = [];
  }
}
