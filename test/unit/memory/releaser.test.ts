import pino from "pino";
import { describe, expect, test } from "vitest";
import { createMemoryReleaser } from "../../../src/memory/releaser.ts";
import { collectAndShrink } from "../../../src/memory/gc.ts";

const MB = 1024 * 1024;

function releaser(rssValues: number[]) {
  let collections = 0;
  let i = 0;
  const r = createMemoryReleaser({
    logger: pino({ level: "silent" }),
    growthBytes: 16 * MB,
    rss: () => rssValues[Math.min(i++, rssValues.length - 1)] ?? 0,
    collect: () => collections++,
  });
  return { r, collections: () => collections };
}

describe("memory releaser", () => {
  test("collects after the first pass, then only when RSS grew by the threshold since the last collection", () => {
    // rss() is read before each decision and once more after each collection.
    const { r, collections } = releaser([100 * MB, 60 * MB, /* small pass */ 70 * MB, /* large pass */ 90 * MB, 62 * MB, /* small */ 64 * MB]);
    r.afterPass();
    expect(collections()).toBe(1);
    r.afterPass();
    expect(collections()).toBe(1);
    r.afterPass();
    expect(collections()).toBe(2);
    r.afterPass();
    expect(collections()).toBe(2);
  });

  test("the real collection runs without --expose-gc on the command line", () => {
    expect(() => collectAndShrink()).not.toThrow();
  });
});
