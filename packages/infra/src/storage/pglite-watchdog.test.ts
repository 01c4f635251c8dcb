// The embedded database's watchdog: PGlite ignores statement_timeout, so a statement that never
// returns must not wedge the server. The waiting statements fail as "database unavailable" (503),
// the thread is replaced from its files, nothing committed is lost, and close() is bounded.
import { afterEach, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import pg from "pg";
import { type Database, openDatabase } from "./database.ts";
import { openPGliteThread, type PGliteEvent } from "./pglite-thread.ts";
import { createStorage } from "./storage.ts";
import { migratedDataDir } from "./testing/pglite.ts";
import { rejection } from "./testing/rejection.ts";
import { isDatabaseUnavailable } from "./unavailable.ts";

const RUNAWAY = "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r";
const WATCHDOG_MS = 600;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(dataDir: string, events: PGliteEvent[] = []): Promise<Database> {
  const database = await openDatabase({
    kind: "pglite",
    dataDir,
    statementTimeoutMs: WATCHDOG_MS,
    onEvent: (event) => events.push(event),
  });
  cleanups.push(() => database.close());
  return database;
}

/** A data dir of its own: a copy of a migrated one (a new directory would cost initdb each time). */
async function tempDir(): Promise<string> {
  const dir = await migratedDataDir("fractal-watchdog-");
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error("condition not reached in time");
    await Bun.sleep(20);
  }
}

test("a runaway statement fails as unavailable, the thread restarts, and committed data survives", async () => {
  const events: PGliteEvent[] = [];
  const database = await open(await tempDir(), events);
  const storage = await createStorage(database, { migrate: true });
  const kept = crypto.randomUUID();
  await storage.threads.create({ thread_id: kept });

  // An open transaction with a row it never commits, then a statement that never returns.
  const client = await database.pool.connect();
  await client.query("begin");
  await client.query("create table scratch (n int)");
  await client.query("insert into scratch values (1)");
  const began = performance.now();
  const error = await rejection(client.query(RUNAWAY));
  const waited = performance.now() - began;
  client.release(error);

  expect(isDatabaseUnavailable(error)).toBe(true);
  expect(error.message).toMatch(/did not answer within 600 ms/);
  expect(waited).toBeGreaterThanOrEqual(WATCHDOG_MS - 50);
  expect(waited).toBeLessThan(WATCHDOG_MS + 5_000);
  expect(events[0]?.kind).toBe("stuck");

  await until(() => database.health().state === "ok");
  expect(database.health().restarts).toBe(1);
  expect(events.map((e) => e.kind)).toEqual(["stuck", "restarted"]);
  // Committed: still there. Never committed: rolled back by the restart.
  expect((await storage.threads.get(kept)).thread_id).toBe(kept);
  const scratch = await database.pool.query("select to_regclass('scratch') as t");
  expect(scratch.rows[0].t).toBeNull();
  // And the database takes new work.
  const added = crypto.randomUUID();
  await storage.threads.create({ thread_id: added });
  expect((await storage.threads.get(added)).thread_id).toBe(added);
  expect(await database.ping(2_000)).toBe(true);
}, 30_000);

test("a request waiting for the session behind the stuck statement fails as unavailable within the bound", async () => {
  const database = await open(await tempDir());
  const stuck = rejection(database.pool.query(RUNAWAY));
  // Waits for the one session while the runaway statement holds it.
  const began = performance.now();
  const queued = await rejection(database.pool.query("select 41 + 1 as n"));
  expect(performance.now() - began).toBeLessThan(WATCHDOG_MS + 4_000);
  expect(isDatabaseUnavailable(queued)).toBe(true);
  expect(isDatabaseUnavailable(await stuck)).toBe(true);
  await until(() => database.health().state === "ok");
  expect((await database.pool.query("select 41 + 1 as n")).rows[0].n).toBe(42);
}, 30_000);

