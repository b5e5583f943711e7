// Contract tests for prefix lists and their neighbor / peer-group links (the OPNsense API contract
// §3.7, with §2 generic CRUD and §3.3/§3.4 relation fields). os-frr 1.52 (26.1.11 ships 1.53)
// changed the link options to one per row and made linked rows undeletable.
import { describe, expect, it } from "vitest";
import type { OpnVersion } from "./index.ts";
import { featuresOf, renderFrrConf } from "./index.ts";
import { control, eachRow, flatten, rowsWhere, simulatorOnly, useTarget } from "./target.ts";
import { at, keysOf, rowsOf, validationsOf } from "./test-client.ts";

const t = await useTarget();
const frr = simulatorOnly(t, "FRR and configd are stubbed on the real target");

const atLeast152 = (v: OpnVersion): boolean => featuresOf(v).osFrrMinor >= 52;
const BEFORE_152 = rowsWhere(t, (f) => f.osFrrMinor < 52);
const FROM_152 = rowsWhere(t, (f) => f.osFrrMinor >= 52);
const PEERGROUP_VERSIONS = rowsWhere(t, (f) => f.osFrrMinor >= 40);

const row = { enabled: "1", description: "owned by agent", name: "k8s-lb-in", version: "IPv4", seqnumber: "10", action: "permit", network: "10.96.0.0/24 le 32" };
const neighbor = { enabled: "1", address: "10.0.20.11", remoteas: "64555", updatesource: "lan", description: "node=worker-1" };

const addRow = (fields: Record<string, unknown>) => t.call("POST", "/api/quagga/bgp/addPrefixlist", { body: { prefixlist: fields } });
const addNeighbor = (fields: Record<string, unknown>) => t.call("POST", "/api/quagga/bgp/addNeighbor", { body: { neighbor: fields } });
const setNeighbor = (uuid: string, fields: Record<string, unknown>) =>
  t.call("POST", `/api/quagga/bgp/setNeighbor/${uuid}`, { body: { neighbor: fields } });
const getNeighbor = async (uuid: string) => at((await t.call("GET", `/api/quagga/bgp/getNeighbor/${uuid}`)).json, "neighbor");
const uuidOf = (r: { json: unknown }): string => {
  expect(at(r.json, "result")).toBe("saved");
  return String(at(r.json, "uuid"));
};
const savedRow = async (uuid: string) => flatten(at((await t.call("GET", `/api/quagga/bgp/getPrefixlist/${uuid}`)).json, "prefixlist"));
const reconfigure = () => t.call("POST", "/api/quagga/service/reconfigure");
/** the relation's message: the full stop arrived by os-frr 1.50 */
const plMissing = (): string => (t.features.osFrrMinor >= 50 ? "Related Prefix-List item not found." : "Related Prefix-List item not found");
const runningConfig = async () => String(at((await t.call("GET", "/api/quagga/diagnostics/generalrunningconfig")).json, "response"));

