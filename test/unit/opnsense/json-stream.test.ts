import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { JsonStreamParser, JsonSyntaxError, type KeepPath } from "../../../src/opnsense/json-stream.ts";

/** Feeds `text` in pieces cut at `cuts` (positions, any order) and returns the result. */
function parseInChunks(text: string, cuts: readonly number[], keep?: KeepPath): unknown {
  const parser = new JsonStreamParser(keep);
  let from = 0;
  for (const cut of [...new Set(cuts.map((c) => Math.min(c, text.length)))].sort((a, b) => a - b)) {
    parser.write(text.slice(from, cut));
    from = cut;
  }
  parser.write(text.slice(from));
  return parser.end();
}

/** What the parser should give: JSON.parse's tree without the members keep refuses. */
function pruned(value: unknown, keep: KeepPath, path: readonly string[] = []): unknown {
  if (Array.isArray(value)) {
    return value.flatMap((v, i) => (keep([...path, String(i)]) ? [pruned(v, keep, [...path, String(i)])] : []));
  }
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (keep([...path, k])) Object.defineProperty(out, k, { value: pruned(v, keep, [...path, k]), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

const cuts = fc.array(fc.nat({ max: 400 }), { maxLength: 12 });
const jsonText = fc.oneof(fc.json(), fc.jsonValue().map((v) => JSON.stringify(v, null, 2)));

describe("JsonStreamParser", () => {
  test("keeping everything, any chunking gives JSON.parse's result", () => {
    fc.assert(
      fc.property(jsonText, cuts, (text, at) => {
        expect(parseInChunks(text, at)).toStrictEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  test("a refused member is left out with everything below it, and keep is asked with the path", () => {
    // A keep that depends on the whole path, so that a wrong path changes the result.
    const keepBy = (seed: number): KeepPath => (path) => {
      let h = seed;
      for (const part of path) for (let i = 0; i < part.length; i++) h = (h * 31 + part.charCodeAt(i)) | 0;
      return (h + path.length) % 3 !== 0;
    };
    fc.assert(
      fc.property(jsonText, cuts, fc.integer(), (text, at, seed) => {
        expect(parseInChunks(text, at, keepBy(seed))).toStrictEqual(pruned(JSON.parse(text), keepBy(seed)));
      }),
      { numRuns: 500 },
    );
  });

  test("keep is never asked about what lies below a refused member", () => {
    const asked: string[] = [];
    const keep: KeepPath = (path) => {
      asked.push(path.join("."));
      return path[0] !== "skip";
    };
    const result = parseInChunks('{"skip":{"a":[1,{"b":2}],"c":"x"},"keep":{"d":[true,null]}}', [3, 9, 20], keep);
    expect(result).toEqual({ keep: { d: [true, null] } });
    expect(asked).toEqual(["skip", "keep", "keep.d", "keep.d.0", "keep.d.1"]);
  });

  test("strings: escapes, unicode, and escaped quotes split across chunks", () => {
    const value = { 'q"uote': 'a\\"b\\\\', nl: "line\nbreak\t", u: "é€😀\u0001", empty: "", slash: "a\\/b" };
    const text = JSON.stringify(value);
    for (let cut = 0; cut <= text.length; cut++) expect(parseInChunks(text, [cut])).toStrictEqual(value);
  });

  test("numbers and literals split at every position", () => {
    const text = '[-0.5e+10,12345,0,true,false,null,-7]';
    for (let cut = 0; cut <= text.length; cut++) expect(parseInChunks(text, [cut])).toStrictEqual(JSON.parse(text));
  });

  test("__proto__ is an own member, as with JSON.parse", () => {
    const result = parseInChunks('{"__proto__":{"polluted":1}}', []) as Record<string, unknown>;
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.keys(result)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  test.each([
    ["", "unexpected end"],
    ["{", "unexpected end"],
    ['{"a" 1}', "expected ':'"],
    ['{"a":1,}', "expected a key"],
    ["[1 2]", "expected ','"],
    ["[1,]", "unexpected character"],
    ["01", "bad number"],
    ["1e", "bad number"],
    ["-", "bad number"],
    ['"abc', "unterminated string"],
    ['"a\\x"', "bad string"],
    ['"tab\there"', "bad string"],
    ["nul", "unexpected character"],
    ["{} {}", "after the JSON value"],
    ["<html>", "unexpected character"],
  ])("not JSON: %j is refused (%s)", (text, message) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(() => parseInChunks(text, [])).toThrow(JsonSyntaxError);
    expect(() => parseInChunks(text, [])).toThrow(message);
  });

  test("what JSON.parse refuses, the parser refuses too (keeping everything)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), cuts, (text, at) => {
        let jsonOk = true;
        try {
          JSON.parse(text);
        } catch {
          jsonOk = false;
        }
        let ours = true;
        try {
          parseInChunks(text, at);
        } catch (e) {
          expect(e).toBeInstanceOf(JsonSyntaxError);
          ours = false;
        }
        expect(ours).toBe(jsonOk);
      }),
      { numRuns: 2000 },
    );
  });
});
