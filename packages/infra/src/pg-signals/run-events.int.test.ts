import { afterAll, describe, expect, test } from "bun:test";
import { openDatabase } from "../storage/database.ts";
import { migrateToLatest } from "../storage/migrations.ts";
import { createTestDatabase, requireTestPostgresUrl } from "../storage/testing/postgres.ts";
import { collect, describeRunEventLog, eventually } from "../testing/run-event-log-contract.ts";
import { createPgListener, type PgListener } from "./listener.ts";
import { CONTROL_CHANNEL, createPgRunControl } from "./run-control.ts";
import { createPgRunEventLog, RUN_EVENTS_CHANNEL } from "./run-events.ts";

const db = await createTestDatabase(requireTestPostgresUrl());
const database = await openDatabase({ kind: "postgres", url: db.url, poolSize: 5 });
await migrateToLatest(database.db as never);
const listeners: PgListener[] = [];
afterAll(async () => {
  for (const l of listeners) await l.close();
  await database.close();
  await db.drop();
});

/** A log as one process holds it: its own LISTEN connection, the shared database. */
async function processLog(options: { maxEvents?: number; retainMs?: number } = {}) {
  const listener = await createPgListener(db.url, [RUN_EVENTS_CHANNEL, CONTROL_CHANNEL]);
  listeners.push(listener);
  return { log: createPgRunEventLog({ pool: database.pool, listener, ...options }), listener };
}

describeRunEventLog("postgres LISTEN/NOTIFY", async (options) => {
  const { log } = await processLog(options);
  return {
    ...log,
    // Expired rows go at the next sweep (every process runs it); the contract waits for them.
    async isClosed(runId) {
      await log.sweep();
      return log.isClosed(runId);
    },
  };
});

describe("run event log over PostgreSQL, across processes", () => {
  test("a reader on one process gets every event another process writes, in order, once", async () => {
    const writer = await processLog();
    const reader = await processLog();
    const id = crypto.randomUUID();
    const reading = collect(reader.log.read(id));
    await eventually(() => reader.log.stats().readers === 1, "the reader");
    for (let i = 0; i < 300; i++) writer.log.append(id, "values", i);
    writer.log.close(id);
    const events = await reading;
    expect(events.map((e) => e.data)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(events.map((e) => e.id)).toEqual(Array.from({ length: 300 }, (_, i) => String(i)));
  });

  test("two processes writing one run keep one numbering", async () => {
    const a = await processLog();
    const b = await processLog();
    const id = crypto.randomUUID();
    a.log.append(id, "metadata", {});
    await eventually(async () => (await b.log.isClosed(id)) === false, "the first event");
    b.log.append(id, "end", null);
    b.log.close(id);
    expect((await collect(a.log.read(id))).map((e) => [e.id, e.event])).toEqual([
      ["0", "metadata"],
      ["1", "end"],
    ]);
  });

  test("signals reach the other processes once, through NOTIFY", async () => {
    const [one, two] = [await processLog(), await processLog()];
    const sender = createPgRunControl({ pool: database.pool, listener: one.listener });
    const receiver = createPgRunControl({ pool: database.pool, listener: two.listener });
    const heard: string[] = [];
    sender.onCreated((run) => heard.push(`sender ${run.run_id}`));
    receiver.onCreated((run) => heard.push(`receiver ${run.run_id}`));
    receiver.onCancel((runId, action) => heard.push(`receiver cancel ${runId} ${action}`));
    sender.created({ run_id: "r", thread_id: "t", status: "pending" });
    sender.cancel("r", "interrupt");
    await eventually(() => heard.length === 3, "three deliveries");
    await Bun.sleep(100);
    expect(heard.sort()).toEqual(["receiver cancel r interrupt", "receiver r", "sender r"]);
    sender.close();
    receiver.close();
  });
});
