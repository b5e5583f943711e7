import type { Simulator } from "../fakes/opnsense/index.ts";

export type Fields = Record<string, string>;
type Row = Fields & { uuid: string };

function rows(items: Record<string, Fields>): Row[] {
  return Object.entries(items).map(([uuid, f]): Row => Object.assign({}, f, { uuid }));
}

/** Saved neighbors as a list (uuid included), sorted by address. */
export function neighbors(sim: Simulator): Row[] {
  return rows(sim.control.state().neighbors).sort((a, b) => (a["address"] ?? "").localeCompare(b["address"] ?? ""));
}

export function aliases(sim: Simulator): Row[] {
  return rows(sim.control.state().aliases);
}

export function aliasByName(sim: Simulator, name: string): Row | undefined {
  return aliases(sim).find((a) => a["name"] === name);
}

export function rules(sim: Simulator): Row[] {
  return rows(sim.control.state().rules);
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