describe("§3.7 prefixlist CRUD (generic §2) on every version", () => {
  eachRow(t.rows)("template, add, get, search, set, del (%s)", async (v) => {
    await t.use(v);
    const tpl = at((await t.call("GET", "/api/quagga/bgp/getPrefixlist")).json, "prefixlist");
    expect(keysOf(tpl).sort()).toEqual(["action", "description", "enabled", "name", "network", "seqnumber", "version"]);
    expect(at(tpl, "enabled")).toBe("1");
    expect(at(tpl, "seqnumber")).toBe("");
    expect(at(tpl, "version")).toEqual({ IPv4: { value: "IPv4", selected: 1 }, IPv6: { value: "IPv6", selected: 0 } });
    // required option: no blank "None" entry, nothing selected
    expect(at(tpl, "action")).toEqual({ permit: { value: "Permit", selected: 0 }, deny: { value: "Deny", selected: 0 } });

    const uuid = uuidOf(await addRow(row));
    const got = at((await t.call("GET", `/api/quagga/bgp/getPrefixlist/${uuid}`)).json, "prefixlist");
    expect(at(got, "name")).toBe("k8s-lb-in");
    expect(at(got, "network")).toBe("10.96.0.0/24 le 32");
    expect(at(got, "action", "permit", "selected")).toBe(1);
    expect(rowsOf(await t.call("GET", "/api/quagga/bgp/searchPrefixlist")).map((r) => r["uuid"])).toEqual([uuid]);

    expect((await t.call("POST", `/api/quagga/bgp/setPrefixlist/${uuid}`, { body: { prefixlist: { seqnumber: "20" } } })).json).toEqual({ result: "saved" });
    expect((await savedRow(uuid))["seqnumber"]).toBe("20");
    expect((await t.call("POST", `/api/quagga/bgp/delPrefixlist/${uuid}`)).json).toEqual({ result: "deleted" });
    expect((await t.call("POST", `/api/quagga/bgp/delPrefixlist/${uuid}`)).json).toEqual({ result: "not found" });
    expect(await t.call("GET", `/api/quagga/bgp/getPrefixlist/${uuid}`).then((r) => r.json)).toEqual([]);
  });

  it("bgp/get lists rows under bgp.prefixlists.prefixlist.<uuid> ([] when empty)", async () => {
    expect(at((await t.call("GET", "/api/quagga/bgp/get")).json, "bgp", "prefixlists", "prefixlist")).toEqual([]);
    const uuid = uuidOf(await addRow(row));
    const pl = at((await t.call("GET", "/api/quagga/bgp/get")).json, "bgp", "prefixlists", "prefixlist");
    expect(keysOf(pl)).toEqual([uuid]);
    expect(at(pl, uuid, "network")).toBe("10.96.0.0/24 le 32");
    expect(at(pl, uuid, "version", "IPv4", "selected")).toBe(1);
  });

  it("network is Text without validation: any text is stored verbatim", async () => {
    const uuid = uuidOf(await addRow({ ...row, network: "this is not a network" }));
    expect((await savedRow(uuid))["network"]).toBe("this is not a network");
  });

  it("togglePrefixlist always flips (the action passes no 0/1 on)", async () => {
    const uuid = uuidOf(await addRow(row));
    expect((await t.call("POST", `/api/quagga/bgp/togglePrefixlist/${uuid}/1`)).json).toEqual({ result: "Disabled", changed: true });
    expect((await t.call("POST", `/api/quagga/bgp/togglePrefixlist/${uuid}`)).json).toEqual({ result: "Enabled", changed: true });
  });
});

describe("§3.7 prefixlist validation", () => {
  it("name, seqnumber, action and network are required; version defaults to IPv4", async () => {
    const r = await addRow({});
    expect(at(r.json, "result")).toBe("failed");
    expect(validationsOf(r)).toEqual({
      "prefixlist.name": "A value is required.",
      "prefixlist.seqnumber": "A value is required.",
      "prefixlist.action": "A value is required.",
      "prefixlist.network": "A value is required.",
    });
  });

  const nameMsg = "The name should only contain alphanumeric characters, dashes, underscores or a dot.";
  it.each([["has space"], ["semi;colon"], ["a".repeat(65)], ["ümlaut"]])("name %j → mask message", async (name) => {
    const r = await addRow({ ...row, name });
    expect(validationsOf(r)).toEqual({ "prefixlist.name": nameMsg });
  });

  it.each([["A.b_c-9"], ["x".repeat(64)]])("name %j is accepted", async (name) => {
    uuidOf(await addRow({ ...row, name }));
  });

  it.each([
    [{ seqnumber: "0" }, "prefixlist.seqnumber"],
    [{ seqnumber: "4294967295" }, "prefixlist.seqnumber"],
    [{ seqnumber: "ten" }, "prefixlist.seqnumber"],
    [{ version: "IPv5" }, "prefixlist.version"],
    [{ action: "allow" }, "prefixlist.action"],
    [{ enabled: "yes" }, "prefixlist.enabled"],
  ])("%j fails on %s", async (patch, key) => {
    const r = await addRow({ ...row, ...patch });
    expect(at(r.json, "result")).toBe("failed");
    expect(keysOf(at(r.json, "validations"))).toEqual([key]);
  });

  it("seqnumber bounds 1 and 4294967294 are accepted, IPv6 and deny too", async () => {
    uuidOf(await addRow({ ...row, seqnumber: "1" }));
    uuidOf(await addRow({ ...row, seqnumber: "4294967294", version: "IPv6", action: "deny", network: "any" }));
  });
});

