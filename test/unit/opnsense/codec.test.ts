import { describe, expect, test } from "vitest";
import {
  aliasContentOut,
  boolOut,
  fieldNames,
  intOut,
  isUpsertableUuid,
  listOut,
  optionKeys,
  protocolOut,
  readAliasContent,
  readBool,
  readCommaList,
  readInt,
  readItems,
  readMulti,
  readSingle,
  selectedKeys,
} from "../../../src/opnsense/codec.ts";
import { ShapeError } from "../../../src/opnsense/errors.ts";
import { opts } from "./fixtures/replies.ts";

describe("option maps (§2.2)", () => {
  test("object form: the selected keys are the stored value", () => {
    expect(selectedKeys(opts({ pass: "Pass", block: "Block" }, "block"), "f")).toEqual(["block"]);
    expect(readSingle(opts({ "": "None", lan: "LAN", wan: "WAN" }, "lan"), "f")).toBe("lan");
    expect(readSingle(opts({ "": "None", lan: "LAN" }, ""), "f")).toBe("");
  });

  test("JSON-array form (PHP keys exactly 0..n-1): the index is the key", () => {
    const arr = [
      { value: "zero", selected: 0 },
      { value: "one", selected: 1 },
      { value: "two", selected: 1 },
    ];
    expect(selectedKeys(arr, "f")).toEqual(["1", "2"]);
    expect(readSingle(arr, "f")).toBe("1");
    expect(optionKeys(arr)).toEqual(["0", "1", "2"]);
  });

  test("selected may come as 1, \"1\" or true", () => {
    expect(selectedKeys({ a: { value: "A", selected: "1" }, b: { value: "B", selected: true }, c: { value: "C", selected: 0 } }, "f")).toEqual(["a", "b"]);
  });

  test("an empty map is PHP's []", () => {
    expect(readMulti([], "f")).toEqual([]);
    expect(readSingle([], "f")).toBe("");
  });

  test("multi-select maps come back sorted", () => {
    expect(readMulti(opts({ wan: "WAN", lan: "LAN", opt1: "DMZ" }, "wan", "lan"), "f")).toEqual(["lan", "wan"]);
  });

  test("%field description keys are not fields or options", () => {
    expect(fieldNames({ a: "1", "%a": "x", b: "" })).toEqual(["a", "b"]);
    expect(selectedKeys({ lan: { value: "LAN", selected: 1 }, "%lan": "LAN" }, "f")).toEqual(["lan"]);
  });

  test("a broken option entry is a ShapeError naming the field", () => {
    expect(() => selectedKeys({ lan: "LAN" }, "rule.interface")).toThrow(ShapeError);
    expect(() => selectedKeys({ lan: "LAN" }, "rule.interface")).toThrow(/rule\.interface\.lan/);
  });
});

describe("scalars", () => {
  test('booleans "0"/"1"', () => {
    expect(readBool("1", "f")).toBe(true);
    expect(readBool("0", "f")).toBe(false);
    expect(readBool("", "f")).toBe(false);
    expect(readBool(undefined, "f")).toBe(false);
    expect(() => readBool("yes", "f")).toThrow(ShapeError);
  });

  test('integers as strings, "" = unset', () => {
    expect(readInt("64555", "f")).toBe(64555);
    expect(readInt("4294967295", "f")).toBe(4294967295);
    expect(readInt("", "f")).toBeNull();
    expect(readInt(12, "f")).toBe(12);
    expect(() => readInt("12a", "f")).toThrow(ShapeError);
  });

  test("comma strings → sorted items", () => {
    expect(readMulti("wan,lan", "f")).toEqual(["lan", "wan"]);
    expect(readCommaList("k8s_b,k8s_a", "f")).toBe("k8s_a,k8s_b");
    expect(readCommaList("", "f")).toBe("");
  });
});

describe("alias content (§5.2)", () => {
  test("map of own entries, sorted and de-duplicated", () => {
    const content = { "10.0.20.12": { value: "10.0.20.12", selected: 1 }, "10.0.20.11": { value: "10.0.20.11", selected: 1 } };
    expect(readAliasContent(content, "f")).toEqual(["10.0.20.11", "10.0.20.12"]);
  });

  test('an empty alias is one "" entry, which is dropped', () => {
    expect(readAliasContent({ "": { value: "", selected: 1 } }, "f")).toEqual([]);
  });

  test("getItem form: other alias names with selected 0 are not content", () => {
    const content = {
      "10.0.0.1": { value: "10.0.0.1", selected: 1, description: "" },
      bogons: { value: "bogons", selected: 0, description: "bogon networks" },
    };
    expect(readAliasContent(content, "f")).toEqual(["10.0.0.1"]);
  });

  test("JSON-array form keeps each entry's value", () => {
    expect(readAliasContent([{ value: "0", selected: 1 }, { value: "1", selected: 1 }], "f")).toEqual(["0", "1"]);
  });

  test("written newline-joined", () => {
    expect(aliasContentOut(["10.0.20.12", "10.0.20.11", "", "10.0.20.11"])).toBe("10.0.20.11\n10.0.20.12");
  });
});

describe("write side", () => {
  test("every leaf a string", () => {
    expect(boolOut(true)).toBe("1");
    expect(boolOut(false)).toBe("0");
    expect(intOut(64555)).toBe("64555");
    expect(intOut(null)).toBe("");
    expect(listOut(["wan", "lan"])).toBe("lan,wan");
  });

  test("protocol upper-case, any stays", () => {
    expect(protocolOut("tcp")).toBe("TCP");
    expect(protocolOut("tcp/udp")).toBe("TCP/UDP");
    expect(protocolOut("ANY")).toBe("any");
  });

  test("upsert uuids are lower-case v4 (Type::isUUID)", () => {
    expect(isUpsertableUuid(crypto.randomUUID())).toBe(true);
    expect(isUpsertableUuid("0F6E1B1C-8C2E-4E7A-9D1F-1A2B3C4D5E01")).toBe(false);
    expect(isUpsertableUuid("0f6e1b1c-8c2e-1e7a-9d1f-1a2b3c4d5e01")).toBe(false);
  });
});

describe("ArrayField containers", () => {
  test("uuid-keyed map or [] when empty", () => {
    expect(readItems([], "f")).toEqual([]);
    expect(readItems({ u1: { a: "1" } }, "f")).toEqual([["u1", { a: "1" }]]);
    expect(() => readItems("x", "f")).toThrow(ShapeError);
  });
});
