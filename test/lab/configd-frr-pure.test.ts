// The configd stand-in's parsing and its socket behaviour (pass-through, FRR actions), without
// root and without OPNsense: a fake upstream configd and a stand-in for configd's template
// module that writes a fixed frr.conf. The real template engine is exercised by real-opnsense-frr.test.ts.
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { findAction, interfaceDevices, parseActions, parseConfigdRequest, shellWords, startConfigdFrr, vtyshCommand } from "./configd-frr.ts";
import { BASE_FRR_CONF } from "./frr.ts";

const ACTIONS = `[reload]
command:service frr reload; /usr/local/opnsense/scripts/frr/carp_event_handler
parameters:
type:script

[diagnostics.bgp_summary]
command:/usr/local/bin/vtysh -c
parameters:'show bgp summary '%s
errors:no
type:script_output

[status]
command:/usr/local/etc/rc.d/frr status; exit 0
parameters:
`;

describe("configd request and action parsing", () => {
  it.each([
    ["quagga reload", false, ["quagga", "reload"]],
    ["&quagga reload", true, ["quagga", "reload"]],
    [" !&template reload OPNsense/Quagga", true, ["template", "reload", "OPNsense/Quagga"]],
    ["quagga diagnostics.bgp_summary 'json'", false, ["quagga", "diagnostics.bgp_summary", "json"]],
    ['filter list table "a b" c\\ d', false, ["filter", "list", "table", "a b", "c d"]],
  ])("%j", (data, detach, words) => {
    expect(parseConfigdRequest(data)).toEqual({ detach, words });
  });

  it("shell words join adjacent quoted parts like the shell", () => {
    expect(shellWords("'show bgp summary ''json'")).toEqual(["show bgp summary json"]);
  });

  it("reads actions and builds the vtysh command a diagnostics action runs", () => {
    const a = parseActions(ACTIONS);
    expect([...a.keys()]).toEqual(["reload", "diagnostics.bgp_summary", "status"]);
    const d = a.get("diagnostics.bgp_summary");
    expect(d && vtyshCommand(d, ["json"])).toBe("show bgp summary json");
    expect(d && vtyshCommand(d, ["x'; reboot"])).toBe("show bgp summary x'; reboot");
    const older = { command: "/usr/local/bin/vtysh", parameters: " -c 'show bgp summary %s'" };
    expect(vtyshCommand(older, ["json"])).toBe("show bgp summary json");
    const r = a.get("reload");
    expect(r && vtyshCommand(r, [])).toBeNull();
  });

  it("finds actions the way configd does: dotted names as a tree, the rest are parameters", () => {
    const a = parseActions(ACTIONS);
    expect(findAction(a, ["diagnostics", "bgp_summary", "json"])).toEqual({ name: "diagnostics.bgp_summary", args: ["json"] });
    expect(findAction(a, ["diagnostics.bgp_summary", "json"])).toBeNull();
    expect(findAction(a, ["status"])).toEqual({ name: "status", args: [] });
    expect(findAction(a, ["diagnostics"])).toBeNull();
  });

  it("maps OPNsense interfaces to devices from config.xml", () => {
    const xml = "<opnsense><interfaces><wan><enable>1</enable><if>vtnet0</if></wan><opt1><descr>T</descr><if>vtnet2</if></opt1></interfaces><filter/></opnsense>";
    expect(interfaceDevices(xml)).toEqual({ wan: "vtnet0", opt1: "vtnet2" });
  });
});