describe("§3.3/§3.7 linkedPrefixlistIn/Out are relations to prefix-list rows", () => {
  eachRow(t.rows)("unknown uuid → 'Related Prefix-List item not found.' (%s)", async (v) => {
    await t.use(v);
    const r = await addNeighbor({ ...neighbor, linkedPrefixlistIn: "3f0c6c1e-0000-4000-8000-000000000001" });
    expect(validationsOf(r)).toEqual({ "neighbor.linkedPrefixlistIn": plMissing() });
    const out = await addNeighbor({ ...neighbor, linkedPrefixlistOut: "nope" });
    expect(validationsOf(out)).toEqual({ "neighbor.linkedPrefixlistOut": plMissing() });
  });

  eachRow(t.rows)("a linked row shows selected: 1 under its display text (%s)", async (v) => {
    await t.use(v);
    const pl = uuidOf(await addRow(row));
    const n = uuidOf(await addNeighbor({ ...neighbor, linkedPrefixlistIn: pl }));
    const got = await getNeighbor(n);
    // 1.52+: name:seqnumber per row; before: grouped by name
    const label = atLeast152(v) ? "k8s-lb-in:10" : "k8s-lb-in";
    expect(at(got, "linkedPrefixlistIn", pl)).toEqual({ value: label, selected: 1 });
    expect(at(got, "linkedPrefixlistOut", pl)).toEqual({ value: label, selected: 0 });
    expect(at(got, "linkedPrefixlistIn", "")).toEqual({ value: "None", selected: 0 });
  });

  it("a comma list of row uuids is refused: the link is a single relation", async () => {
    const a = uuidOf(await addRow(row));
    const b = uuidOf(await addRow({ ...row, name: "other" }));
    const r = await addNeighbor({ ...neighbor, linkedPrefixlistIn: `${a},${b}` });
    expect(validationsOf(r)).toEqual({ "neighbor.linkedPrefixlistIn": plMissing() });
  });

  eachRow(BEFORE_152)("before 1.52 rows sharing a name are one option: the first row only (%s)", async (v) => {
    await t.use(v);
    const first = uuidOf(await addRow(row));
    const second = uuidOf(await addRow({ ...row, seqnumber: "20", action: "deny", network: "any" }));
    const tpl = at((await t.call("GET", "/api/quagga/bgp/getNeighbor")).json, "neighbor", "linkedPrefixlistIn");
    expect(keysOf(tpl)).toEqual(["", first]);
    const r = await addNeighbor({ ...neighbor, linkedPrefixlistIn: second });
    expect(validationsOf(r)).toEqual({ "neighbor.linkedPrefixlistIn": plMissing() });
  });

  eachRow(FROM_152)("1.52+ lists every row as name:seqnumber, so any row can be linked (%s)", async (v) => {
    await t.use(v);
    const first = uuidOf(await addRow(row));
    const second = uuidOf(await addRow({ ...row, seqnumber: "20", action: "deny", network: "any" }));
    const tpl = at((await t.call("GET", "/api/quagga/bgp/getNeighbor")).json, "neighbor", "linkedPrefixlistIn");
    expect(at(tpl, first, "value")).toBe("k8s-lb-in:10");
    expect(at(tpl, second, "value")).toBe("k8s-lb-in:20");
    uuidOf(await addNeighbor({ ...neighbor, linkedPrefixlistIn: second }));
  });

  eachRow(PEERGROUP_VERSIONS)("peer groups have the same two relations (%s)", async (v) => {
    await t.use(v);
    const pl = uuidOf(await addRow(row));
    const body = { enabled: "1", name: "k8s", remoteas: "64555" };
    const bad = await t.call("POST", "/api/quagga/bgp/addPeergroup", { body: { peergroup: { ...body, linkedPrefixlistOut: "missing" } } });
    expect(validationsOf(bad)).toEqual({ "peergroup.linkedPrefixlistOut": plMissing() });
    const pg = uuidOf(await t.call("POST", "/api/quagga/bgp/addPeergroup", { body: { peergroup: { ...body, linkedPrefixlistIn: pl } } }));
    const got = at((await t.call("GET", `/api/quagga/bgp/getPeergroup/${pg}`)).json, "peergroup");
    expect(at(got, "linkedPrefixlistIn", pl, "selected")).toBe(1);
  });
});

