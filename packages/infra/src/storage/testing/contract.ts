import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { sql } from "kysely";
import type { Database } from "../database.ts";
import { KNOWN_MIGRATIONS, migrateToLatest, readSchemaStatus } from "../migrations.ts";
import { createStorage, type Storage } from "../storage.ts";

/** The one storage contract: every adapter (PGlite, PostgreSQL) must pass it unchanged. */
export function describeStorageContract(name: string, open: () => Promise<Database>): void {
  describe(`storage contract: ${name}`, () => {
    let storage: Storage;

    beforeAll(async () => {
      storage = await createStorage(await open(), { migrate: true });
    });
    afterAll(async () => {
      await storage?.database.close();
    });
    beforeEach(async () => {
      await storage.truncate({ threads: true, assistants: true, checkpointer: true });
    });

    test("migrations are recorded and re-running applies nothing", async () => {
      const db = storage.database.db as never;
      const status = await readSchemaStatus(db);
      expect(status.applied).toEqual([...KNOWN_MIGRATIONS]);
      expect(status.pending).toEqual([]);
      expect(await migrateToLatest(db)).toEqual([]);
    });

    test("a schema newer than the code is refused", async () => {
      const db = storage.database.db;
      await sql`insert into kysely_migration (name, timestamp) values ('9999_from_the_future', now())`.execute(db);
      try {
        await expect(migrateToLatest(db as never)).rejects.toThrow(/newer than this build/);
      } finally {
        await sql`delete from kysely_migration where name = '9999_from_the_future'`.execute(db);
      }
    });

    test("assistant create, if_exists, get and 404", async () => {
      const id = crypto.randomUUID();
      const { assistant, created } = await storage.assistants.create({
        assistant_id: id,
        graph_id: "agent",
        metadata: { team: "a" },
        config: { configurable: { model: "fake:echo" } },
      });
      expect(created).toBe(true);
      expect(assistant).toMatchObject({ assistant_id: id, graph_id: "agent", name: "agent", version: 1 });
      await expect(storage.assistants.create({ assistant_id: id, graph_id: "agent" })).rejects.toMatchObject({
        code: "conflict",
      });
      const again = await storage.assistants.create({ assistant_id: id, graph_id: "other", if_exists: "do_nothing" });
      expect(again.created).toBe(false);
      expect(again.assistant.graph_id).toBe("agent");
      await expect(storage.assistants.get(crypto.randomUUID())).rejects.toMatchObject({ code: "not_found" });
    });

    test("assistant update writes a version, merges metadata, and setLatest rolls back", async () => {
      const id = crypto.randomUUID();
      await storage.assistants.create({ assistant_id: id, graph_id: "agent", metadata: { a: 1 }, name: "one" });
      const v2 = await storage.assistants.update(id, { metadata: { b: 2 }, name: "two" });
      expect(v2).toMatchObject({ version: 2, name: "two", metadata: { a: 1, b: 2 } });
      const versions = await storage.assistants.versions(id, { limit: 10, offset: 0 });
      expect(versions.map((v) => v.version)).toEqual([2, 1]);
      const filtered = await storage.assistants.versions(id, { metadata: { b: 2 }, limit: 10, offset: 0 });
      expect(filtered.map((v) => v.version)).toEqual([2]);
      const back = await storage.assistants.setLatest(id, 1);
      expect(back).toMatchObject({ version: 1, name: "one", metadata: { a: 1 } });
      await expect(storage.assistants.setLatest(id, 7)).rejects.toMatchObject({ code: "not_found" });
    });

    test("assistant search filters, sorts, pages and counts", async () => {
      for (let i = 0; i < 5; i++) {
        await storage.assistants.create({
          assistant_id: crypto.randomUUID(),
          graph_id: i % 2 === 0 ? "even" : "odd",
          name: `bot-${i}`,
          metadata: { i, kind: i % 2 === 0 ? "even" : "odd" },
        });
      }
      expect(await storage.assistants.count({})).toBe(5);
      expect(await storage.assistants.count({ graph_id: "even" })).toBe(3);
      expect(await storage.assistants.count({ metadata: { kind: "odd" } })).toBe(2);
      expect(await storage.assistants.count({ name: "BOT-3" })).toBe(1);
      const first = await storage.assistants.search({ limit: 2, offset: 0, sort_by: "name", sort_order: "asc" });
      expect(first.items.map((a) => a.name)).toEqual(["bot-0", "bot-1"]);
      expect(first.next).toBe(2);
      const last = await storage.assistants.search({ limit: 2, offset: 4, sort_by: "name", sort_order: "asc" });
      expect(last.items.map((a) => a.name)).toEqual(["bot-4"]);
      expect(last.next).toBeNull();
    });

    test("thread create, patch merges metadata, delete", async () => {
      const id = crypto.randomUUID();
      const { thread } = await storage.threads.create({ thread_id: id, metadata: { a: 1 } });
      expect(thread).toMatchObject({ thread_id: id, status: "idle", metadata: { a: 1 }, values: null });
      await expect(storage.threads.create({ thread_id: id })).rejects.toMatchObject({ code: "conflict" });
      const patched = await storage.threads.patch(id, { metadata: { b: 2 } });
      expect(patched.metadata).toEqual({ a: 1, b: 2 });
      await storage.threads.delete(id);
      await expect(storage.threads.get(id)).rejects.toMatchObject({ code: "not_found" });
      await expect(storage.threads.delete(id)).rejects.toMatchObject({ code: "not_found" });
    });

    test("thread search by metadata, values, status and ids", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const id = crypto.randomUUID();
        ids.push(id);
        await storage.threads.create({ thread_id: id, metadata: { n: i, parity: i % 2 } });
      }
      await storage.threads.recordState(ids[0] as string, {
        values: { topic: "cats", items: [1, 2] },
        status: "interrupted",
        interrupts: {},
      });
      expect(await storage.threads.count({})).toBe(4);
      expect(await storage.threads.count({ metadata: { parity: 1 } })).toBe(2);
      expect(await storage.threads.count({ values: { topic: "cats" } })).toBe(1);
      expect(await storage.threads.count({ status: "interrupted" })).toBe(1);
      const byIds = await storage.threads.search({ ids: ids.slice(1, 3), limit: 10, offset: 0 });
      expect(byIds.items.map((t) => t.thread_id).sort()).toEqual(ids.slice(1, 3).sort());
      const oldest = await storage.threads.search({ limit: 1, offset: 0, sort_order: "asc" });
      expect(oldest.items[0]?.thread_id).toBe(ids[0]);
      expect(oldest.next).toBe(1);
      const values = await storage.threads.get(ids[0] as string);
      expect(values.values).toEqual({ topic: "cats", items: [1, 2] });
    });

    test("channel versions are ordered and unique, so forked branches never share a blob", () => {
      const saver = storage.checkpoints.saver as unknown as { getNextVersion(v?: string): string };
      const first = saver.getNextVersion(undefined);
      const second = saver.getNextVersion(first);
      const sibling = saver.getNextVersion(first);
      expect(second > first).toBe(true);
      expect(sibling > first).toBe(true);
      expect(sibling).not.toBe(second);
      expect(saver.getNextVersion("00000000000000000000000000000009.1") > "00000000000000000000000000000009.9").toBe(
        true,
      );
    });

    test("checkpoints copy to a new thread and delete without orphans", async () => {
      const saver = storage.checkpoints.saver;
      const from = crypto.randomUUID();
      const to = crypto.randomUUID();
      const config = { configurable: { thread_id: from, checkpoint_ns: "" } };
      const checkpoint = {
        v: 4,
        id: "1ef00000-0000-6000-8000-000000000001",
        ts: new Date().toISOString(),
        channel_values: { topic: "cats" },
        channel_versions: { topic: 1 },
        versions_seen: {},
      };
      const saved = await saver.put(config, checkpoint, { source: "update", step: 0, parents: {} }, { topic: 1 });
      await saver.putWrites(saved, [["topic", "dogs"]], "task-1");
      const before = await storage.checkpoints.countRows(from);
      expect(before).toBeGreaterThanOrEqual(3);
      await storage.checkpoints.copyThread(from, to);
      expect(await storage.checkpoints.countRows(to)).toBe(before);
      const copied = await saver.getTuple({ configurable: { thread_id: to, checkpoint_ns: "" } });
      expect(copied?.checkpoint.channel_values).toEqual({ topic: "cats" });
      expect(copied?.pendingWrites?.[0]?.[2]).toBe("dogs");
      await storage.checkpoints.deleteThread(from);
      expect(await storage.checkpoints.countRows(from)).toBe(0);
      expect(await storage.checkpoints.countRows(to)).toBe(before);
    });
  });
}
