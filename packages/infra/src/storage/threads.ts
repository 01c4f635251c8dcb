import { type Kysely, type Selectable, sql } from "kysely";
import type { Access } from "../auth/access.ts";
import { conflict, notFound } from "../errors.ts";
import { accessCondition } from "./access-sql.ts";
import { iso, type Page, type SortOrder, toJson, toPage } from "./json.ts";
import type { Tables, ThreadsTable } from "./schema.ts";

type Obj = Record<string, unknown>;

export type ThreadStatus = "idle" | "busy" | "interrupted" | "error";

export interface Thread {
  thread_id: string;
  created_at: string;
  updated_at: string;
  state_updated_at: string;
  metadata: Obj;
  config: Obj;
  status: ThreadStatus;
  values: unknown;
  interrupts: Obj;
  error: unknown;
}

export interface ThreadFilter {
  metadata?: Obj;
  /** Only resources the caller may see (auth); undefined: all. */
  access?: Access;
  values?: Obj;
  status?: ThreadStatus;
  ids?: string[];
}

export type ThreadSortBy = "thread_id" | "status" | "created_at" | "updated_at" | "state_updated_at";

export interface ThreadSearch extends ThreadFilter {
  limit: number;
  offset: number;
  sort_by?: ThreadSortBy;
  sort_order?: SortOrder;
}

/** What a state write leaves on the thread row, so search by values/status needs no checkpoint read. */
export interface ThreadStateSummary {
  values: unknown;
  status: ThreadStatus;
  interrupts: Obj;
}

export interface ThreadStore {
  create(input: {
    thread_id: string;
    metadata?: Obj;
    if_exists?: "raise" | "do_nothing";
    /** Minutes after its last activity at which the thread is deleted. */
    ttl_minutes?: number;
  }): Promise<{ thread: Thread; created: boolean }>;
  get(threadId: string): Promise<Thread>;
  /** Merges `metadata` into the existing object; a `ttl_minutes` replaces the thread's TTL. */
  patch(threadId: string, patch: { metadata?: Obj; ttl_minutes?: number }): Promise<Thread>;
  /** Threads whose TTL has run out, oldest first. */
  expired(limit: number): Promise<string[]>;
  delete(threadId: string): Promise<void>;
  search(query: ThreadSearch): Promise<Page<Thread>>;
  count(filter: ThreadFilter): Promise<number>;
  /** Inserts a copy of the thread row under a new id. */
  copyRow(threadId: string, newThreadId: string): Promise<Thread>;
  recordState(threadId: string, summary: ThreadStateSummary): Promise<Thread>;
  idsByMetadata(metadata: Obj): Promise<string[]>;
  truncate(): Promise<void>;
}

/** The row of a new, idle thread. */
export function newThreadRow(threadId: string, metadata: Obj | undefined) {
  const now = new Date();
  return {
    thread_id: threadId,
    metadata: toJson(metadata ?? {}),
    config: toJson({}),
    status: "idle",
    values: null,
    interrupts: toJson({}),
    error: null,
    created_at: now,
    updated_at: now,
    state_updated_at: now,
  };
}

/** The TTL columns for `minutes` from now. */
function ttlColumns(minutes: number) {
  return { ttl_minutes: minutes, expires_at: sql<Date>`now() + ${minutes} * interval '1 minute'` };
}

function toThread(row: Selectable<ThreadsTable>): Thread {
  const { seq: _seq, ttl_minutes: _ttl, expires_at: _expires, ...rest } = row;
  return {
    ...rest,
    status: row.status as ThreadStatus,
    interrupts: row.interrupts ?? {},
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    state_updated_at: iso(row.state_updated_at),
  };
}

