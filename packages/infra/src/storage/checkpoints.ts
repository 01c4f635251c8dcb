import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { type Kysely, sql } from "kysely";
import type pg from "pg";

const CHECKPOINT_TABLES = ["checkpoints", "checkpoint_blobs", "checkpoint_writes"] as const;

/** The LangGraph checkpointer on the shared pool, plus the whole-thread operations the API needs. */
export interface Checkpoints {
  readonly saver: PostgresSaver;
  setup(): Promise<void>;
  /** Copies every checkpoint, blob and pending write of one thread to another. */
  copyThread(fromThreadId: string, toThreadId: string): Promise<void>;
  deleteThread(threadId: string): Promise<void>;
  /** Rows across the checkpoint tables for one thread (for tests and orphan checks). */
  countRows(threadId: string): Promise<number>;
  truncate(): Promise<void>;
}

export function createCheckpoints(pool: pg.Pool, db: Kysely<unknown>): Checkpoints {
  const saver = new PostgresSaver(pool);
  return {
    saver,
    setup: () => saver.setup(),
    async copyThread(from, to) {
      await db.transaction().execute(async (trx) => {
        await sql`
          insert into checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata)
          select ${to}, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint,
                 case when metadata ? 'thread_id' then jsonb_set(metadata, '{thread_id}', to_jsonb(${to}::text)) else metadata end
          from checkpoints where thread_id = ${from}`.execute(trx);
        await sql`
          insert into checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
          select ${to}, checkpoint_ns, channel, version, type, blob from checkpoint_blobs where thread_id = ${from}`.execute(
          trx,
        );
        await sql`
          insert into checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob)
          select ${to}, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob
          from checkpoint_writes where thread_id = ${from}`.execute(trx);
      });
    },
    async deleteThread(threadId) {
      await db.transaction().execute(async (trx) => {
        for (const table of CHECKPOINT_TABLES) {
          await sql`delete from ${sql.table(table)} where thread_id = ${threadId}`.execute(trx);
        }
      });
    },
    async countRows(threadId) {
      let total = 0;
      for (const table of CHECKPOINT_TABLES) {
        const result = await sql<{ n: string }>`
          select count(*) as n from ${sql.table(table)} where thread_id = ${threadId}`.execute(db);
        total += Number(result.rows[0]?.n ?? 0);
      }
      return total;
    },
    async truncate() {
      await sql`truncate checkpoints, checkpoint_blobs, checkpoint_writes`.execute(db);
    },
  };
}
