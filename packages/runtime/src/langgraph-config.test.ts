import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  configEnv,
  GraphLoadError,
  loadConfigGraphs,
  loadStoreIndex,
  readLangGraphConfig,
} from "./langgraph-config.ts";

const dir = () => mkdtempSync(join(tmpdir(), "fractal-lgconfig-"));

describe("langgraph.json", () => {
  test("invalid JSON and invalid shapes are named with the file", () => {
    const d = dir();
    writeFileSync(join(d, "bad.json"), "{");
    expect(() => readLangGraphConfig(join(d, "bad.json"))).toThrow(GraphLoadError);
    writeFileSync(join(d, "shape.json"), JSON.stringify({ graphs: { a: 5 } }));
    expect(() => readLangGraphConfig(join(d, "shape.json"))).toThrow(/invalid .*shape\.json: graphs\.a/);
  });

  test("store.index.embed takes provider:model; a missing key or unknown provider stops start-up", async () => {
    const config = (embed: string) => ({ graphs: {}, store: { index: { dims: 8, embed } } });
    const index = await loadStoreIndex(config("fake:demo"), dir());
    expect(index?.dims).toBe(8);
    expect(index?.fields).toEqual(["$"]);
    expect((await index?.embed(["hello"]))?.[0]).toHaveLength(8);
    const missingKey = await loadStoreIndex(config("openai:text-embedding-3-small"), dir()).catch((e: unknown) => e);
    expect(missingKey).toBeInstanceOf(GraphLoadError);
    expect((missingKey as Error).message).toBe(
      "store.index.embed 'openai:text-embedding-3-small' needs an OpenAI API key (OPENAI_API_KEY)",
    );
    const keyed = await loadStoreIndex(config("openai:text-embedding-3-small"), dir(), { openai: { apiKey: "k" } });
    expect(keyed?.dims).toBe(8);
    const unknown = await loadStoreIndex(config("nope:model"), dir()).catch((e: unknown) => e);
    expect((unknown as Error).message).toContain("unknown embeddings provider in 'nope:model'");
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
