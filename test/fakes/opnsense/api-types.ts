import type { SimState, Privilege } from "./state.ts";

/** $_POST equivalent after OPNsense's body parsing (§1.3) */
export type PostData = Record<string, unknown>;

/** PHP-style parsed query or form values: nested keys and `x[]` lists */
export type PhpParams = Record<string, unknown>;

export interface ApiRequest {
  method: string;
  path: string;
  /** positional arguments after the action */
  params: string[];
  query: PhpParams;
  post: PostData;
  isPost: boolean;
  isGet: boolean;
}

export interface Reply {
  status: number;
  json?: unknown;
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** how the endpoint answers a wrong HTTP method (§1.4) */
export type MethodKind =
  | "any"
  | "write"
  | "reconfigure"
  | "apply"
  | "service"
  | "modelget"
  | "aliasutil";

export interface Endpoint {
  module: string;
  controller: string;
  action: string;
  kind: MethodKind;
  /** positional parameters PHP requires; fewer gives 404 (§1.1) */
  requiredParams?: number;
  /** write endpoints are refused for read-only users (§1.2) */
  mutates?: boolean;
  available?: (sim: SimState) => boolean;
  handler: (req: ApiRequest, sim: SimState) => Reply | Promise<Reply>;
}

export function ok(json: unknown): Reply {
  return { status: 200, json };
}

export function userError(message: string, title: string): Reply {
  return { status: 500, json: { errorMessage: message, errorTitle: title } };
}

export const UNEXPECTED: Reply = {
  status: 500,
  json: { errorMessage: "Unexpected error, check log for details" },
};

export const NOT_FOUND: Reply = { status: 404, json: { errorMessage: "Endpoint not found" } };

/** ACL patterns are matched against the raw request URI, as OPNsense does (§1.2) */
export function aclFor(path: string): Privilege | null {
  const p = path.replace(/^\/+/, "");
  if (p.startsWith("api/quagga/")) return "page-routing";
  if (p.startsWith("api/firewall/filter/")) return "page-filter-api";
  if (p.startsWith("api/firewall/alias/")) return "page-firewall-alias-edit";
  if (p.startsWith("api/firewall/category/")) return "page-firewall-categories";
  if (p.startsWith("api/firewall/alias_util/")) return "page-diagnostics-tables";
  return null;
}
