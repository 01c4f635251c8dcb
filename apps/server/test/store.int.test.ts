import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { startFakeOpenAI } from "@fractal/infra/testing/openai-server";
import { letters } from "./fixtures/store-index/embed.ts";
import { MODES, type TestServer, useTestServer } from "./harness.ts";

const CONFIG = resolve(import.meta.dir, "fixtures/run-graphs/langgraph.json");

for (const mode of MODES) {
  describe(`store API (${mode})`, () => {
    const current = useTestServer(mode, {}, ["--config", CONFIG]);
    let server: TestServer;
    beforeAll(() => {
      server = current();
    });
    beforeEach(async () => server.truncate());

    const raw = (method: string, path: string, body?: unknown) =>
      fetch(`${server.url}${path}`, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: { accept: "application/json" },
      });

    test("put, get, replace and delete an item; a missing item is null", async () => {
      const store = server.client.store;
      await store.putItem(["users", "u1"], "prefs", { theme: "dark" });
      const item = await store.getItem(["users", "u1"], "prefs");
      expect(item).toMatchObject({ namespace: ["users", "u1"], key: "prefs", value: { theme: "dark" } });
      expect(Number.isNaN(Date.parse(item?.createdAt as unknown as string))).toBe(false);
      await store.putItem(["users", "u1"], "prefs", { theme: "light" });
      const replaced = await store.getItem(["users", "u1"], "prefs");
      expect(replaced?.value).toEqual({ theme: "light" });
      expect(replaced?.createdAt).toBe(item?.createdAt as string);
      await store.deleteItem(["users", "u1"], "prefs");
      expect(await store.getItem(["users", "u1"], "prefs")).toBeNull();
    });

    test("search by namespace prefix and value filter, newest first, with limit and offset", async () => {
      const store = server.client.store;
      await store.putItem(["docs", "a"], "1", { kind: "note", n: 1 });
      await store.putItem(["docs", "a", "deep"], "2", { kind: "task", n: 2 });
      await store.putItem(["docs", "b"], "3", { kind: "note", n: 3 });
      await store.putItem(["docsx"], "4", { kind: "note", n: 4 });
      const underA = await store.searchItems(["docs", "a"]);
      expect(underA.items.map((i) => i.key).sort()).toEqual(["1", "2"]);
      const notes = await store.searchItems(["docs"], { filter: { kind: "note" } });
      expect(notes.items.map((i) => i.key)).toEqual(["3", "1"]);
      const page = await store.searchItems([], { limit: 2, offset: 1 });
      expect(page.items.map((i) => i.key)).toEqual(["3", "2"]);
    });

    test("namespaces by prefix, suffix and max_depth", async () => {
      const store = server.client.store;
      await store.putItem(["org", "team1", "memories"], "k", { v: 1 });
      await store.putItem(["org", "team2", "memories"], "k", { v: 1 });
      await store.putItem(["org", "team2", "files"], "k", { v: 1 });
      await store.putItem(["other"], "k", { v: 1 });
      expect((await store.listNamespaces({ prefix: ["org"] })).namespaces).toEqual([
        ["org", "team1", "memories"],
        ["org", "team2", "files"],
        ["org", "team2", "memories"],
      ]);
      expect((await store.listNamespaces({ suffix: ["memories"] })).namespaces).toEqual([
        ["org", "team1", "memories"],
        ["org", "team2", "memories"],
      ]);
      expect((await store.listNamespaces({ maxDepth: 2 })).namespaces).toEqual([
        ["org", "team1"],
        ["org", "team2"],
        ["other"],
      ]);
      expect((await store.listNamespaces({ limit: 1, offset: 1 })).namespaces).toEqual([["org", "team2", "files"]]);
    });

    test("ttl: an expired item is gone at once; refresh_ttl on get or search keeps items alive", async () => {
      const store = server.client.store;
      const ttl = 0.01; // minutes: 600 ms
      await store.putItem(["tmp"], "short", { v: 1 }, { ttl });
      await store.putItem(["tmp"], "kept", { v: 2 }, { ttl });
      await store.putItem(["tmp"], "forever", { v: 3 });
      await store.putItem(["searched"], "a", { v: 4 }, { ttl });
      await store.putItem(["searched"], "b", { v: 5 }, { ttl });
      for (let i = 0; i < 4; i++) {
        await Bun.sleep(250);
        expect(await store.getItem(["tmp"], "kept", { refreshTtl: true })).not.toBeNull();
        expect((await store.searchItems(["searched"], { refreshTtl: true })).items.length).toBe(2);
      }
      expect(await store.getItem(["tmp"], "short")).toBeNull();
      expect((await store.searchItems(["searched"])).items.map((i) => i.key).sort()).toEqual(["a", "b"]);
      expect((await store.searchItems(["tmp"])).items.map((i) => i.key).sort()).toEqual(["forever", "kept"]);
      expect((await store.listNamespaces({})).namespaces).toEqual([["searched"], ["tmp"]]);
    });

    test("a graph's store is the API's store, both ways", async () => {
      await server.client.store.putItem(["notes"], "from-api", { text: "hello graph" });
      const thread = await server.client.threads.create();
      const values = (await server.client.runs.wait(thread.thread_id, "memo", {
        input: { note: "from the graph" },
      })) as {
        found: unknown;
      };
      expect(values.found).toEqual({ text: "hello graph" });
      const written = await server.client.store.getItem(["memos", thread.thread_id], "last");
      expect(written?.value).toEqual({ note: "from the graph" });
    });

    test("bad namespaces and bodies are 422 naming the problem; nothing is stored", async () => {
      const cases: Array<[string, string, unknown]> = [
        ["PUT", "/store/items", { namespace: [], key: "k", value: {} }],
        ["PUT", "/store/items", { namespace: ["a.b"], key: "k", value: {} }],
        ["PUT", "/store/items", { namespace: [""], key: "k", value: {} }],
        ["PUT", "/store/items", { namespace: Array.from({ length: 21 }, () => "x"), key: "k", value: {} }],
        ["PUT", "/store/items", { namespace: ["a"], key: "k", value: [1, 2] }],
        ["PUT", "/store/items", { namespace: ["a"], key: "k", value: {}, ttl: -1 }],
        ["POST", "/store/items/search", { namespace_prefix: ["a.b"] }],
        ["POST", "/store/namespaces", { max_depth: 0 }],
        ["DELETE", "/store/items", { namespace: ["a"] }],
      ];
      for (const [method, path, body] of cases) {
        const res = await raw(method, path, body);
        expect([method, path, res.status]).toEqual([method, path, 422]);
        const error = (await res.json()) as { error: string; message: string };
        expect(error.error).toBe("validation_failed");
        expect(error.message.length).toBeGreaterThan(0);
      }
      const dotted = await fetch(`${server.url}/store/items?namespace=a..b&key=k`);
      expect(dotted.status).toBe(422);
      expect((await server.client.store.searchItems([])).items).toEqual([]);
    });
  });
}

