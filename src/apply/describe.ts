import type { Operation } from "../plan/types.ts";

export type ObjectKind = "neighbor" | "prefix" | "alias" | "rule" | "category";

export function objectKindOf(op: Operation): ObjectKind {
  const kind = op.kind.slice(op.kind.indexOf("-") + 1);
  return kind as ObjectKind;
}

export function keyOf(op: Operation): string {
  return op.kind === "create-category" ? op.name : op.key;
}

/** LB rule keys start with `lb <entry number>`: name the setting the rule comes from. */
function settingOf(op: Operation): Record<string, string> {
  const m = op.kind.endsWith("-rule") ? /^lb (\d+) /.exec(keyOf(op)) : null;
  return m ? { setting: `LB_CLIENT_NETWORKS entry ${m[1]}` } : {};
}

/** The log fields an operator greps for: what, which object, and which fields changed. Never secrets. */
export function describeOperation(op: Operation): Record<string, string | readonly string[]> {
  const base: Record<string, string | readonly string[]> = { operation: op.kind, object: objectKindOf(op), ...settingOf(op) };
  switch (op.kind) {
    case "create-category":
      return { ...base, name: op.name };
    case "create-neighbor":
      return { ...base, key: op.key, address: op.spec.address };
    case "update-neighbor":
      return { ...base, key: op.key, address: op.spec.address, changed: op.changed, ...(op.adopt ? { adopted: "true" } : {}) };
    case "delete-neighbor":
      return { ...base, key: op.key, address: op.address };
    case "release-neighbor":
      return { ...base, key: op.key, address: op.address };
    case "create-prefix":
      return { ...base, key: op.key, name: op.spec.name, network: op.spec.network };
    case "update-prefix":
      return { ...base, key: op.key, name: op.spec.name, network: op.spec.network, changed: op.changed };
    case "delete-prefix":
      return { ...base, key: op.key };
    case "create-alias":
      return { ...base, key: op.key, name: op.spec.name };
    case "update-alias":
      return { ...base, key: op.key, name: op.spec.name, changed: op.changed };
    case "delete-alias":
      return { ...base, key: op.key, name: op.name };
    case "create-rule":
      return { ...base, key: op.key };
    case "update-rule":
      return { ...base, key: op.key, changed: op.changed };
    case "delete-rule":
      return { ...base, key: op.key };
  }
}
