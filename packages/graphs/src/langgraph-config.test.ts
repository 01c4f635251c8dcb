import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configEnv, GraphLoadError, loadConfigGraphs, readLangGraphConfig } from "./langgraph-config.ts";

const dir = () => mkdtempSync(join(tmpdir(), "fractal-lgconfig-"));

describe("langgraph.json", () => {
  test("invalid JSON and invalid shapes are named with the file", () => {
    const d = dir();
    writeFileSync(join(d, "bad.json"), "{");
    expect(() => readLangGraphConfig(join(d, "bad.json"))).toThrow(GraphLoadError);
    writeFileSync(join(d, "shape.json"), JSON.stringify({ graphs: { a: 5 } }));
    expect(() => readLangGraphConfig(join(d, "shape.json"))).toThrow(/invalid .*shape\.json: graphs\.a/);
  });

  test("env may be inline or a .env file relative to the config", () => {
    const d = dir();
    writeFileSync(join(d, ".env.graphs"), 'A=1\n# comment\nB="two words"\n');
    writeFileSync(join(d, "langgraph.json"), JSON.stringify({ graphs: {}, env: ".env.graphs" }));
    const { config, baseDir } = readLangGraphConfig(join(d, "langgraph.json"));
    expect(configEnv(config, baseDir)).toEqual({ A: "1", B: "two words" });
    expect(configEnv({ graphs: {}, env: { C: "3" } }, d)).toEqual({ C: "3" });
  });

  test("graphs load by path and export name; default export when no name", async () => {
    const d = dir();
    writeFileSync(join(d, "g.ts"), "export const named = { kind: 'named' };\nexport default { kind: 'default' };\n");
    const graphs = await loadConfigGraphs({ graphs: { a: "./g.ts:named", b: "./g.ts" } }, d);
    expect(graphs).toEqual({ a: { kind: "named" }, b: { kind: "default" } } as never);
  });
});
