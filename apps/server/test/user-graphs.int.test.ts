import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { catalog } from "@fractal/graphs/catalog";
import { defaultAssistantId } from "@fractal/runtime/default-assistants";
import { Client } from "@langchain/langgraph-sdk";
import { runCli, type ServerProcess, spawnServer } from "./harness.ts";

const fixtures = resolve(import.meta.dir, "fixtures");

describe("user graphs from langgraph.json", () => {
  let server: ServerProcess;
  let client: Client;
  const dataDir = mkdtempSync(join(tmpdir(), "fractal-user-graphs-"));

  beforeAll(async () => {
    server = await spawnServer({
      args: ["--config", join(fixtures, "user-graphs/langgraph.json"), "--data-dir", dataDir],
      // Schemas from TypeScript types take the compiler a few seconds (more on a cold, busy CI
      // machine than the 5 s a request waits by default); this file checks what they say.
      env: { FRACTAL_SCHEMA_WAIT_MS: "45000" },
    });
    client = new Client({ apiUrl: server.url });
  }, 90_000);
  afterAll(async () => {
    server?.proc.kill("SIGTERM");
    await server?.proc.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("user graphs are served beside the catalog, each with a default assistant", async () => {
    const assistants = await client.assistants.search({ limit: 100, sortBy: "graph_id", sortOrder: "asc" });
    const graphIds = [...Object.keys(catalog), "built-per-request", "nested", "shouter"].sort();
    expect(assistants.map((a) => [a.graph_id, a.assistant_id, a.metadata?.created_by])).toEqual(
      graphIds.map((id) => [id, defaultAssistantId(id), "system"]),
    );
  });

  test("env from langgraph.json is set before the graph module loads", async () => {
    const graph = await client.assistants.getGraph(defaultAssistantId("shouter"));
    expect(graph.nodes.map((n) => n.id)).toContain("shout");
  });

  test("an Annotation graph's schemas come from its TypeScript types; state works on our checkpointer", async () => {
    const schemas = await client.assistants.getSchemas(defaultAssistantId("shouter"));
    expect(schemas.state_schema).toMatchObject({
      type: "object",
      properties: { text: { type: "string" }, count: { type: "number" } },
    });
    expect(schemas.input_schema).toMatchObject({ properties: { text: { type: "string" } } });
    const thread = await client.threads.create({ graphId: "shouter" });
    await client.threads.updateState(thread.thread_id, { values: { text: "hey", count: 1 }, asNode: "shout" });
    expect((await client.threads.getState(thread.thread_id)).values).toEqual({ text: "hey", count: 1 });
  });

  test("a factory export that returns an uncompiled graph is compiled with our checkpointer", async () => {
    const thread = await client.threads.create({ graphId: "built-per-request" });
    await client.threads.updateState(thread.thread_id, {
      values: { messages: [{ type: "human", content: "from a factory" }] },
      asNode: "echo",
    });
    const state = await client.threads.getState(thread.thread_id);
    expect((state.values as { messages: Array<{ content: string }> }).messages[0]?.content).toBe("from a factory");
    const schemas = await client.assistants.getSchemas(defaultAssistantId("built-per-request"));
    expect(schemas.state_schema).toMatchObject({ properties: { messages: {} } });
  });

  test("subgraphs are listed by namespace with their schemas; a namespace filter narrows them", async () => {
    const all = await client.assistants.getSubgraphs(defaultAssistantId("nested"));
    expect(Object.keys(all)).toEqual(["child"]);
    expect(all.child?.state_schema).toMatchObject({ type: "object", properties: { notes: { type: "array" } } });
    expect(
      Object.keys(
        await client.assistants.getSubgraphs(defaultAssistantId("nested"), { namespace: "child", recurse: true }),
      ),
    ).toEqual(["child"]);
    expect(await client.assistants.getSubgraphs(defaultAssistantId("nested"), { namespace: "elsewhere" })).toEqual({});
  });

  test("xray expands the subgraph's nodes into the drawing", async () => {
    const flat = await client.assistants.getGraph(defaultAssistantId("nested"));
    const ids = (g: { nodes: Array<{ id: string | number }> }) => g.nodes.map((n) => String(n.id));
    expect(ids(flat)).toEqual(["__start__", "child", "__end__"]);
    const xray = await client.assistants.getGraph(defaultAssistantId("nested"), { xray: true });
    expect(ids(xray)).toEqual(expect.arrayContaining(["child:write", "child:review"]));
  });
});

describe("graphs that fail to load", () => {
  test("start-up fails naming the file and the error", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "fractal-broken-"));
    try {
      const result = await runCli(
        ["serve", "--port", "0", "--config", join(fixtures, "broken-graph/langgraph.json"), "--data-dir", dataDir],
        {},
      );
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(join(fixtures, "broken-graph/broken.ts"));
      expect(result.stderr).toContain("kaboom at import time");
      expect(result.stderr).toContain("'broken'");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  test("a missing export is named with the exports that exist", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fractal-missing-export-"));
    try {
      await Bun.write(
        join(dir, "langgraph.json"),
        JSON.stringify({ graphs: { g: `${join(fixtures, "user-graphs/src/shouter.ts")}:nope` } }),
      );
      const result = await runCli(["serve", "--port", "0", "--data-dir", join(dir, "data")], {}, dir);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("no export named 'nope' (exports: graph)");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
