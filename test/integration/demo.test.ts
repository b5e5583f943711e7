import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** The README's first command must keep working: run the demo script as `npm run demo` does. */
describe("npm run demo", () => {
  it("runs the agent against the fakes, shows its sync log and the router, and exits 0", async () => {
    const child = spawn(process.execPath, [join(import.meta.dirname, "../../scripts/demo.ts")], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(0);
    expect(out.match(/"msg":"sync complete"/g)?.length).toBe(8);
    // Sessions as the agent sees them, and a deliberate AS mismatch with Cilium.
    expect(out).toMatch(/worker-2\s+10\.0\.20\.12\s+64555\s+Established/);
    expect(out).toContain("BGP config mismatch on worker-2: local AS differs: Cilium 64600 (CiliumBGPPeeringPolicy opnsense); agent: remote AS 64555 (BGP_REMOTE_ASN)");
    // The takeover attempt is refused, and the agent's inbound filter is shown.
    expect(out).toContain("refused worker-3: annotation opnsense-bgp-agent/address=10.0.20.12 is the InternalIP of node worker-2");
    expect(out).toMatch(/opnsense-bgp-agent-in\s+10\s+permit\s+10\.96\.0\.0\/24 le 32/);
    expect(out).toContain("opnsense-bgp-agent:default node=worker-3");
    expect(out).toMatch(/lan\s+any\s+any\s+lan\s+k8s_lb_addresses\s+sloppy/);
    expect(out).toContain("the hand-made neighbor 192.168.1.254 is untouched");
  }, 60_000);
});
