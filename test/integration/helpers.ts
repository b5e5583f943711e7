import type { Simulator } from "../fakes/opnsense/index.ts";

export type Fields = Record<string, string>;

/** Saved neighbors as a list (uuid included), sorted by address. */
export function neighbors(sim: Simulator): (Fields & { uuid: string })[] {
  return Object.entries(sim.control.state().neighbors)
    .map(([uuid, f]) => ({ ...f, uuid }))
    .sort((a, b) => (a["address"] ?? "").localeCompare(b["address"] ?? ""));
}

export function aliases(sim: Simulator): (Fields & { uuid: string })[] {
  return Object.entries(sim.control.state().aliases).map(([uuid, f]) => ({ ...f, uuid }));
}

export function aliasByName(sim: Simulator, name: string): (Fields & { uuid: string }) | undefined {
  return aliases(sim).find((a) => a["name"] === name);
}

export function rules(sim: Simulator): (Fields & { uuid: string })[] {
  return Object.entries(sim.control.state().rules).map(([uuid, f]) => ({ ...f, uuid }));
}

/** API calls as `METHOD path` with UUIDs replaced by `{uuid}`, the simulator's control calls left out. */
export function calls(sim: Simulator): string[] {
  return sim.control
    .requests()
    .filter((r) => r.path.startsWith("/api/"))
    .map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "{uuid}")}`);
}

const WRITE = /\/(set|add|del|toggle)[A-Z_]|\/(set|add|del|toggle)(Item|Rule|Neighbor|_item|_rule)|\/bgp\/set$|\/general\/set$/;
const ACTION = /\/(reconfigure|apply|savepoint|cancelRollback|revert)(\/|$)/;

export function writeCalls(sim: Simulator): string[] {
  return calls(sim).filter((c) => c.startsWith("POST") && WRITE.test(c));
}

export function actionCalls(sim: Simulator): string[] {
  return calls(sim).filter((c) => c.startsWith("POST") && ACTION.test(c));
}

export function readCalls(sim: Simulator): string[] {
  return calls(sim).filter((c) => !WRITE.test(c) && !ACTION.test(c));
}