describe("configd stand-in on a socket", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup() {
    const dir = mkdtempSync(join(tmpdir(), "configd-frr-"));
    const socketPath = join(dir, "configd.socket");
    const seen: string[] = [];
    const upstream = createServer((c) => c.once("data", (d: Buffer) => (seen.push(d.toString()), c.end(`upstream:${d.toString()}\n\n\0\0\0`))));
    await new Promise<void>((r) => upstream.listen(socketPath, () => r()));
    cleanups.push(() => new Promise((r) => upstream.close(() => r())));
    const serviceDir = join(dir, "service");
    mkdirSync(join(serviceDir, "conf/actions.d"), { recursive: true });
    writeFileSync(join(serviceDir, "conf/actions.d/actions_quagga.conf"), ACTIONS);
    // stands in for configd's template engine (modules/template.py): renders a fixed frr.conf
    mkdirSync(join(serviceDir, "modules"));
    writeFileSync(join(serviceDir, "modules/__init__.py"), "");
    writeFileSync(join(serviceDir, "modules/config.py"), "class Config:\n    def __init__(self, path): self.path = path\n    def get(self): return {}\n");
    writeFileSync(
      join(serviceDir, "modules/template.py"),
      [
        "import os",
        "class Template:",
        "    def __init__(self, root): self.root = root",
        "    def set_config(self, c): pass",
        "    def generate(self, module):",
        "        os.makedirs(self.root + '/usr/local/etc/frr', exist_ok=True)",
        "        open(self.root + '/usr/local/etc/frr/frr.conf', 'w').write('router bgp 64555\\n neighbor 10.0.20.11 remote-as 64555\\n neighbor 10.0.20.11 update-source vtnet2\\n')",
        "        return [module]",
      ].join("\n"),
    );
    const configXml = join(dir, "config.xml");
    writeFileSync(configXml, "<opnsense><interfaces><opt1><if>vtnet2</if></opt1></interfaces></opnsense>");
    const applied: string[] = [];
    const vty: string[] = [];
    const stand = await startConfigdFrr({
      socketPath,
      files: { serviceDir, configXml },
      frr: {
        apply: async (conf) => (applied.push(conf), { method: "frr-reload", ok: true, output: "", ms: 1 }),
        vtysh: async (...c) => (vty.push(c.join(";")), '{"ipv4Unicast":{}}'),
      },
      labDevices: { opt1: "vtnet1" },
    });
    cleanups.push(() => stand.close());
    const ask = (msg: string) =>
      new Promise<string>((resolve, reject) => {
        const c = createConnection(socketPath, () => c.write(msg));
        let out = "";
        c.on("data", (d: Buffer) => (out += d.toString()));
        c.on("end", () => resolve(out));
        c.on("error", reject);
      });
    return { stand, ask, seen, applied, vty, socketPath };
  }

  it("passes other commands through to the configd it replaced, byte for byte", async () => {
    const s = await setup();
    expect(await s.ask("quagga status")).toBe("upstream:quagga status\n\n\0\0\0");
    expect(await s.ask("filter reload")).toBe("upstream:filter reload\n\n\0\0\0");
    expect(s.seen).toEqual(["quagga status", "filter reload"]);
    expect(s.applied).toEqual([]);
  });

  it("renders and loads FRR on reload, with OPNsense's device mapped to the lab's", async () => {
    const s = await setup();
    expect(await s.ask("quagga reload")).toBe("OK\n\n\0\0\0");
    expect(s.applied).toEqual(["router bgp 64555\n neighbor 10.0.20.11 remote-as 64555\n neighbor 10.0.20.11 update-source vtnet1\n"]);
    expect(s.stand.lastConf()).toContain("update-source vtnet1");
    expect(s.seen).toEqual([]);
  });

  it("a restart unloads routing first (sessions drop, as on a box); stop unloads it", async () => {
    const s = await setup();
    await s.ask("quagga restart");
    expect(s.applied[0]).toBe(BASE_FRR_CONF);
    expect(s.applied[1]).toContain("router bgp 64555");
    await s.ask("quagga stop");
    expect(s.applied.at(-1)).toBe(BASE_FRR_CONF);
  });

  it("answers diagnostics from FRR and a detached request with its id first", async () => {
    const s = await setup();
    expect(await s.ask("quagga diagnostics bgp_summary json")).toBe('{"ipv4Unicast":{}}\n\n\0\0\0');
    expect(s.vty).toEqual(["show bgp summary json"]);
    expect(await s.ask("&quagga reload")).toMatch(/^[0-9a-f-]{36}\n\0\0\0$/);
  });

  it("gives the socket back on close", async () => {
    const s = await setup();
    await s.stand.close();
    cleanups.pop();
    expect(await s.ask("quagga status")).toBe("upstream:quagga status\n\n\0\0\0");
  });
});
