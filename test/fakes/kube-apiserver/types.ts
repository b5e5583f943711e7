// Shared shapes. Objects are kept loosely typed on purpose: the fake stores whatever
// clients send (like the real apiserver's unstructured storage) and only looks at the
// few fields it needs for selectors, defaults and printing.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export type Verb = "list" | "watch" | "get" | "create" | "update" | "patch" | "delete" | "deletecollection";

export interface ResourceDef {
  /** "" for the core group. */
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Subresources served under `<object>/<sub>`; only "status" is modelled. */
  subresources: string[];
  /** Field selector keys the real apiserver accepts for this resource. */
  fieldSelectors: string[];
}

export interface NodeAddress {
  type: string;
  address: string;
}

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ipMode?: string;
}

export interface MutateOptions {
  /** Change the object (and bump resourceVersion) without any watch event and without history. */
  silent?: boolean;
}

export interface RequestRecord {
  time: string;
  method: string;
  path: string;
  query: Record<string, string>;
  verb: Verb | "discovery" | "control" | "other";
  status: number;
  userAgent?: string;
  contentType?: string;
}

/** How a watch from a compacted resourceVersion is refused. */
export type ExpiredWatchMode = "http" | "event";