describe("§3.7 safe delete of linked rows (os-frr 1.52+)", () => {
  eachRow(t.rows)("delPrefixlist of a row linked from a neighbor (%s)", async (v) => {
    await t.use(v);
    const pl = uuidOf(await addRow(row));
    const n = uuidOf(await addNeighbor({ ...neighbor, linkedPrefixlistIn: pl }));
    const r = await t.call("POST", `/api/quagga/bgp/delPrefixlist/${pl}`);
    if (atLeast152(v)) {
      expect(r.status).toBe(500);
      expect(at(r.json, "errorTitle")).toBe(t.features.inUseTitleNamesItem ? "Item prefixlists.prefixlist {owned by agent} in use by:" : "Item in use by");
      // [core] checkAndThrowValueInUse: one "module - description {reference}" line per referrer
      expect(at(r.json, "errorMessage")).toBe(`bgp - node=worker-1 {bgp.neighbors.neighbor.${n}}\n`);
      expect(rowsOf(await t.call("GET", "/api/quagga/bgp/searchPrefixlist")).map((x) => x["uuid"])).toEqual([pl]);
    } else {
      expect(r.json).toEqual({ result: "deleted" });
      // the link dangles: stored, but no option to show it under
      expect(at(await getNeighbor(n), "linkedPrefixlistIn")).toEqual({ "": { value: "None", selected: 0 } });
      if (t.control) {
        expect(t.control.state().neighbors[n]?.["linkedPrefixlistIn"]).toBe(pl);
        await reconfigure();
        expect(t.control.running().frr.conf).not.toContain("prefix-list");
      }
    }
  });

  eachRow(FROM_152)("every referrer is listed (neighbor by description, peer group by name); unlinking frees the row (%s)", async (v) => {
    await t.use(v);
    const pl = uuidOf(await addRow(row));
    const n = uuidOf(await addNeighbor({ ...neighbor, linkedPrefixlistOut: pl }));
    const pg = uuidOf(
      await t.call("POST", "/api/quagga/bgp/addPeergroup", { body: { peergroup: { enabled: "1", name: "k8s", remoteas: "64555", linkedPrefixlistIn: pl } } }),
    );
    const r = await t.call("POST", `/api/quagga/bgp/delPrefixlist/${pl}`);
    expect(r.status).toBe(500);
    expect(at(r.json, "errorMessage")).toBe(`bgp - node=worker-1 {bgp.neighbors.neighbor.${n}}\nbgp - k8s {bgp.peergroups.peergroup.${pg}}\n`);
    await setNeighbor(n, { linkedPrefixlistOut: "" });
    await t.call("POST", `/api/quagga/bgp/setPeergroup/${pg}`, { body: { peergroup: { linkedPrefixlistIn: "" } } });
    expect((await t.call("POST", `/api/quagga/bgp/delPrefixlist/${pl}`)).json).toEqual({ result: "deleted" });
  });

  eachRow(FROM_152)("an unlinked row deletes; a malformed id is an invalid token (%s)", async (v) => {
    await t.use(v);
    const pl = uuidOf(await addRow(row));
    expect((await t.call("POST", `/api/quagga/bgp/delPrefixlist/${pl}`)).json).toEqual({ result: "deleted" });
    const bad = await t.call("POST", "/api/quagga/bgp/delPrefixlist/NOT_VALID!");
    expect(bad.status).toBe(500);
    expect(at(bad.json, "errorMessage")).toBe("Invalid input token provided");
  });
});

