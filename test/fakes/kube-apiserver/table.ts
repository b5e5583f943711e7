import { isPlainObject } from "./json.ts";
import type { JsonValue, KubeObject, ResourceDef } from "./types.ts";

// kubectl get asks for `application/json;as=Table;v=v1;g=meta.k8s.io`. Answering with a
// Table gives the familiar columns; rows carry the object so kubectl can add NAMESPACE
// for -A and apply -o wide/-L.

interface Column {
  name: string;
  type: string;
  format?: string;
  description: string;
  priority: number;
}

export function wantsTable(accept: string | undefined): boolean {
  return /as=Table/i.test(accept ?? "");
}

export function age(ts: string | undefined, nowMs = Date.now()): string {
  if (!ts) return "<unknown>";
  const s = Math.max(0, Math.floor((nowMs - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ""}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

function rec(v: unknown): Record<string, unknown> {
  return isPlainObject(v) ? v : {};
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function nodeRow(o: KubeObject): JsonValue[] {
  const status = rec(o.status);
  const ready = arr(status.conditions).map(rec).find((c) => c.type === "Ready");
  let st = ready?.status === "True" ? "Ready" : ready ? "NotReady" : "Unknown";
  if (rec(o.spec).unschedulable === true) st += ",SchedulingDisabled";
  const roles = Object.keys(o.metadata.labels ?? {})
    .filter((k) => k.startsWith("node-role.kubernetes.io/"))
    .map((k) => k.slice("node-role.kubernetes.io/".length))
    .join(",");
  const addrs = arr(status.addresses).map(rec);
  const ip = (t: string): string => String(addrs.find((a) => a.type === t)?.address ?? "<none>");
  return [o.metadata.name ?? "", st, roles || "<none>", age(o.metadata.creationTimestamp), String(rec(status.nodeInfo).kubeletVersion ?? ""), ip("InternalIP"), ip("ExternalIP")];
}

function serviceRow(o: KubeObject): JsonValue[] {
  const spec = rec(o.spec);
  const ingress = arr(rec(rec(o.status).loadBalancer).ingress).map(rec);
  let external = ingress.map((i) => String(i.ip ?? i.hostname ?? "")).filter(Boolean).join(",");
  if (!external) external = spec.type === "LoadBalancer" ? "<pending>" : "<none>";
  const ports = arr(spec.ports)
    .map(rec)
    .map((p) => `${String(p.port)}${p.nodePort ? `:${String(p.nodePort)}` : ""}/${String(p.protocol ?? "TCP")}`)
    .join(",");
  const selector = Object.entries(rec(spec.selector))
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(",");
  return [o.metadata.name ?? "", String(spec.type ?? ""), String(spec.clusterIP ?? "<none>"), external, ports || "<none>", age(o.metadata.creationTimestamp), selector || "<none>"];
}

function namespaceRow(o: KubeObject): JsonValue[] {
  return [o.metadata.name ?? "", String(rec(o.status).phase ?? ""), age(o.metadata.creationTimestamp)];
}

function leaseRow(o: KubeObject): JsonValue[] {
  return [o.metadata.name ?? "", String(rec(o.spec).holderIdentity ?? ""), age(o.metadata.creationTimestamp)];
}

function col(name: string, description: string, priority = 0, format = ""): Column {
  return format ? { name, type: "string", format, description, priority } : { name, type: "string", description, priority };
}

const NAME = col("Name", "Name must be unique within a namespace.", 0, "name");
const AGE = col("Age", "CreationTimestamp is a timestamp representing the server time when this object was created.");

function layout(def: ResourceDef): { columns: Column[]; row: (o: KubeObject) => JsonValue[] } {
  if (def.group === "" && def.plural === "nodes") {
    return {
      columns: [NAME, col("Status", "The status of the node"), col("Roles", "The roles of the node"), AGE, col("Version", "Kubelet Version"), col("Internal-IP", "Internal IP", 1), col("External-IP", "External IP", 1)],
      row: nodeRow,
    };
  }
  if (def.group === "" && def.plural === "services") {
    return {
      columns: [NAME, col("Type", "Service type"), col("Cluster-IP", "Cluster IP"), col("External-IP", "External IPs"), col("Port(s)", "Ports"), AGE, col("Selector", "Selector", 1)],
      row: serviceRow,
    };
  }
  if (def.group === "" && def.plural === "namespaces") {
    return { columns: [NAME, col("Status", "Phase"), AGE], row: namespaceRow };
  }
  if (def.plural === "leases") {
    return { columns: [NAME, col("Holder", "Holder identity"), AGE], row: leaseRow };
  }
  return { columns: [NAME, AGE], row: (o) => [o.metadata.name ?? "", age(o.metadata.creationTimestamp)] };
}

/** includeObject: "Object" (full object), "Metadata" (default, PartialObjectMetadata) or "None". */
export function toTable(def: ResourceDef, items: KubeObject[], resourceVersion: string, includeObject: string | undefined): Record<string, unknown> {
  const { columns, row } = layout(def);
  const rows = items.map((o) => {
    const r: Record<string, unknown> = { cells: row(o) };
    if (includeObject === "Object") r.object = o;
    else if (includeObject !== "None") r.object = { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata };
    return r;
  });
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion },
    columnDefinitions: columns,
    rows,
  };
}
