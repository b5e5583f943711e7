import { readFileSync } from "node:fs";
import { expect, test } from "vitest";

test("runs under Node 24, the floor package.json declares", () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { engines: { node: string } };
  expect(pkg.engines.node).toBe(">=24");
  expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(24);
});
