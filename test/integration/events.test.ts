import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait.ts";
import { neighbors } from "./helpers.ts";
import { startWorld, type World } from "./world.ts";

let w: World;
afterEach(async () => {
  await w.close();
});

type Ev = { reason?: string; type?: string; message?: string; involvedObject?: { kind?: string; name?: string } };
const events = (world: World) => world.kube.control.events() as unknown as Ev[];
const on = (world: World, node: string, reason: string) => events(world).filter((e) => e.involvedObject?.name === node && e.reason === reason);

describe("Kubernetes Events on Nodes", () => {
  it("BGPPeerConfigured, BGPPeerRemoved, BGPPeerConflict and BGPPeerSkipped, without repeats on steady passes", async () => {
    w = await startWorld({ agent: false });
    w.sim.control.seedNeighbor({ address: "10.0.20.12", remoteas: "64555", description: "by hand", enabled: "1" });
    w.addWorker("worker-1", "10.0.20.11");
    w.addWorker("worker-2", "10.0.20.12");
    w.kube.control.createNode({ name: "no-ip", labels: { "homelab/role": "worker" }, addresses: [] });
    await w.startAgent();
    await waitFor(() => on(w, "worker-1", "BGPPeerConfigured").length === 1 && on(w, "worker-2", "BGPPeerConflict").length === 1 && on(w, "no-ip", "BGPPeerSkipped").length === 1, "first events");
    expect(on(w, "worker-1", "BGPPeerConfigured")[0]).toMatchObject({ type: "Normal", involvedObject: { kind: "Node" } });
    expect(on(w, "worker-1", "BGPPeerConfigured")[0]?.message).toContain("10.0.20.11");
    expect(on(w, "worker-2", "BGPPeerConflict")[0]?.type).toBe("Warning");

    const count = events(w).length;
    await w.agent?.controller.runNow("resync", { fresh: true });
    await w.agent?.controller.runNow("resync", { fresh: true });

    // Then a real change: once its Event has arrived, it is the only one since the steady passes
    // (Events are sent in pass order), so those raised none.
    w.kube.control.labelNode("worker-1", "homelab/role", null);
    await w.settle(() => neighbors(w.sim).length === 1, "worker-1 removed");
    await waitFor(() => on(w, "worker-1", "BGPPeerRemoved").length === 1, "removal event");
    expect(events(w).slice(count).map((e) => e.reason)).toEqual(["BGPPeerRemoved"]);
  });
});
