import type { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { type Kysely, sql } from "kysely";
import type pg from "pg";
import { RuntimeCheckpointSaver } from "./checkpoint-saver.ts";
import { toJson } from "./json.ts";

const CHECKPOINT_TABLES = ["checkpoints", "checkpoint_blobs", "checkpoint_writes"] as const;

/** The LangGraph checkpointer on the shared pool, plus the whole-thread operations the API needs. */
export interface Checkpoints {
  /** A RuntimeCheckpointSaver, typed as the stock saver that LangGraph's compile() accepts. */
  readonly saver: PostgresSaver;
  setup(): Promise<void>;
  /** Copies every checkpoint, blob and pending write of one thread to another. */
  copyThread(fromThreadId: string, toThreadId: string): Promise<void>;
  /**
   * Deletes the checkpoints one run wrote (they carry its id in their metadata), their pending
   * writes, and the channel blobs no remaining checkpoint of the thread refers to.
   */
  deleteRun(threadId: string, runId: string): Promise<void>;
  /**
   * Keeps only the newest checkpoint of each namespace of a thread, with its pending writes and the
   * blobs it refers to; deletes every older checkpoint and what only they used.
   */
  keepLatest(threadId: string): Promise<void>;
  /**
   * Merges `metadata` into a root checkpoint's metadata: the one with `checkpointId`, else the newest.
   * False when there is no such checkpoint.
   */
  patchMetadata(threadId: string, metadata: Record<string, unknown>, checkpointId?: string): Promise<boolean>;
  /** Rows across the checkpoint tables for one thread (for tests and orphan checks). */
  countRows(threadId: string): Promise<number>;
  truncate(): Promise<void>;
}

/** Channel blobs of a thread that no remaining checkpoint refers to. */
async function deleteUnreferencedBlobs(trx: Kysely<unknown>, threadId: string): Promise<void> {
  await sql`
    delete from checkpoint_blobs b
    where b.thread_id = ${threadId}
      and not exists (
        select 1 from checkpoints c
        where c.thread_id = b.thread_id and c.checkpoint_ns = b.checkpoint_ns
          and c.checkpoint -> 'channel_versions' ->> b.channel = b.version)`.execute(trx);
}

/** Told of every checkpointer operation: get_tuple, list, put, put_writes, and its duration. */
export type CheckpointObserver = (operation: string, seconds: number) => void;

const TIMED = { getTuple: "get_tuple", put: "put", putWrites: "put_writes" } as const;

/** Times the saver's operations (an async generator, `list`, until it is exhausted or dropped). */
function timeOperations(saver: PostgresSaver, observe: CheckpointObserver): void {
  const methods = saver as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const [name, operation] of Object.entries(TIMED)) {
    const method = methods[name]?.bind(saver) as (...args: unknown[]) => Promise<unknown>;
    methods[name] = async (...args: unknown[]) => {
      const started = performance.now();
      try {
        return await method(...args);
      } finally {
        observe(operation, (performance.now() - started) / 1000);
      }
    };
  }
  const list = saver.list.bind(saver);
  saver.list = async function* (...args: Parameters<PostgresSaver["list"]>) {
    const started = performance.now();
    try {
      yield* list(...args);
    } finally {
      observe("list", (performance.now() - started) / 1000);
    }
  };
}

export function createCheckpoints(pool: pg.Pool, db: Kysely<unknown>, observe?: CheckpointObserver): Checkpoints {
  const saver = new RuntimeCheckpointSaver(pool) as unknown as PostgresSaver;
  if (observe) timeOperations(saver, observe);
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
    async deleteRun(threadId, runId) {
      await db.transaction().execute(async (trx) => {
        await sql`
          delete from checkpoint_writes w using checkpoints c
          where c.thread_id = ${threadId} and c.metadata->>'run_id' = ${runId}
            and w.thread_id = c.thread_id and w.checkpoint_ns = c.checkpoint_ns
            and w.checkpoint_id = c.checkpoint_id`.execute(trx);
        await sql`delete from checkpoints where thread_id = ${threadId} and metadata->>'run_id' = ${runId}`.execute(
          trx,
        );
        await deleteUnreferencedBlobs(trx, threadId);
      });
    },
    async keepLatest(threadId) {
      await db.transaction().execute(async (trx) => {
        // Checkpoint ids are time-ordered (uuid6): the greatest is the newest, as the saver reads it.
        await sql`
          delete from checkpoints c
          where c.thread_id = ${threadId}
            and c.checkpoint_id < (select max(l.checkpoint_id) from checkpoints l
                                   where l.thread_id = c.thread_id and l.checkpoint_ns = c.checkpoint_ns)`.execute(trx);
        await sql`
          delete from checkpoint_writes w
          where w.thread_id = ${threadId}
            and not exists (select 1 from checkpoints c where c.thread_id = w.thread_id
                            and c.checkpoint_ns = w.checkpoint_ns and c.checkpoint_id = w.checkpoint_id)`.execute(trx);
        await deleteUnreferencedBlobs(trx, threadId);
      });
    },
    async patchMetadata(threadId, metadata, checkpointId) {
      const result = await sql`
        update checkpoints set metadata = metadata || ${toJson(metadata)}::jsonb
        where thread_id = ${threadId} and checkpoint_ns = ''
          and checkpoint_id = coalesce(${checkpointId ?? null}::text, (select max(checkpoint_id) from checkpoints
                                       where thread_id = ${threadId} and checkpoint_ns = ''))`.execute(db);
      return Number(result.numAffectedRows ?? 0n) > 0;
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