describe("§3.7 rendering into frr.conf ([plugins] bgpd.conf)", () => {
  const bgp = { enabled: "1", asnumber: "64555" };
  const rows = {
    b2: { ...row, name: "b-list", seqnumber: "10" },
    a10: { ...row, name: "a-list", seqnumber: "10", action: "deny", network: "any" },
    a5: { ...row, name: "a-list", seqnumber: "5" },
    v6: { ...row, name: "c-v6", version: "IPv6", network: "2001:db8::/32 le 128" },
    off: { ...row, name: "d-off", enabled: "0" },
  };

  it("enabled rows after `router bgp … exit`, sorted by name then numeric seqnumber, network verbatim", () => {
    const out = renderFrrConf({ bgp, neighbors: {}, prefixlists: rows });
    const tail = out.slice(out.indexOf("exit\n!\n") + "exit\n!\n".length);
    expect(tail).toBe(
      [
        "ip prefix-list a-list seq 5 permit 10.96.0.0/24 le 32",
        "ip prefix-list a-list seq 10 deny any",
        "ip prefix-list b-list seq 10 permit 10.96.0.0/24 le 32",
        "ipv6 prefix-list c-v6 seq 10 permit 2001:db8::/32 le 128",
        "!",
        "",
      ].join("\n"),
    );
  });

  it("no prefix-list lines when BGP is disabled (the template block is inside the BGP section)", () => {
    expect(renderFrrConf({ bgp: { ...bgp, enabled: "0" }, neighbors: {}, prefixlists: rows })).not.toContain("prefix-list");
  });

  it("neighbor links render inside its address-family block; missing and disabled rows render nothing", () => {
    const out = renderFrrConf({
      bgp,
      neighbors: {
        n: { ...neighbor, linkedPrefixlistIn: "a5,gone", linkedPrefixlistOut: "off,b2" },
        m: { ...neighbor, address: "10.0.20.12", linkedPrefixlistIn: "gone" },
      },
      prefixlists: rows,
    });
    const af = out.slice(out.indexOf(" address-family ipv4 unicast"), out.indexOf(" exit-address-family"));
    expect(af).toContain("  neighbor 10.0.20.11 activate\n  neighbor 10.0.20.11 prefix-list a-list in\n  neighbor 10.0.20.11 prefix-list b-list out\n");
    expect(out.match(/prefix-list \S+ (in|out)$/gm)).toHaveLength(2);
    expect(out).not.toContain("d-off");
  });

  it("linking two rows of one name renders the same line twice", () => {
    const out = renderFrrConf({ bgp, neighbors: { n: { ...neighbor, linkedPrefixlistIn: "a5,a10" } }, prefixlists: rows });
    expect(out.match(/neighbor 10\.0\.20\.11 prefix-list a-list in/g)).toHaveLength(2);
  });

  it("peer-group links render at router level, like the template", () => {
    const out = renderFrrConf({
      bgp,
      neighbors: {},
      peergroups: { g: { enabled: "1", name: "k8s", remoteas: "64555", family: "ipv4", linkedPrefixlistIn: "b2" } },
      prefixlists: rows,
    });
    expect(out).toContain("\n neighbor k8s remote-as 64555\n neighbor k8s prefix-list b-list in\n");
  });

  frr.describe("running config", () => {
    eachRow(t.rows)("reconfigure puts them into the running config and generalrunningconfig (%s)", async (v) => {
      await t.use(v);
      const pl = control(t).seedPrefixlist(row);
      control(t).seedNeighbor({ ...neighbor, linkedPrefixlistIn: pl });
      await reconfigure();
      for (const text of [control(t).running().frr.conf, await runningConfig()]) {
        expect(text).toContain("  neighbor 10.0.20.11 prefix-list k8s-lb-in in\n");
        expect(text).toContain("\nip prefix-list k8s-lb-in seq 10 permit 10.96.0.0/24 le 32\n");
      }
    });

    it("toggling the row off and reconfiguring removes both the definition and the link line", async () => {
      const pl = control(t).seedPrefixlist(row);
      control(t).seedNeighbor({ ...neighbor, linkedPrefixlistIn: pl });
      await reconfigure();
      await t.call("POST", `/api/quagga/bgp/togglePrefixlist/${pl}`);
      await reconfigure();
      expect(await runningConfig()).not.toContain("prefix-list");
    });
  });
});

simulatorOnly(t, "the control API itself").describe("control: seedPrefixlist", () => {
  it("in process and over HTTP, with template defaults, visible in state()", async () => {
    const a = control(t).seedPrefixlist({ name: "x", seqnumber: "1", action: "permit", network: "any" });
    expect(control(t).state().prefixlists[a]).toMatchObject({ enabled: "1", version: "IPv4", name: "x" });
    const r = await t.call("POST", "/__sim/seed/prefixlist", { auth: null, body: { name: "y", seqnumber: "2", action: "deny", network: "any" } });
    const b = String(at(r.json, "uuid"));
    expect(control(t).state().prefixlists[b]?.["action"]).toBe("deny");
    control(t).reset();
    expect(control(t).state().prefixlists).toEqual({});
  });
});
