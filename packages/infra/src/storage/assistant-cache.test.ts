import { expect, test } from "bun:test";
import { withAssistantCache } from "./assistant-cache.ts";
import type { Assistant, AssistantStore } from "./assistants.ts";

function fakeStore() {
  const rows = new Map<string, Assistant>();
  let reads = 0;
  let gate: Promise<void> | undefined;
  const assistant = (id: string, name: string) =>
    ({ assistant_id: id, name, graph_id: "g", config: {}, context: {}, metadata: {}, version: 1 }) as Assistant;
  const store = {
    async find(id: string) {
      reads++;
      const row = rows.get(id);
      await gate;
      return row ? structuredClone(row) : undefined;
    },
    async get(id: string) {
      const row = await store.find(id);
      if (!row) throw new Error("not found");
      return row;
    },
    async update(id: string, patch: { name?: string }) {
      rows.set(id, assistant(id, patch.name ?? "?"));
      return assistant(id, patch.name ?? "?");
    },
    async delete(id: string) {
      rows.delete(id);
    },
    async create() {
      return { assistant: assistant("x", "x"), created: true };
    },
    async setLatest(id: string) {
      return assistant(id, "latest");
    },
    async truncate() {
      rows.clear();
    },
  } as unknown as AssistantStore;
  return {
    store,
    rows,
    assistant,
    reads: () => reads,
    hold: () => {
      let release = () => {};
      gate = new Promise((r) => {
        release = r;
      });
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

test("reads are served from memory until a write, which empties the cache", async () => {
  const fake = fakeStore();
  fake.rows.set("a", fake.assistant("a", "one"));
  const cached = withAssistantCache(fake.store);
  expect((await cached.find("a"))?.name).toBe("one");
  expect((await cached.get("a")).name).toBe("one");
  expect(fake.reads()).toBe(1);
  await cached.update("a", { name: "two" });
  expect((await cached.find("a"))?.name).toBe("two");
  await cached.delete("a");
  expect(await cached.find("a")).toBeUndefined();
  expect(fake.reads()).toBe(3);
});

test("a read that overlapped a write is not cached", async () => {
  const fake = fakeStore();
  fake.rows.set("a", fake.assistant("a", "old"));
  const cached = withAssistantCache(fake.store);
  const release = fake.hold();
  const slow = cached.find("a"); // reads "old", then waits
  await cached.update("a", { name: "new" });
  release();
  expect((await slow)?.name).toBe("old");
  expect((await cached.find("a"))?.name).toBe("new");
});

test("callers get copies: changing a returned assistant does not change the cache", async () => {
  const fake = fakeStore();
  fake.rows.set("a", fake.assistant("a", "one"));
  const cached = withAssistantCache(fake.store);
  const first = await cached.find("a");
  if (first) first.name = "changed";
  expect((await cached.find("a"))?.name).toBe("one");
});
