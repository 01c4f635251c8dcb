import { afterAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { runCli } from "./harness.ts";

const graphsPackage = resolve(import.meta.dir, "../../../packages/graphs");
// Inside the graphs package, so the copy resolves the package's dependencies as the real one does.
const work = mkdtempSync(join(graphsPackage, ".scaffold-test-"));
const src = join(work, "src");
cpSync(join(graphsPackage, "src"), src, { recursive: true });
cpSync(join(graphsPackage, "langgraph.json"), join(work, "langgraph.json"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("fractal new-graph", () => {
  test("writes a graph and its test, registers it, and the generated test passes", async () => {
    const made = await runCli(["new-graph", "support-bot", "--graphs-dir", src]);
    expect(made.code).toBe(0);
    expect(made.stderr).toContain("created");
    expect(made.stderr).toContain("registered 'support-bot'");
    const catalogSource = readFileSync(join(src, "catalog.ts"), "utf8");
    expect(catalogSource).toContain('import { createSupportBotGraph } from "./catalog/support-bot/graph.ts";');
    expect(catalogSource).toContain('"support-bot": createSupportBotGraph,');
    // Served by any LangGraph server too: exported from portable.ts and listed in langgraph.json.
    expect(readFileSync(join(src, "portable.ts"), "utf8")).toContain(
      "export const supportBot = createSupportBotGraph(context());",
    );
    const config = JSON.parse(readFileSync(join(work, "langgraph.json"), "utf8")) as { graphs: Record<string, string> };
    expect(config.graphs["support-bot"]).toBe("./src/portable.ts:supportBot");
    const portable = await import(join(src, "portable.ts"));
    expect(typeof portable.supportBot?.invoke).toBe("function");

    const generated = Bun.spawn(["bun", "test", join(src, "catalog/support-bot/graph.test.ts")], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const output = await new Response(generated.stderr).text();
    expect(await generated.exited).toBe(0);
    expect(output).toContain("3 pass");

    const { catalog } = await import(join(src, "catalog.ts"));
    expect(Object.keys(catalog)).toContain("support-bot");
    // The copy sits in a git-ignored folder; biome must still read it.
    const paths = [join(src, "catalog/support-bot"), join(src, "catalog.ts"), join(src, "portable.ts")];
    const lint = Bun.spawn(["bunx", "biome", "check", "--vcs-use-ignore-file=false", ...paths], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const lintOutput = (await new Response(lint.stdout).text()) + (await new Response(lint.stderr).text());
    expect(await lint.exited).toBe(0);
    expect(lintOutput).toContain("Checked 4 files");
  });

  test("refuses a taken name, a bad name and a missing name, changing nothing", async () => {
    const before = readFileSync(join(src, "catalog.ts"), "utf8");
    const portableBefore = readFileSync(join(src, "portable.ts"), "utf8");
    const taken = await runCli(["new-graph", "react-agent", "--graphs-dir", src]);
    expect([taken.code, taken.stderr]).toEqual([2, expect.stringContaining("already")]);
    const bad = await runCli(["new-graph", "Bad_Name", "--graphs-dir", src]);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining("is not a graph name")]);
    const missing = await runCli(["new-graph", "--graphs-dir", src]);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining("new-graph needs a NAME")]);
    expect(readFileSync(join(src, "catalog.ts"), "utf8")).toBe(before);
    expect(readFileSync(join(src, "portable.ts"), "utf8")).toBe(portableBefore);
  });
});
