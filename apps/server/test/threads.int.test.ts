import { beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { expectStatus } from "./expect-status.ts";
import { MODES, type TestServer, useTestServer } from "./harness.ts";

const human = (content: string) => ({ messages: [{ type: "human", content }] });

for (const mode of MODES) {
  describe(`threads API (${mode})`, () => {
    const current = useTestServer(mode);
    let server: TestServer;
    beforeAll(() => {
      server = current();
    });
    beforeEach(async () => server.truncate());

    test("create with id and metadata, if_exists, get, unknown id", async () => {
      const threadId = crypto.randomUUID();
      const thread = await server.client.threads.create({ threadId, metadata: { user: "u1" } });
      expect(thread).toMatchObject({ thread_id: threadId, status: "idle", metadata: { user: "u1" }, values: null });
      expect(typeof thread.created_at).toBe("string");
      expect(await server.client.threads.get(threadId)).toEqual(thread);
      await expectStatus(server.client.threads.create({ threadId }), 409);
      const same = await server.client.threads.create({ threadId, ifExists: "do_nothing", metadata: { user: "u2" } });
      expect(same.metadata).toEqual({ user: "u1" });
      const generated = await server.client.threads.create();
      expect(generated.thread_id).toMatch(/^[0-9a-f-]{36}$/);
      await expectStatus(server.client.threads.get(crypto.randomUUID()), 404);
    });

    test("patch merges metadata into the existing object", async () => {
      const t = await server.client.threads.create({ metadata: { a: 1, keep: "yes" } });
      const patched = await server.client.threads.update(t.thread_id, { metadata: { a: 2, b: 3 } });
      expect(patched.metadata).toEqual({ a: 2, b: 3, keep: "yes" });
      expect((await server.client.threads.get(t.thread_id)).metadata).toEqual({ a: 2, b: 3, keep: "yes" });
      await expectStatus(server.client.threads.update(crypto.randomUUID(), { metadata: {} }), 404);
    });

    test("create with supersteps seeds the state; bad supersteps leave nothing behind", async () => {
      const t = await server.client.threads.create({
        graphId: "agent",
        supersteps: [
          { updates: [{ values: human("hi"), asNode: "agent" }] },
          { updates: [{ values: human("again"), asNode: "agent" }] },
        ],
      });
      expect(t.metadata).toEqual({ graph_id: "agent" });
      const state = await server.client.threads.getState(t.thread_id);
      expect(
        (state.values as { messages: Array<{ content: string; type: string }> }).messages.map((m) => m.content),
      ).toEqual(["hi", "again"]);
      expect(state.metadata).toMatchObject({ source: "update", step: 1 });
      expect((await server.client.threads.getHistory(t.thread_id)).length).toBe(2);

      const badId = crypto.randomUUID();
      await expectStatus(
        server.client.threads.create({
          threadId: badId,
          graphId: "agent",
          supersteps: [{ updates: [{ values: {}, asNode: "nope" }] }],
        }),
        422,
      );
      await expectStatus(server.client.threads.get(badId), 404);
      await expectStatus(
        server.client.threads.create({ supersteps: [{ updates: [{ values: {}, asNode: "agent" }] }] }),
        422,
      );
      await expectStatus(server.client.threads.create({ graphId: "missing-graph" }), 404);
    });

    test("state of a thread without a graph is empty; updating it is a 409", async () => {
      const t = await server.client.threads.create();
      const state = await server.client.threads.getState(t.thread_id);
      expect(state).toMatchObject({ values: {}, next: [], tasks: [], checkpoint: null });
      await expectStatus(server.client.threads.updateState(t.thread_id, { values: human("x"), asNode: "agent" }), 409);
      await expectStatus(server.client.threads.getState(crypto.randomUUID()), 404);
    });

    test("state update as_node writes a checkpoint, reflected in state, thread values and search", async () => {
      const t = await server.client.threads.create({ graphId: "agent" });
      const result = await server.client.threads.updateState(t.thread_id, { values: human("hello"), asNode: "agent" });
      const checkpoint = (result as unknown as { checkpoint: { checkpoint_id: string } }).checkpoint;
      expect(checkpoint).toMatchObject({ thread_id: t.thread_id, checkpoint_ns: "" });
      expect(result.configurable).toEqual(checkpoint);
      const state = await server.client.threads.getState(t.thread_id);
      expect(state.checkpoint.checkpoint_id).toBe(checkpoint.checkpoint_id);
      expect(state.next).toEqual([]);
      expect(state.parent_checkpoint).toBeNull();
      expect(typeof state.created_at).toBe("string");
      const message = (state.values as { messages: Array<Record<string, unknown>> }).messages[0];
      expect(message).toMatchObject({ type: "human", content: "hello" });
      expect(typeof message?.id).toBe("string");

      const thread = await server.client.threads.get(t.thread_id);
      expect(thread.values).toEqual(state.values);
      const found = await server.client.threads.search({ values: { messages: [{ content: "hello" }] } });
      expect(found.map((x) => x.thread_id)).toEqual([t.thread_id]);
      await expectStatus(server.client.threads.updateState(t.thread_id, { values: human("x"), asNode: "ghost" }), 422);
    });

    test("an update as __start__ leaves the next node pending with its task", async () => {
      const t = await server.client.threads.create({ graphId: "agent" });
      await server.client.threads.updateState(t.thread_id, { values: human("queued"), asNode: "__start__" });
      const state = await server.client.threads.getState(t.thread_id);
      expect(state.next).toEqual(["agent"]);
      expect(state.tasks).toEqual([expect.objectContaining({ name: "agent", error: null, interrupts: [] })]);
    });

    test("state at a checkpoint id and by checkpoint object; forking from an older checkpoint", async () => {
      const t = await server.client.threads.create({ graphId: "agent" });
      const first = await server.client.threads.updateState(t.thread_id, { values: human("one"), asNode: "agent" });
      await server.client.threads.updateState(t.thread_id, { values: human("two"), asNode: "agent" });
      const firstId = first.configurable?.checkpoint_id as string;

      const atFirst = await server.client.threads.getState(t.thread_id, firstId);
      expect((atFirst.values as { messages: unknown[] }).messages.length).toBe(1);
      const byObject = await server.client.threads.getState(t.thread_id, {
        thread_id: t.thread_id,
        checkpoint_id: firstId,
        checkpoint_ns: "",
        checkpoint_map: null,
      });
      expect(byObject.checkpoint.checkpoint_id).toBe(firstId);
      await expectStatus(server.client.threads.getState(t.thread_id, "1ef00000-0000-6000-8000-00000000dead"), 404);

      const fork = await server.client.threads.updateState(t.thread_id, {
        values: human("branch"),
        asNode: "agent",
        checkpointId: firstId,
      });
      const forked = await server.client.threads.getState(t.thread_id, fork.configurable?.checkpoint_id as string);
      expect(forked.parent_checkpoint?.checkpoint_id).toBe(firstId);
      expect((forked.values as { messages: Array<{ content: string }> }).messages.map((m) => m.content)).toEqual([
        "one",
        "branch",
      ]);
    });

    test("history via POST and GET: newest first, limit, before, metadata filter", async () => {
      const t = await server.client.threads.create({ graphId: "agent" });
      for (const word of ["a", "b", "c"]) {
        await server.client.threads.updateState(t.thread_id, { values: human(word), asNode: "agent" });
      }
      const all = await server.client.threads.getHistory(t.thread_id);
      expect(all.map((s) => (s.values as { messages: unknown[] }).messages.length)).toEqual([3, 2, 1]);
      const two = await server.client.threads.getHistory(t.thread_id, { limit: 2 });
      expect(two.length).toBe(2);
      const before = await server.client.threads.getHistory(t.thread_id, {
        before: { checkpoint_id: all[0]?.checkpoint.checkpoint_id } as never,
      });
      expect(before.map((s) => s.checkpoint.checkpoint_id)).toEqual(
        all.slice(1).map((s) => s.checkpoint.checkpoint_id),
      );
      const step1 = await server.client.threads.getHistory(t.thread_id, { metadata: { step: 1 } });
      expect(step1.map((s) => s.checkpoint.checkpoint_id)).toEqual([all[1]?.checkpoint.checkpoint_id]);

      const res = await fetch(
        `${server.url}/threads/${t.thread_id}/history?limit=1&before=${all[0]?.checkpoint.checkpoint_id}`,
      );
      expect(res.status).toBe(200);
      const viaGet = (await res.json()) as Array<{ checkpoint: { checkpoint_id: string } }>;
      expect(viaGet.map((s) => s.checkpoint.checkpoint_id)).toEqual([all[1]?.checkpoint.checkpoint_id as string]);
      expect(await server.client.threads.getHistory((await server.client.threads.create()).thread_id)).toEqual([]);
      await expectStatus(server.client.threads.getHistory(crypto.randomUUID()), 404);
    });

    test("search by metadata, status and ids, with sort, paging and select; count", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        ids.push((await server.client.threads.create({ metadata: { i, color: i % 2 ? "red" : "blue" } })).thread_id);
      }
      const red = await server.client.threads.search({
        metadata: { color: "red" },
        sortBy: "created_at",
        sortOrder: "asc",
      });
      expect(red.map((t) => t.thread_id)).toEqual([ids[1], ids[3]] as string[]);
      expect((await server.client.threads.search({ status: "idle", limit: 100 })).length).toBe(4);
      expect(await server.client.threads.search({ status: "interrupted" })).toEqual([]);
      const some = await server.client.threads.search({
        ids: [ids[0] as string, ids[2] as string],
        sortBy: "created_at",
        sortOrder: "asc",
      });
      expect(some.map((t) => t.thread_id)).toEqual([ids[0], ids[2]] as string[]);
      const paged = await server.client.threads.search({ limit: 3, offset: 3, sortBy: "created_at", sortOrder: "asc" });
      expect(paged.map((t) => t.thread_id)).toEqual([ids[3]] as string[]);
      const selected = await server.client.threads.search({ limit: 1, select: ["thread_id", "status"] });
      expect(Object.keys(selected[0] ?? {}).sort()).toEqual(["status", "thread_id"]);
      expect(await server.client.threads.count()).toBe(4);
      expect(await server.client.threads.count({ metadata: { color: "blue" } })).toBe(2);
      expect(await server.client.threads.count({ status: "busy" })).toBe(0);
    });

    test("copy duplicates metadata, values and checkpoints; the copy evolves independently", async () => {
      const t = await server.client.threads.create({ graphId: "agent", metadata: { owner: "me" } });
      await server.client.threads.updateState(t.thread_id, { values: human("original"), asNode: "agent" });
      const copy = await server.client.threads.copy(t.thread_id);
      expect(copy.thread_id).not.toBe(t.thread_id);
      expect(copy.metadata).toEqual({ graph_id: "agent", owner: "me" });
      const original = await server.client.threads.getState(t.thread_id);
      const copied = await server.client.threads.getState(copy.thread_id);
      expect(copied.values).toEqual(original.values);
      expect(copied.checkpoint.checkpoint_id).toBe(original.checkpoint.checkpoint_id);
      expect(copied.checkpoint.thread_id).toBe(copy.thread_id);
      await server.client.threads.updateState(copy.thread_id, { values: human("only in copy"), asNode: "agent" });
      expect(
        ((await server.client.threads.getState(t.thread_id)).values as { messages: unknown[] }).messages.length,
      ).toBe(1);
      expect(
        ((await server.client.threads.getState(copy.thread_id)).values as { messages: unknown[] }).messages.length,
      ).toBe(2);
      await expectStatus(server.client.threads.copy(crypto.randomUUID()), 404);
    });

    test("delete removes the thread and its checkpoints", async () => {
      const threadId = crypto.randomUUID();
      await server.client.threads.create({ threadId, graphId: "agent" });
      await server.client.threads.updateState(threadId, { values: human("bye"), asNode: "agent" });
      await server.client.threads.delete(threadId);
      await expectStatus(server.client.threads.get(threadId), 404);
      await expectStatus(server.client.threads.delete(threadId), 404);
      // Re-using the id shows no leftover checkpoints.
      await server.client.threads.create({ threadId, graphId: "agent" });
      expect(await server.client.threads.getHistory(threadId)).toEqual([]);
      expect((await server.client.threads.getState(threadId)).checkpoint).toBeNull();
    });
  });
}
