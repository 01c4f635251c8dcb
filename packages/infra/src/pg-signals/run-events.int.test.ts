import { afterAll, describe, expect, test } from "bun:test";
import { openDatabase } from "../storage/database.ts";
import { migrateToLatest } from "../storage/migrations.ts";
import { createTestDatabase, requireTestPostgresUrl } from "../storage/testing/postgres.ts";
import { describeRunEventLog, describeSharedRunEventLog, eventually } from "../testing/run-event-log-contract.ts";
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

describeSharedRunEventLog("postgres LISTEN/NOTIFY", async () => (await processLog()).log);

describe("run signals over PostgreSQL, across processes", () => {
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