test("ping reports a stuck database while the watchdog has not yet fired", async () => {
  const database = await openDatabase({ kind: "pglite", dataDir: await tempDir(), statementTimeoutMs: 2_000 });
  cleanups.push(() => database.close());
  const stuck = rejection(database.pool.query(RUNAWAY));
  expect(await database.ping(300)).toBe(false);
  expect(isDatabaseUnavailable(await stuck)).toBe(true);
  await until(() => database.health().state === "ok");
  expect(await database.ping(2_000)).toBe(true);
}, 30_000);

test("a stuck in-memory database fails its statements and stays failed (it has no files to reopen)", async () => {
  const database = await open("memory");
  expect(isDatabaseUnavailable(await rejection(database.pool.query(RUNAWAY)))).toBe(true);
  expect(database.health().state).toBe("failed");
  const later = await rejection(database.pool.query("select 1"));
  expect(isDatabaseUnavailable(later)).toBe(true);
}, 30_000);

test("close() returns within its bound while a statement never returns", async () => {
  const database = await openDatabase({ kind: "pglite", dataDir: await tempDir(), statementTimeoutMs: 60_000 });
  const stuck = rejection(database.pool.query(RUNAWAY));
  await Bun.sleep(200);
  const began = performance.now();
  await database.close();
  expect(performance.now() - began).toBeLessThan(10_000);
  await stuck;
}, 30_000);

test("after recycleAfterStatements an idle thread is replaced on its files: never under load or in a transaction, no statement fails", async () => {
  const events: PGliteEvent[] = [];
  const database = await openDatabase({
    kind: "pglite",
    dataDir: await tempDir(),
    statementTimeoutMs: WATCHDOG_MS,
    recycleAfterStatements: 20,
    recycleIdleMs: 150,
    onEvent: (event) => events.push(event),
  });
  cleanups.push(() => database.close());
  const storage = await createStorage(database, { migrate: true });
  const recycled = () => events.filter((e) => e.kind === "recycled").length;
  const kept = crypto.randomUUID();
  await storage.threads.create({ thread_id: kept });

  // Under steady load the thread is never idle long enough.
  const before = recycled();
  const loadUntil = performance.now() + 600;
  while (performance.now() < loadUntil) {
    await database.pool.query("select 1");
    await Bun.sleep(20);
  }
  expect(recycled()).toBe(before);

  // An idle session inside a transaction holds it off; its work survives the recycle after commit.
  await until(() => recycled() > before);
  const client = await database.pool.connect();
  await client.query("begin");
  await client.query("create table scratch (n int)");
  await client.query("insert into scratch values (1)");
  for (let i = 0; i < 25; i++) await client.query("select 1");
  const held = recycled();
  await Bun.sleep(600);
  expect(recycled()).toBe(held);
  await client.query("commit");
  client.release();
  await until(() => recycled() > held);

  // The new thread serves the same files; statements sent right after the swap all succeed.
  const answers = await Promise.all(Array.from({ length: 10 }, () => storage.threads.get(kept)));
  expect(answers.map((t) => t.thread_id)).toEqual(Array(10).fill(kept));
  expect((await database.pool.query("select n from scratch")).rows).toEqual([{ n: 1 }]);
  expect(database.health()).toEqual({ state: "ok", restarts: 0 });
}, 30_000);

test("a database thread that dies fails its statements as unavailable and is reopened from its files", async () => {
  const events: PGliteEvent[] = [];
  const thread = await openPGliteThread(await tempDir(), { watchdogMs: WATCHDOG_MS, onEvent: (e) => events.push(e) });
  const pool = new pg.Pool({ max: 1, idleTimeoutMillis: 0, stream: () => thread.socket() } as pg.PoolConfig);
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  cleanups.push(async () => {
    await pool.end().catch(() => {});
    await thread.close();
  });
  await pool.query("create table kept (n int)");
  await pool.query("insert into kept values (7)");

  thread.crashForTests();
  await until(() => events.some((e) => e.kind === "crashed"));
  // A statement sent now waits for the thread reopened from the files, and sees what was committed.
  expect((await pool.query("select n from kept")).rows).toEqual([{ n: 7 }]);
  expect(events.map((e) => e.kind)).toEqual(["crashed", "restarted"]);
  expect(thread.restarts()).toBe(1);
  expect(thread.state()).toBe("ok");
}, 30_000);