export function createThreadStore(db: Kysely<Tables>): ThreadStore {
  const filtered = (filter: ThreadFilter) => {
    let query = db.selectFrom("threads");
    if (filter.metadata && Object.keys(filter.metadata).length > 0) {
      query = query.where(sql<boolean>`metadata @> ${toJson(filter.metadata)}::jsonb`);
    }
    if (filter.values && Object.keys(filter.values).length > 0) {
      query = query.where(sql<boolean>`"values" @> ${toJson(filter.values)}::jsonb`);
    }
    if (filter.status) query = query.where("status", "=", filter.status);
    if (filter.access) query = query.where(accessCondition(filter.access));
    if (filter.ids) query = query.where("thread_id", "in", filter.ids.length > 0 ? filter.ids : [NIL_UUID]);
    return query;
  };

  const get = async (threadId: string) => {
    const row = await db.selectFrom("threads").selectAll().where("thread_id", "=", threadId).executeTakeFirst();
    if (!row) throw notFound("thread", threadId);
    return toThread(row);
  };

  return {
    get,
    async create(input) {
      const row = await db
        .insertInto("threads")
        .values({
          ...newThreadRow(input.thread_id, input.metadata),
          ...(input.ttl_minutes === undefined ? {} : ttlColumns(input.ttl_minutes)),
        })
        .onConflict((oc) => oc.column("thread_id").doNothing())
        .returningAll()
        .executeTakeFirst();
      if (row) return { thread: toThread(row), created: true };
      if (input.if_exists === "do_nothing") return { thread: await get(input.thread_id), created: false };
      throw conflict(`thread '${input.thread_id}' already exists`);
    },

    async patch(threadId, patch) {
      const row = await db
        .updateTable("threads")
        .set({
          metadata: sql`metadata || ${toJson(patch.metadata ?? {})}::jsonb`,
          updated_at: new Date(),
          // Activity restarts the TTL; a new ttl replaces it.
          ...(patch.ttl_minutes === undefined
            ? { expires_at: sql`now() + ttl_minutes * interval '1 minute'` }
            : ttlColumns(patch.ttl_minutes)),
        })
        .where("thread_id", "=", threadId)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw notFound("thread", threadId);
      return toThread(row);
    },

    async expired(limit) {
      const rows = await db
        .selectFrom("threads")
        .select("thread_id")
        .where("expires_at", "<=", sql<Date>`now()`)
        .orderBy("expires_at")
        .limit(limit)
        .execute();
      return rows.map((r) => r.thread_id);
    },

    async delete(threadId) {
      const result = await db.deleteFrom("threads").where("thread_id", "=", threadId).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw notFound("thread", threadId);
    },

    async search(query) {
      const rows = await filtered(query)
        .selectAll()
        .orderBy(query.sort_by ?? "created_at", query.sort_order ?? "desc")
        .orderBy("seq", query.sort_order ?? "desc")
        .limit(query.limit + 1)
        .offset(query.offset)
        .execute();
      const page = toPage(rows, query.limit, query.offset);
      return { items: page.items.map(toThread), next: page.next };
    },

    async count(filter) {
      const row = await filtered(filter)
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async copyRow(threadId, newThreadId) {
      const now = new Date();
      const inserted = await db
        .insertInto("threads")
        .columns([
          "thread_id",
          "metadata",
          "config",
          "status",
          "values",
          "interrupts",
          "error",
          "created_at",
          "updated_at",
          "state_updated_at",
        ])
        .expression((eb) =>
          eb
            .selectFrom("threads")
            .select([
              sql<string>`${newThreadId}::uuid`.as("thread_id"),
              "metadata",
              "config",
              "status",
              "values",
              "interrupts",
              "error",
              sql<Date>`${now}::timestamptz`.as("created_at"),
              sql<Date>`${now}::timestamptz`.as("updated_at"),
              "state_updated_at",
            ])
            .where("thread_id", "=", threadId),
        )
        .returningAll()
        .executeTakeFirst();
      if (!inserted) throw notFound("thread", threadId);
      return toThread(inserted);
    },

    async recordState(threadId, summary) {
      const now = new Date();
      const row = await db
        .updateTable("threads")
        .set({
          values: toJson(summary.values),
          status: summary.status,
          interrupts: toJson(summary.interrupts),
          updated_at: now,
          state_updated_at: now,
        })
        .where("thread_id", "=", threadId)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw notFound("thread", threadId);
      return toThread(row);
    },

    async idsByMetadata(metadata) {
      const rows = await filtered({ metadata }).select("thread_id").execute();
      return rows.map((r) => r.thread_id);
    },

    async truncate() {
      await sql`truncate threads cascade`.execute(db);
    },
  };
}

const NIL_UUID = "00000000-0000-0000-0000-000000000000";
