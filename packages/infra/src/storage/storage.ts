import type { Kysely } from "kysely";
import { type AssistantStore, createAssistantStore } from "./assistants.ts";
import { type Checkpoints, createCheckpoints } from "./checkpoints.ts";
import type { Database } from "./database.ts";
import { assertSchemaCurrent, migrateToLatest } from "./migrations.ts";
import { createRunStore, type RunStore } from "./runs.ts";
import { createThreadStore, type ThreadStore } from "./threads.ts";

/** Every store on one database. */
export interface Storage {
  readonly database: Database;
  readonly assistants: AssistantStore;
  readonly threads: ThreadStore;
  readonly runs: RunStore;
  readonly checkpoints: Checkpoints;
  /** Deletes a thread row and every checkpoint of it (404 when the thread is unknown). */
  deleteThread(threadId: string): Promise<void>;
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
}

/** Builds the stores on a database after bringing (or checking) its schema. */
export async function createStorage(database: Database, options: PrepareOptions): Promise<Storage> {
  const db = database.db as unknown as Kysely<unknown>;
  if (options.migrate) await migrateToLatest(db, options.onMigration);
  else await assertSchemaCurrent(db);
  const checkpoints = createCheckpoints(database.pool, db);
  await checkpoints.setup();
  const assistants = createAssistantStore(database.db);
  const threads = createThreadStore(database.db);
  const runs = createRunStore(database.db);
  return {
    database,
    assistants,
    threads,
    runs,
    checkpoints,
    async deleteThread(threadId) {
      await threads.delete(threadId);
      await checkpoints.deleteThread(threadId);
    },
    async truncate(what) {
      // The store arrives with a later migration; until then there is nothing to clear.
      if (what.runs || what.threads) await runs.truncate();
      if (what.threads) await threads.truncate();
      if (what.assistants) await assistants.truncate();
      if (what.checkpointer) await checkpoints.truncate();
    },
  };
}
