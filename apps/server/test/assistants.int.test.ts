import { beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { catalog } from "@fractal/graphs/catalog";
import { defaultAssistantId } from "@fractal/runtime/default-assistants";
import { expectStatus } from "./expect-status.ts";
import { MODES, type TestServer, useTestServer } from "./harness.ts";

// The Platform derives default assistant ids as UUID v5 of the graph id; clients hard-code them.
const AGENT_DEFAULT_ID = "fe096781-5601-53d2-b2f6-0d3403f7e9ca";

for (const mode of MODES) {
  describe(`assistants API (${mode})`, () => {
    const current = useTestServer(mode);
    let server: TestServer;
    beforeAll(() => {
      server = current();
    });
    beforeEach(async () => server.truncate());

    test("each graph has a default assistant with a deterministic id and created_by=system", async () => {
      const assistant = await server.client.assistants.get(AGENT_DEFAULT_ID);
      expect(assistant).toMatchObject({ graph_id: "agent", name: "agent", version: 1 });
      expect(assistant.metadata).toEqual({ created_by: "system" });
      expect(defaultAssistantId("agent")).toBe(AGENT_DEFAULT_ID);
      const found = await server.client.assistants.search({ metadata: { created_by: "system" } });
      expect(found.map((a) => a.assistant_id).sort()).toEqual(Object.keys(catalog).map(defaultAssistantId).sort());
    });

    test("create, get, if_exists, unknown graph, unknown id", async () => {
      const created = await server.client.assistants.create({
        graphId: "agent",
        name: "Helper",
        description: "helps",
        config: { configurable: { model: "fake:echo" } },
        context: { tone: "dry" },
        metadata: { team: "red" },
      });
      expect(created).toMatchObject({
        graph_id: "agent",
        name: "Helper",
        description: "helps",
        config: { configurable: { model: "fake:echo" } },
        context: { tone: "dry" },
        metadata: { team: "red" },
        version: 1,
      });
      expect(typeof created.created_at).toBe("string");
      expect(await server.client.assistants.get(created.assistant_id)).toEqual(created);

      await expectStatus(server.client.assistants.create({ graphId: "agent", assistantId: created.assistant_id }), 409);
      const same = await server.client.assistants.create({
        graphId: "agent",
        assistantId: created.assistant_id,
        name: "Other",
        ifExists: "do_nothing",
      });
      expect(same.name).toBe("Helper");
      await expectStatus(server.client.assistants.create({ graphId: "no-such-graph" }), 404);
      await expectStatus(server.client.assistants.get(crypto.randomUUID()), 404);
    });

    test("update writes a new version and merges metadata; versions and setLatest", async () => {
      const a = await server.client.assistants.create({ graphId: "agent", name: "v1", metadata: { a: 1 } });
      const v2 = await server.client.assistants.update(a.assistant_id, {
        name: "v2",
        metadata: { b: 2 },
        config: { configurable: { model: "fake:two" } },
      });
      expect(v2).toMatchObject({ version: 2, name: "v2", metadata: { a: 1, b: 2 } });
      expect(v2.config).toEqual({ configurable: { model: "fake:two" } });
      const versions = await server.client.assistants.getVersions(a.assistant_id);
      expect(versions.map((v) => [v.version, v.name])).toEqual([
        [2, "v2"],
        [1, "v1"],
      ]);
      const onlyB = await server.client.assistants.getVersions(a.assistant_id, { metadata: { b: 2 } });
      expect(onlyB.map((v) => v.version)).toEqual([2]);
      const back = await server.client.assistants.setLatest(a.assistant_id, 1);
      expect(back).toMatchObject({ version: 1, name: "v1", metadata: { a: 1 } });
      expect((await server.client.assistants.get(a.assistant_id)).name).toBe("v1");
      await expectStatus(server.client.assistants.setLatest(a.assistant_id, 99), 404);
      await expectStatus(server.client.assistants.update(crypto.randomUUID(), { name: "x" }), 404);
      await expectStatus(server.client.assistants.update(a.assistant_id, { graphId: "missing" }), 404);
    });

    test("search by graph_id, name, metadata with sort, limit, offset, select and pagination header", async () => {
      for (const name of ["alpha", "beta", "gamma"]) {
        await server.client.assistants.create({ graphId: "agent", name, metadata: { group: "g", name } });
      }
      const byName = await server.client.assistants.search({ name: "bet" });
      expect(byName.map((a) => a.name)).toEqual(["beta"]);
      const byMeta = await server.client.assistants.search({
        metadata: { group: "g" },
        sortBy: "name",
        sortOrder: "asc",
      });
      expect(byMeta.map((a) => a.name)).toEqual(["alpha", "beta", "gamma"]);
      const page = await server.client.assistants.search({
        metadata: { group: "g" },
        sortBy: "name",
        sortOrder: "desc",
        limit: 2,
        offset: 0,
        includePagination: true,
      });
      expect(page.assistants.map((a) => a.name)).toEqual(["gamma", "beta"]);
      expect(page.next).toBe("2");
      const last = await server.client.assistants.search({
        metadata: { group: "g" },
        sortBy: "name",
        sortOrder: "desc",
        limit: 2,
        offset: 2,
        includePagination: true,
      });
      expect(last.assistants.map((a) => a.name)).toEqual(["alpha"]);
      expect(last.next).toBeNull();
      const selected = await server.client.assistants.search({ name: "alpha", select: ["assistant_id", "name"] });
      expect(Object.keys(selected[0] ?? {}).sort()).toEqual(["assistant_id", "name"]);
      const byGraph = await server.client.assistants.search({ graphId: "agent", limit: 100 });
      expect(byGraph.length).toBe(4);
    });

    test("count by graph_id, name and metadata", async () => {
      await server.client.assistants.create({ graphId: "agent", name: "one", metadata: { k: "x" } });
      await server.client.assistants.create({ graphId: "agent", name: "two", metadata: { k: "y" } });
      const builtIn = Object.keys(catalog).length;
      expect(await server.client.assistants.count()).toBe(2 + builtIn);
      expect(await server.client.assistants.count({ graphId: "agent" })).toBe(3);
      expect(await server.client.assistants.count({ metadata: { k: "x" } })).toBe(1);
      expect(await server.client.assistants.count({ name: "two" })).toBe(1);
    });

    test("delete, and delete with delete_threads removes the assistant's threads", async () => {
      const a = await server.client.assistants.create({ graphId: "agent" });
      const t = await server.client.threads.create({ metadata: { assistant_id: a.assistant_id } });
      const other = await server.client.threads.create({ metadata: { assistant_id: "someone-else" } });
      await server.client.assistants.delete(a.assistant_id, { deleteThreads: true });
      await expectStatus(server.client.assistants.get(a.assistant_id), 404);
      await expectStatus(server.client.threads.get(t.thread_id), 404);
      expect((await server.client.threads.get(other.thread_id)).thread_id).toBe(other.thread_id);
      await expectStatus(server.client.assistants.delete(a.assistant_id), 404);
      const b = await server.client.assistants.create({ graphId: "agent" });
      await server.client.assistants.delete(b.assistant_id);
      await expectStatus(server.client.assistants.get(b.assistant_id), 404);
    });

    test("schemas come from the graph's zod state", async () => {
      const schemas = await server.client.assistants.getSchemas(AGENT_DEFAULT_ID);
      expect(schemas.graph_id).toBe("agent");
      expect(schemas.state_schema).toMatchObject({ type: "object", properties: { messages: {} } });
      expect(schemas.input_schema).toMatchObject({ type: "object", properties: { messages: {} } });
      expect(schemas.output_schema).toMatchObject({ type: "object" });
      expect(schemas.config_schema).toMatchObject({ type: "object" });
      await expectStatus(server.client.assistants.getSchemas(crypto.randomUUID()), 404);
    });

    test("graph returns drawable nodes and edges, with and without xray", async () => {
      const graph = await server.client.assistants.getGraph(AGENT_DEFAULT_ID);
      expect(graph.nodes.map((n) => n.id)).toEqual(["__start__", "agent", "__end__"]);
      expect(graph.edges).toContainEqual(expect.objectContaining({ source: "__start__", target: "agent" }));
      const xray = await server.client.assistants.getGraph(AGENT_DEFAULT_ID, { xray: true });
      expect(xray.nodes.length).toBe(3);
      const depth = await server.client.assistants.getGraph(AGENT_DEFAULT_ID, { xray: 2 });
      expect(depth.nodes.length).toBe(3);
    });

    test("subgraphs of a graph without subgraphs is an empty map; unknown assistant 404", async () => {
      expect(await server.client.assistants.getSubgraphs(AGENT_DEFAULT_ID)).toEqual({});
      expect(await server.client.assistants.getSubgraphs(AGENT_DEFAULT_ID, { recurse: true })).toEqual({});
      expect(await server.client.assistants.getSubgraphs(AGENT_DEFAULT_ID, { namespace: "agent" })).toEqual({});
      await expectStatus(server.client.assistants.getSubgraphs(crypto.randomUUID()), 404);
    });
  });
}
