import { type Kysely, sql } from "kysely";
import { notFound } from "../errors.ts";
import { withAssistantCache } from "./assistant-cache.ts";
import { type AssistantStore, createAssistantStore } from "./assistants.ts";
import { type CheckpointObserver, type Checkpoints, createCheckpoints } from "./checkpoints.ts";
import { type CronStore, createCronStore } from "./crons.ts";
import type { Database } from "./database.ts";
import { assertSchemaCurrent, migrateToLatest } from "./migrations.ts";
import { createRunStore, type RunStore } from "./runs.ts";
import { FractalStore } from "./store.ts";
import { prepareVectors, type StoreIndex } from "./store-vectors.ts";
import { createThreadStore, type ThreadStore } from "./threads.ts";
import { createDeliveryStore, type DeliveryStore } from "./webhook-deliveries.ts";

/** Every store on one database. */
export interface Storage {
  readonly database: Database;
  readonly assistants: AssistantStore;
  readonly threads: ThreadStore;
  readonly runs: RunStore;
  readonly checkpoints: Checkpoints;
  /** Scheduled runs. */
  readonly crons: CronStore;
  /** Webhook deliveries of ended runs. */
  readonly webhooks: DeliveryStore;
  /** The long-term memory store, shared by the `/store` API and graphs. */
  readonly store: FractalStore;
  /** Deletes a thread row and every checkpoint of it (404 when the thread is unknown). */
  deleteThread(threadId: string): Promise<void>;
  /**
   * Ends a stateless run: deletes its temporary thread with its checkpoints (the run row goes with
   * the thread), if `workerId` still holds the run. False when the lease was lost.
   */
  deleteTemporaryThread(threadId: string, runId: string, workerId: string): Promise<boolean>;
  truncate(what: TruncateOptions): Promise<void>;
}

export interface TruncateOptions {
  runs?: boolean;
  threads?: boolean;
  assistants?: boolean;
  checkpointer?: boolean;
  store?: boolean;
}

export interface PrepareOptions {
  /** Apply pending migrations (default); otherwise refuse a schema that is not current. */
  migrate: boolean;
  onMigration?: (name: string) => void;
  /** Semantic search for the store (`store.index` in langgraph.json). */
  storeIndex?: StoreIndex;
  /** Use exact cosine even where pgvector exists (tests compare the two). */
  exactVectors?: boolean;
  /** Told when semantic search falls back to exact cosine (no pgvector). */
  onWarning?: (message: string) => void;
  /** Told of every checkpointer operation and its duration (for metrics). */
  onCheckpointOperation?: CheckpointObserver;
}

/** Deletes a thread row and its checkpoints in one statement; runs go by cascade. */
async function dropThread(
  db: Kysely<unknown>,
  threadId: string,
  heldBy?: { runId: string; workerId: string },
): Promise<boolean> {
  const guard = heldBy
    ? sql`and exists (select 1 from runs where run_id = ${heldBy.runId} and lease_owner = ${heldBy.workerId}
                      and status = 'running')`
    : sql``;
  const result = await sql<{ thread_id: string }>`
    with gone as (delete from threads where thread_id = ${threadId} ${guard} returning thread_id::text),
         w as (delete from checkpoint_writes where thread_id in (select thread_id from gone)),
         b as (delete from checkpoint_blobs where thread_id in (select thread_id from gone)),
         c as (delete from checkpoints where thread_id in (select thread_id from gone))
    select thread_id from gone`.execute(db);
  return result.rows.length > 0;
}

/** Builds the stores on a database after bringing (or checking) its schema. */
export async function createStorage(database: Database, options: PrepareOptions): Promise<Storage> {
  const db = database.db as unknown as Kysely<unknown>;
  if (options.migrate) await migrateToLatest(db, options.onMigration);
  else await assertSchemaCurrent(db);
  const checkpoints = createCheckpoints(database.pool, db, options.onCheckpointOperation);
  await checkpoints.setup();
  // Embedded mode holds the data-dir lock: no other process writes assistants, so reads may be cached.
  const assistants =
    database.kind === "pglite"
      ? withAssistantCache(createAssistantStore(database.db))
      : createAssistantStore(database.db);
  const threads = createThreadStore(database.db);
  const runs = createRunStore(database.db);
  const webhooks = createDeliveryStore(database.db);
  const crons = createCronStore(database.db);
  let store = new FractalStore(database.db);
  if (options.storeIndex) {
    const mode = await prepareVectors(db, { exact: options.exactVectors });
    if (mode === "exact") {
      options.onWarning?.(
        "pgvector is not available in this database: store semantic search computes exact cosine similarity in SQL (same results, slower on large stores)",
      );
    }
    store = new FractalStore(database.db, { index: options.storeIndex, mode });
  }
  return {
    database,
    assistants,
    threads,
    runs,
    checkpoints,
    store,
    webhooks,
    crons,
    async deleteThread(threadId) {
      if (!(await dropThread(db, threadId))) throw notFound("thread", threadId);
    },
    deleteTemporaryThread: (threadId, runId, workerId) => dropThread(db, threadId, { runId, workerId }),
    async truncate(what) {
      if (what.runs || what.threads) {
        await crons.truncate();
        await runs.truncate();
        await webhooks.truncate();
      }
      if (what.threads) await threads.truncate();
      if (what.assistants) await assistants.truncate();
      if (what.checkpointer) await checkpoints.truncate();
      if (what.store) await store.truncate();
    },
  };
}
