import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { sql } from "kysely";
import type { Database } from "../database.ts";
import { KNOWN_MIGRATIONS, migrateToLatest, readSchemaStatus } from "../migrations.ts";
import { createStorage, type Storage } from "../storage.ts";
import { rejection } from "./rejection.ts";

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
      await storage.truncate({ threads: true, assistants: true, checkpointer: true, store: true });
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
        expect((await rejection(migrateToLatest(db as never))).message).toMatch(/newer than this build/);
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
      expect(await rejection(storage.assistants.create({ assistant_id: id, graph_id: "agent" }))).toMatchObject({
        code: "conflict",
      });
      const again = await storage.assistants.create({ assistant_id: id, graph_id: "other", if_exists: "do_nothing" });
      expect(again.created).toBe(false);
      expect(again.assistant.graph_id).toBe("agent");
      expect(await rejection(storage.assistants.get(crypto.randomUUID()))).toMatchObject({ code: "not_found" });
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
      expect(await rejection(storage.assistants.setLatest(id, 7))).toMatchObject({ code: "not_found" });
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
      expect(await rejection(storage.threads.create({ thread_id: id }))).toMatchObject({ code: "conflict" });
      const patched = await storage.threads.patch(id, { metadata: { b: 2 } });
      expect(patched.metadata).toEqual({ a: 1, b: 2 });
      await storage.threads.delete(id);
      expect(await rejection(storage.threads.get(id))).toMatchObject({ code: "not_found" });
      expect(await rejection(storage.threads.delete(id))).toMatchObject({ code: "not_found" });
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

    const newThread = async () => (await storage.threads.create({ thread_id: crypto.randomUUID() })).thread.thread_id;
    const runInput = (threadId: string, strategy: "reject" | "enqueue" | "interrupt" | "rollback" = "reject") => ({
      run_id: crypto.randomUUID(),
      thread_id: threadId,
      assistant_id: crypto.randomUUID(),
      kwargs: { input: { n: 1 } },
      multitask_strategy: strategy,
    });
    const ok = { status: "success" as const, thread: { status: "idle" as const, values: {}, interrupts: {} } };

    test("runs: create needs the thread unless if_not_exists=create; the thread turns busy", async () => {
      const missing = crypto.randomUUID();
      expect(await rejection(storage.runs.create(runInput(missing)))).toMatchObject({ code: "not_found" });
      const { run } = await storage.runs.create({
        ...runInput(missing),
        if_not_exists: "create",
        thread_metadata: { graph_id: "g" },
      });
      expect(run).toMatchObject({ status: "pending", thread_id: missing, attempt: 0, kwargs: { input: { n: 1 } } });
      expect(await storage.threads.get(missing)).toMatchObject({ status: "busy", metadata: { graph_id: "g" } });
    });

    test("runs: 20 concurrent creates with reject on one thread leave exactly one active run", async () => {
      const threadId = await newThread();
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => storage.runs.create(runInput(threadId))),
      );
      expect(results.filter((r) => r.status === "fulfilled").length).toBe(1);
      const rejected = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
      expect(rejected.every((r) => (r.reason as { code?: string }).code === "conflict")).toBe(true);
      expect((await storage.runs.activeIds({ threadId })).length).toBe(1);
    });

    test("runs: a rolled-back run's finish deletes it in the same statement and settles the thread", async () => {
      const threadId = await newThread();
      const first = (await storage.runs.create(runInput(threadId, "enqueue"))).run;
      const second = (await storage.runs.create(runInput(threadId, "enqueue"))).run;
      expect((await storage.runs.claim("w1", 30_000))?.run_id).toBe(first.run_id);
      const interrupted = { ...ok, status: "interrupted" as const };
      expect(await storage.runs.finish("w2", first.run_id, interrupted, { deleteRun: true })).toEqual({
        finished: false,
        queued: false,
      });
      expect(await storage.runs.find(first.run_id)).toMatchObject({ status: "running" });
      expect(await storage.runs.finish("w1", first.run_id, interrupted, { deleteRun: true })).toEqual({
        finished: true,
        queued: true,
      });
      expect(await storage.runs.find(first.run_id)).toBeUndefined();
      expect((await storage.threads.get(threadId)).status).toBe("busy");
      expect((await storage.runs.claim("w2", 30_000))?.run_id).toBe(second.run_id);
    });

    test("runs: enqueue runs one at a time per thread, in order; finish settles the thread", async () => {
      const threadId = await newThread();
      const first = (await storage.runs.create(runInput(threadId, "enqueue"))).run;
      const second = (await storage.runs.create(runInput(threadId, "enqueue"))).run;
      const claimed = await storage.runs.claim("w1", 30_000);
      expect(claimed).toMatchObject({ run_id: first.run_id, status: "running", attempt: 1 });
      expect(await storage.runs.claim("w2", 30_000)).toBeUndefined();
      expect(await storage.runs.finish("w2", first.run_id, ok)).toEqual({ finished: false, queued: false });
      expect(await storage.runs.finish("w1", first.run_id, ok)).toEqual({ finished: true, queued: true });
      expect((await storage.threads.get(threadId)).status).toBe("busy");
      expect((await storage.runs.claim("w2", 30_000))?.run_id).toBe(second.run_id);
      expect(
        await storage.runs.finish("w2", second.run_id, { ...ok, thread: { ...ok.thread, values: { done: true } } }),
      ).toEqual({ finished: true, queued: false });
      expect(await storage.threads.get(threadId)).toMatchObject({ status: "idle", values: { done: true } });
      const listed = await storage.runs.list(threadId, { limit: 10, offset: 0 });
      expect(listed.map((r) => [r.run_id, r.status])).toEqual([
        [second.run_id, "success"],
        [first.run_id, "success"],
      ]);
    });

    test("runs: interrupt flags the running run for its worker and cancels pending ones; rollback deletes them", async () => {
      const threadId = await newThread();
      const running = (await storage.runs.create(runInput(threadId, "enqueue"))).run;
      await storage.runs.claim("w1", 30_000);
      const queued = (await storage.runs.create(runInput(threadId, "enqueue"))).run;
      const { cancelled } = await storage.runs.create(runInput(threadId, "interrupt"));
      expect(cancelled).toEqual([
        { run_id: running.run_id, was: "running", action: "interrupt" },
        { run_id: queued.run_id, was: "pending", action: "interrupt" },
      ]);
      expect((await storage.runs.find(queued.run_id))?.status).toBe("interrupted");
      expect(await storage.runs.heartbeat("w1", [running.run_id], 30_000)).toEqual([
        { run_id: running.run_id, action: "interrupt" },
      ]);
      const other = await newThread();
      const pending = (await storage.runs.create(runInput(other, "enqueue"))).run;
      await storage.runs.create(runInput(other, "rollback"));
      expect(await storage.runs.find(pending.run_id)).toBeUndefined();
    });

    test("runs: an expired lease returns the run to the queue; past the attempt limit it ends error", async () => {
      const threadId = await newThread();
      const { run } = await storage.runs.create(runInput(threadId));
      await storage.runs.claim("dead-worker", 1);
      await Bun.sleep(20);
      expect(await storage.runs.sweep(2)).toEqual([{ run_id: run.run_id, status: "pending" }]);
      expect((await storage.runs.claim("w2", 1))?.attempt).toBe(2);
      await Bun.sleep(20);
      expect(await storage.runs.sweep(2)).toEqual([{ run_id: run.run_id, status: "error" }]);
      expect(await storage.runs.find(run.run_id)).toMatchObject({
        status: "error",
        error: { error: "RunAttemptsExhausted" },
      });
      expect((await storage.threads.get(threadId)).status).toBe("error");
    });

    test("runs: a heartbeat renews only the leases the worker still holds", async () => {
      const threadId = await newThread();
      const { run } = await storage.runs.create(runInput(threadId));
      await storage.runs.claim("w1", 1);
      await Bun.sleep(20);
      // Not yet swept: the lease is expired but still w1's, so the heartbeat renews it.
      expect(await storage.runs.heartbeat("w1", [run.run_id], 1)).toEqual([{ run_id: run.run_id, action: null }]);
      await Bun.sleep(20);
      expect(await storage.runs.sweep(5)).toEqual([{ run_id: run.run_id, status: "pending" }]);
      expect(await storage.runs.heartbeat("w1", [run.run_id], 30_000)).toEqual([]);
      expect((await storage.runs.claim("w2", 30_000))?.attempt).toBe(2);
      expect(await storage.runs.heartbeat("w1", [run.run_id], 30_000)).toEqual([]);
      expect(await storage.runs.heartbeat("w2", [run.run_id], 30_000)).toEqual([{ run_id: run.run_id, action: null }]);
      const outcome = { status: "success" as const, thread: { status: "idle" as const, values: {}, interrupts: {} } };
      expect((await storage.runs.finish("w1", run.run_id, outcome)).finished).toBe(false);
      expect((await storage.runs.finish("w2", run.run_id, outcome)).finished).toBe(true);
    });

    test("runs: after_seconds delays the claim", async () => {
      const threadId = await newThread();
      await storage.runs.create({ ...runInput(threadId), after_seconds: 60 });
      expect(await storage.runs.claim("w1", 30_000)).toBeUndefined();
    });

    test("runs: a run with a lease starts at once when its thread is free, else it queues", async () => {
      const threadId = await newThread();
      const lease = { owner: "local", ms: 30_000 };
      const { run } = await storage.runs.create({ ...runInput(threadId, "enqueue"), lease });
      expect(run).toMatchObject({ status: "running", attempt: 1 });
      expect(await storage.runs.claim("other", 30_000)).toBeUndefined();
      // The thread is taken: the next run queues even though it offers a lease.
      const queued = (await storage.runs.create({ ...runInput(threadId, "enqueue"), lease })).run;
      expect(queued.status).toBe("pending");
      // A delayed run never starts under a lease.
      const other = await newThread();
      const delayed = await storage.runs.create({ ...runInput(other), lease, after_seconds: 60 });
      expect(delayed.run.status).toBe("pending");
      expect(await storage.runs.finish("local", run.run_id, ok)).toEqual({ finished: true, queued: true });
      expect((await storage.runs.claim("other", 30_000))?.run_id).toBe(queued.run_id);
    });

    test("runs: a stateless run creates its thread busy; deleting it needs the lease and leaves nothing", async () => {
      const threadId = crypto.randomUUID();
      const { run } = await storage.runs.create({
        ...runInput(threadId),
        new_thread: true,
        thread_metadata: { graph_id: "g" },
        lease: { owner: "local", ms: 30_000 },
      });
      expect(run).toMatchObject({ status: "running", thread_id: threadId });
      expect(await storage.threads.get(threadId)).toMatchObject({ status: "busy", metadata: { graph_id: "g" } });
      await storage.checkpoints.saver.put(
        { configurable: { thread_id: threadId, checkpoint_ns: "" } },
        {
          v: 4,
          id: "1ef00000-0000-6000-8000-000000000009",
          ts: new Date().toISOString(),
          channel_values: { n: 1 },
          channel_versions: {},
          versions_seen: {},
        },
        { source: "loop", step: 0, parents: {} },
        {},
      );
      expect(await storage.deleteTemporaryThread(threadId, run.run_id, "someone-else")).toBe(false);
      expect(await storage.runs.find(run.run_id)).toBeDefined();
      expect(await storage.deleteTemporaryThread(threadId, run.run_id, "local")).toBe(true);
      expect(await storage.runs.find(run.run_id)).toBeUndefined();
      expect(await rejection(storage.threads.get(threadId))).toMatchObject({ code: "not_found" });
      expect(await storage.checkpoints.countRows(threadId)).toBe(0);
      expect(await rejection(storage.deleteThread(threadId))).toMatchObject({ code: "not_found" });
    });

    test("store: expired items are invisible at once and removed by the sweep; others stay", async () => {
      await storage.store.putItem(["s"], "short", { v: 1 }, 0.0005); // 30 ms
      await storage.store.putItem(["s"], "long", { v: 2 }, 60);
      await storage.store.putItem(["s"], "forever", { v: 3 });
      await Bun.sleep(60);
      expect(await storage.store.getItem(["s"], "short")).toBeNull();
      expect(await storage.store.sweep()).toBe(1);
      expect(await storage.store.sweep()).toBe(0);
      const left = await storage.store.searchItems({ namespacePrefix: ["s"], limit: 10, offset: 0 });
      expect(left.map((i) => i.key).sort()).toEqual(["forever", "long"]);
    });

    test("store: the LangGraph store interface reads and writes the same items", async () => {
      await storage.store.put(["g", "x"], "k", { a: 1 });
      expect((await storage.store.getItem(["g", "x"], "k"))?.value).toEqual({ a: 1 });
      expect((await storage.store.get(["g", "x"], "k"))?.value).toEqual({ a: 1 });
      expect((await storage.store.search(["g"])).map((i) => i.key)).toEqual(["k"]);
      expect(await storage.store.listNamespaces({ prefix: ["g"] })).toEqual([["g", "x"]]);
      await storage.store.delete(["g", "x"], "k");
      expect(await storage.store.getItem(["g", "x"], "k")).toBeNull();
      // LangGraph's own check refuses it before it reaches the table.
      expect((await rejection(storage.store.put(["bad.label"], "k", {}))).message).toMatch(/period/i);
    });

    test("crons: a due tick is claimed once; a tick missed long ago fires once, the rest are skipped", async () => {
      const cron = await storage.crons.create({
        assistant_id: crypto.randomUUID(),
        schedule: "*/5 * * * *",
        payload: {},
      });
      expect(await storage.crons.claimDue(10)).toEqual([]);
      // As if every process had been down for an hour.
      await sql`update crons set next_run_date = now() - interval '1 hour' where cron_id = ${cron.cron_id}`.execute(
        storage.database.db,
      );
      const [first, second] = await Promise.all([storage.crons.claimDue(10), storage.crons.claimDue(10)]);
      expect([...(first ?? []), ...(second ?? [])].map((d) => d.cron_id)).toEqual([cron.cron_id]);
      expect(await storage.crons.claimDue(10)).toEqual([]);
      const next = Date.parse((await storage.crons.get(cron.cron_id)).next_run_date as string);
      expect(next).toBeGreaterThan(Date.now());
      expect(next - Date.now()).toBeLessThanOrEqual(5 * 60_000);
    });

    test("crons: many concurrent claimers take each due tick exactly once", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const cron = await storage.crons.create({
          assistant_id: crypto.randomUUID(),
          schedule: "0 0 1 1 *",
          payload: {},
        });
        ids.push(cron.cron_id);
      }
      await sql`update crons set next_run_date = now() - interval '1 minute'`.execute(storage.database.db);
      const claimed: string[] = [];
      const claimer = async () => {
        for (let round = 0; round < 20; round++) {
          const due = await storage.crons.claimDue(5);
          claimed.push(...due.map((d) => d.cron_id));
        }
      };
      await Promise.all(Array.from({ length: 8 }, claimer));
      expect(claimed.length).toBe(30);
      expect([...claimed].sort()).toEqual([...ids].sort());
    });

    test("crons: past end_time a cron disables itself instead of firing", async () => {
      const cron = await storage.crons.create({
        assistant_id: crypto.randomUUID(),
        schedule: "* * * * *",
        payload: {},
        end_time: new Date(Date.now() + 1000).toISOString(),
      });
      // The tick is due, but the cron ended before it.
      await sql`update crons set end_time = now() - interval '2 seconds', next_run_date = now() - interval '1 second'
                where cron_id = ${cron.cron_id}`.execute(storage.database.db);
      expect(await storage.crons.claimDue(10)).toEqual([]);
      expect(await storage.crons.get(cron.cron_id)).toMatchObject({ enabled: false, next_run_date: null });
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

    test("a checkpoint with its blobs, and a task's writes, are one statement each and read back whole", async () => {
      const saver = storage.checkpoints.saver;
      const next = (v?: string) => (saver as unknown as { getNextVersion(v?: string): string }).getNextVersion(v);
      const config = { configurable: { thread_id: crypto.randomUUID(), checkpoint_ns: "" } };
      const versions = { thé: next(), nested: next(), gone: next() };
      const values = { thé: "x".repeat(100_000), nested: { list: [1, "ü", null], deep: { ok: true } } };
      const pool = storage.database.pool;
      const query = pool.query;
      let statements = 0;
      pool.query = ((...args: Parameters<typeof query>) => {
        statements++;
        return (query as (...a: unknown[]) => unknown).apply(pool, args);
      }) as typeof query;
      try {
        const saved = await saver.put(
          config,
          {
            v: 4,
            id: "1ef00000-0000-6000-8000-0000000000a1",
            ts: new Date().toISOString(),
            channel_values: values,
            channel_versions: versions,
            versions_seen: {},
          },
          { source: "input", step: -1, parents: {} },
          versions,
        );
        expect(statements).toBe(1);
        // A special channel written twice in one call keeps the last value (the stock saver's upsert order).
        await saver.putWrites(
          saved,
          [
            ["__interrupt__", 1],
            ["__interrupt__", 2],
          ],
          "task-a",
        );
        await saver.putWrites(
          saved,
          [
            ["thé", "y"],
            ["nested", "z"],
          ],
          "task-b",
        );
        expect(statements).toBe(3);
      } finally {
        pool.query = query;
      }
      const tuple = await saver.getTuple(config);
      // `gone` has a version but no value: it reads back absent, as from the stock saver.
      expect(tuple?.checkpoint.channel_values).toEqual(values);
      expect(tuple?.pendingWrites).toEqual([
        ["task-a", "__interrupt__", 2],
        ["task-b", "thé", "y"],
        ["task-b", "nested", "z"],
      ]);
      const listed = [];
      for await (const entry of saver.list(config)) listed.push(entry);
      expect(listed.map((entry) => entry.checkpoint.channel_values)).toEqual([values]);
      expect(listed[0]?.pendingWrites).toEqual(tuple?.pendingWrites);
    });

    test("deleting a run's checkpoints leaves the thread as it was before the run, with no orphans", async () => {
      const saver = storage.checkpoints.saver;
      const threadId = crypto.randomUUID();
      const config = { configurable: { thread_id: threadId, checkpoint_ns: "" } };
      const base = { v: 4, ts: new Date().toISOString(), versions_seen: {} };
      const v1 = (saver as unknown as { getNextVersion(v?: string): string }).getNextVersion(undefined);
      const before = await saver.put(
        config,
        {
          ...base,
          id: "1ef00000-0000-6000-8000-000000000001",
          channel_values: { topic: "cats" },
          channel_versions: { topic: v1 },
        },
        { source: "update", step: 0, parents: {} },
        { topic: v1 },
      );
      const rowsBefore = await storage.checkpoints.countRows(threadId);
      const v2 = (saver as unknown as { getNextVersion(v?: string): string }).getNextVersion(v1);
      const during = await saver.put(
        { configurable: { ...before.configurable, run_id: "run-x" } },
        {
          ...base,
          id: "1ef00000-0000-6000-8000-000000000002",
          channel_values: { topic: "dogs" },
          channel_versions: { topic: v2 },
        },
        { source: "loop", step: 1, parents: {} },
        { topic: v2 },
      );
      await saver.putWrites(during, [["topic", "birds"]], "task-x");
      expect(await storage.checkpoints.countRows(threadId)).toBeGreaterThan(rowsBefore);
      await storage.checkpoints.deleteRun(threadId, "run-x");
      expect(await storage.checkpoints.countRows(threadId)).toBe(rowsBefore);
      expect((await saver.getTuple(config))?.checkpoint.channel_values).toEqual({ topic: "cats" });
    });

    test("checkpoints copy to a new thread; deleting a thread leaves no orphans", async () => {
      const saver = storage.checkpoints.saver;
      const from = crypto.randomUUID();
      await storage.threads.create({ thread_id: from });
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
      const saved = await saver.put(
        { configurable: { ...config.configurable, run_id: "run-1" } },
        checkpoint,
        { source: "update", step: 0, parents: {} },
        { topic: 1 },
      );
      expect((await saver.getTuple(config))?.metadata).toMatchObject({ run_id: "run-1" });
      await saver.putWrites(saved, [["topic", "dogs"]], "task-1");
      const before = await storage.checkpoints.countRows(from);
      expect(before).toBeGreaterThanOrEqual(3);
      await storage.checkpoints.copyThread(from, to);
      expect(await storage.checkpoints.countRows(to)).toBe(before);
      const copied = await saver.getTuple({ configurable: { thread_id: to, checkpoint_ns: "" } });
      expect(copied?.checkpoint.channel_values).toEqual({ topic: "cats" });
      expect(copied?.pendingWrites?.[0]?.[2]).toBe("dogs");
      await storage.deleteThread(from);
      expect(await storage.checkpoints.countRows(from)).toBe(0);
      expect(await storage.checkpoints.countRows(to)).toBe(before);
    });
  });
}
