import { describe, expect, test } from "vitest";
import { QUOTE_MAX, quoteCapped, shorten } from "../../../src/domain/text.ts";

describe("quoteCapped", () => {
  test("short values are quoted whole", () => {
    expect(quoteCapped("10.0.0.300")).toBe('"10.0.0.300"');
    expect(quoteCapped("x".repeat(QUOTE_MAX))).toBe(`"${"x".repeat(QUOTE_MAX)}"`);
  });

  test("long values keep their first 64 characters and say how long they were", () => {
    const out = quoteCapped("a".repeat(200 * 1024));
    expect(out).toBe(`"${"a".repeat(64)}…"(204800 chars)`);
  });

  test("quotes and newlines in the value cannot break the sentence", () => {
    expect(quoteCapped('a"b\nc')).toBe('"a\\"b\\nc"');
  });

  test("a surrogate pair at the cut is not split", () => {
    const out = quoteCapped(`${"a".repeat(63)}😀${"b".repeat(10)}`);
    expect(out).toBe(`"${"a".repeat(63)}…"(75 chars)`);
  });
});

describe("shorten", () => {
  test("one line, cut with an ellipsis", () => {
    expect(shorten("a\n  b\tc", 10)).toBe("a b c");
    expect(shorten("abcdefghijkl", 5)).toBe("abcde…");
  });
});
