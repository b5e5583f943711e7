import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { imageRuntime } from "../../../scripts/image-runtime.ts";

const ROOT = join(import.meta.dirname, "../../..");

describe("the image's runtime settings (Dockerfile), read by npm run bench", () => {
  it("are found: the memory settings of the runtime stage and the ENTRYPOINT's node arguments", () => {
    const { env, nodeArgs } = imageRuntime();
    expect(env).toMatchObject({ MALLOC_ARENA_MAX: "1", NODE_OPTIONS: expect.stringContaining("--max-semi-space-size") });
    expect(nodeArgs).toContain("--optimize-for-size");
    expect(nodeArgs.every((a) => a.startsWith("--"))).toBe(true);
  });

  it("ignore the build stage and refuse an ENTRYPOINT that is not node", () => {
    const file = 'FROM a AS build\nENV X=1\nFROM b\nENV Y=2\nENTRYPOINT ["node", "--f", "/app/dist/main.js"]\n';
    expect(imageRuntime(file)).toEqual({ env: { Y: "2" }, nodeArgs: ["--f"] });
    expect(() => imageRuntime('FROM b\nENTRYPOINT ["sh", "x"]\n')).toThrow(/not node/);
  });

  it("are npm start's too (NODE_ENV aside: the agent does not read it)", () => {
    const start = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts["start"] ?? "";
    const words = start.split(" ");
    const { env, nodeArgs } = imageRuntime();
    for (const [name, value] of Object.entries(env)) {
      if (name === "NODE_ENV") continue;
      if (name === "NODE_OPTIONS") for (const flag of value.split(" ")) expect(words).toContain(flag);
      else expect(words).toContain(`${name}=${value}`);
    }
    for (const arg of nodeArgs) expect(words).toContain(arg);
  });
});
