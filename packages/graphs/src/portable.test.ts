import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { catalog } from "./catalog.ts";
import * as portable from "./portable.ts";

const config = JSON.parse(readFileSync(resolve(import.meta.dir, "../langgraph.json"), "utf8")) as {
  graphs: Record<string, string>;
};

test("the package's langgraph.json serves every catalog graph, each from an export of portable.ts", () => {
  expect(Object.keys(config.graphs).sort()).toEqual(Object.keys(catalog).sort());
  for (const spec of Object.values(config.graphs)) {
    const [file, name] = spec.split(":");
    expect(file).toBe("./src/portable.ts");
    expect(typeof (portable as Record<string, { invoke?: unknown }>)[name as string]?.invoke).toBe("function");
  }
});
