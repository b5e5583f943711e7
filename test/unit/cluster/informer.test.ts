import { describe, expect, it } from "vitest";
import { ListWatch, type ListWatchSource } from "../../../src/cluster/informer.ts";
import type { KubeList, KubeObject } from "../../../src/cluster/kube-rest.ts";

const obj = (name: string, resourceVersion: string): KubeObject => ({ metadata: { name, resourceVersion } });

/** A source whose LIST replies are queued and whose watches the test ends by hand. */
function scripted(lists: KubeList[]) {
  const watches: { rv: string; onEvent: (type: string, o: KubeObject) => void; done: (err: Error | null) => void; aborted: boolean }[] = [];
  let listCalls = 0;
  const source: ListWatchSource = {
    async list() {
      listCalls++;
      const next = lists.shift();
      if (!next) throw new Error("no more lists");
      return next;
    },
    async watch(rv, onEvent, done) {
      const w = { rv, onEvent, done, aborted: false };
      watches.push(w);
      return { abort: () => (w.aborted = true) };
    },
  };
  return { source, watches, listCalls: () => listCalls };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("ListWatch (client-node's semantics)", () => {
  it("lists, watches from the list's resourceVersion, and turns events into add/update/delete", async () => {
    const s = scripted([{ items: [obj("a", "1")], metadata: { resourceVersion: "10" } }]);
    const lw = new ListWatch(s.source);
    const seen: string[] = [];
    lw.on("add", (o) => seen.push(`add ${o.metadata?.name}`));
    lw.on("update", (o) => seen.push(`update ${o.metadata?.name}`));
    lw.on("delete", (o) => seen.push(`delete ${o.metadata?.name}`));
    await lw.start();
    expect(s.watches[0]?.rv).toBe("10");
    s.watches[0]?.onEvent("ADDED", obj("b", "11"));
    s.watches[0]?.onEvent("MODIFIED", obj("b", "11")); // same version: no update
    s.watches[0]?.onEvent("MODIFIED", obj("a", "12"));
    s.watches[0]?.onEvent("DELETED", obj("b", "13"));
    expect(seen).toEqual(["add a", "add b", "update a", "delete b"]);
    expect(lw.list().map((o) => o.metadata?.name)).toEqual(["a"]);
  });

  it("relists after 410 Gone (deleting what vanished), reconnects at once after a timeout, with a growing delay after a server close", async () => {
    const s = scripted([
      { items: [obj("a", "1"), obj("b", "1")], metadata: { resourceVersion: "5" } },
      { items: [obj("a", "2")], metadata: { resourceVersion: "20" } },
    ]);
    const delays: number[] = [];
    const lw = new ListWatch(s.source, { delayFn: async (ms) => void delays.push(ms) });
    const deleted: string[] = [];
    lw.on("delete", (o) => deleted.push(o.metadata?.name ?? ""));
    await lw.start();

    s.watches[0]?.onEvent("ERROR", { kind: "Status", code: 410 } as KubeObject);
    s.watches[0]?.done(null);
    await tick();
    expect(s.listCalls()).toBe(2);
    expect(deleted).toEqual(["b"]);
    expect(s.watches[1]?.rv).toBe("20");

    const timeout = new Error("timed out");
    timeout.name = "TimeoutError";
    s.watches[1]?.done(timeout);
    await tick();
    expect(s.watches[2]?.rv).toBe("20");

    s.watches[2]?.done(null);
    await tick();
    s.watches[3]?.done(null);
    await tick();
    expect(s.listCalls()).toBe(2);
    expect(delays).toEqual([1000, 2000]);
  });

  it("emits error and stops on any other failure; start() runs it again; stop() is silent", async () => {
    const s = scripted([{ items: [], metadata: { resourceVersion: "1" } }]);
    const lw = new ListWatch(s.source);
    const errors: string[] = [];
    lw.on("error", (e) => errors.push(e.message));
    await lw.start();
    s.watches[0]?.done(Object.assign(new Error("forbidden"), { statusCode: 403 }));
    await tick();
    expect(errors).toEqual(["forbidden"]);
    expect(s.watches).toHaveLength(1);

    await lw.start();
    expect(s.watches).toHaveLength(2);
    expect(s.watches[1]?.rv).toBe("1");
    await lw.stop();
    expect(s.watches[1]?.aborted).toBe(true);
    s.watches[1]?.done(new Error("aborted"));
    await tick();
    expect(errors).toEqual(["forbidden"]);
  });
});