// The same letter-count embedding, served once as a TS export and once by a local OpenAI-compatible
// endpoint reached through the `openai:` provider (the real client, no network).
const openai = startFakeOpenAI((text) => letters([text])[0] as number[]);
afterAll(() => openai.stop());
const INDEX_CONFIGS: Array<{ embed: string; config: string; env: Record<string, string> }> = [
  { embed: "./embed.ts:letters", config: "fixtures/store-index/langgraph.json", env: {} },
  {
    embed: "openai:text-embedding-3-small",
    config: "fixtures/store-openai/langgraph.json",
    env: { OPENAI_API_KEY: "sk-store-test", OPENAI_BASE_URL: openai.baseUrl },
  },
];

for (const mode of MODES) {
  for (const index of INDEX_CONFIGS) {
    describe(`store semantic search, embed ${index.embed} (${mode})`, () => {
      const current = useTestServer(mode, index.env, ["--config", resolve(import.meta.dir, index.config)]);

      test("query ranks items by meaning (test embedding); index overrides and false are honoured", async () => {
        const server = current();
        await server.truncate();
        const info = (await (await fetch(`${server.url}/info`)).json()) as { store_search: string | null };
        // Embedded PGlite has pgvector; a PostgreSQL without it uses exact cosine in SQL (same ranking).
        if (mode === "embedded") expect(info.store_search).toBe("pgvector");
        else expect(["pgvector", "exact"]).toContain(info.store_search as string);
        const store = server.client.store;
        await store.putItem(["docs"], "fruit", { text: "banana apple" });
        await store.putItem(["docs"], "quiz", { text: "jazz quiz fizz" });
        await store.putItem(["docs"], "bread", { text: "banana bread" });
        await store.putItem(["docs"], "titled", { title: "banana" }, { index: ["title"] });
        await store.putItem(["docs"], "unindexed", { text: "banana" }, { index: false });
        const found = await store.searchItems(["docs"], { query: "banana" });
        const ranked = found.items.map((i) => [i.key, (i as { score?: number }).score ?? null] as const);
        expect(ranked.map(([key]) => key)).toEqual(["titled", "bread", "fruit", "quiz", "unindexed"]);
        expect(ranked[0]?.[1]).toBeCloseTo(1, 5);
        expect(ranked.at(-1)?.[1]).toBeNull();
        // Filters and prefixes still apply to a semantic search.
        const filtered = await store.searchItems(["docs"], { query: "banana", filter: { text: "jazz quiz fizz" } });
        expect(filtered.items.map((i) => i.key)).toEqual(["quiz"]);
        if (index.embed.startsWith("openai:")) {
          expect(openai.requests.length).toBeGreaterThan(0);
          expect(openai.requests.every((r) => r.authorization === "Bearer sk-store-test")).toBe(true);
          expect(openai.requests.at(-1)?.body).toMatchObject({ model: "text-embedding-3-small", dimensions: 26 });
        }
      });
    });
  }
}
