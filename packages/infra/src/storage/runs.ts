import { type Kysely, type Selectable, sql, type Transaction } from "kysely";
import type { Access } from "../auth/access.ts";
import { conflict, notFound } from "../errors.ts";
import { accessCondition } from "./access-sql.ts";
import { iso, toJson } from "./json.ts";
import type { RunsTable, Tables } from "./schema.ts";
import { newThreadRow, type ThreadStatus } from "./threads.ts";

type Obj = Record<string, unknown>;

export type RunStatus = "pending" | "running" | "success" | "error" | "timeout" | "interrupted";
export type MultitaskStrategy = "reject" | "enqueue" | "interrupt" | "rollback";
export type CancelAction = "interrupt" | "rollback";

export interface Run {
  run_id: string;
  thread_id: string;
  assistant_id: string;
  status: RunStatus;
  metadata: Obj;
  kwargs: Obj;
  multitask_strategy: MultitaskStrategy | null;
  attempt: number;
  created_at: string;
  updated_at: string;
  error: unknown;
}

/** A run a worker holds, with what it needs to execute it. */
export interface ClaimedRun extends Run {
  cancel_action: CancelAction | null;
  /** The W3C trace context the run was created in (`traceparent`), when that was traced. */
  trace_context?: Record<string, string> | null;
}

export interface CreateRun {
  run_id: string;
  thread_id: string;
  assistant_id: string;
  metadata?: Obj;
  kwargs: Obj;
  multitask_strategy: MultitaskStrategy;
  after_seconds?: number;
  /** When the thread does not exist: `reject` (404, default) or `create` it. */
  if_not_exists?: "reject" | "create";
  /** Metadata stamped on the thread (graph_id, assistant_id), merged. */
  thread_metadata?: Obj;
  /**
   * The thread id was just generated for this run (a stateless run): nothing can be on it yet, so
   * the thread and the run are inserted in one statement, without the checks.
   */
  new_thread?: boolean;
  /**
   * A worker of this process with a free slot: when the run could start at once (no delay, nothing
   * active left on the thread), it is inserted already `running` under this lease and never queued.
   */
  lease?: { owner: string; ms: number };
  /** The W3C trace context of the creating request, continued by the run's span. */
  trace_context?: Record<string, string>;
}

export interface CreatedRun {
  /** `running` when it was started under `CreateRun.lease`, else `pending`. */
  run: Run;
  /** Active runs the strategy cancelled; running ones must be aborted by their worker. */
  cancelled: Array<{ run_id: string; was: RunStatus; action: CancelAction }>;
}

export interface RunOutcome {
  status: RunStatus;
  error?: unknown;
  thread: { status: ThreadStatus; values: unknown; interrupts: Obj };
}

export interface RunStore {
  create(input: CreateRun): Promise<CreatedRun>;
  get(threadId: string, runId: string): Promise<Run>;
  find(runId: string): Promise<Run | undefined>;
  list(threadId: string, query: { status?: RunStatus; limit: number; offset: number }): Promise<Run[]>;
  /** Deletes a finished run; an active one is a 409. */
  delete(threadId: string, runId: string): Promise<void>;
  /** Claims the oldest runnable run: pending, due, first in its thread, thread not running. */
  claim(workerId: string, leaseMs: number): Promise<ClaimedRun | undefined>;
  /**
   * Extends the leases a worker holds. Returns the runs it renewed, each with the cancel someone
   * asked for (or null); a run it did not renew is no longer the worker's (its lease expired).
   */
  heartbeat(
    workerId: string,
    runIds: string[],
    leaseMs: number,
  ): Promise<Array<{ run_id: string; action: CancelAction | null }>>;
  /**
   * Ends a run the worker holds and sets the thread's state and status. `finished` is false when
   * the lease was lost; `queued` tells whether runs wait on the thread (worth a claim).
   */
  finish(
    workerId: string,
    runId: string,
    outcome: RunOutcome,
    options?: { deleteRun?: boolean },
  ): Promise<{ finished: boolean; queued: boolean }>;
  /** Hands a claimed run back to the queue (worker shutting down). */
  release(workerId: string, runId: string): Promise<void>;
  /** Cancels runs: pending ones end at once, running ones are flagged for their worker. */
  cancel(
    runIds: string[],
    action: CancelAction,
    threadId?: string,
  ): Promise<Array<{ run_id: string; thread_id: string; was: RunStatus }>>;
  /** Returns runs whose lease expired to the queue, or ends them `error` past the attempt limit. */
  sweep(maxAttempts: number): Promise<Array<{ run_id: string; status: RunStatus }>>;
  activeIds(filter: { threadId?: string; status?: "pending" | "running" | "all"; access?: Access }): Promise<string[]>;
  /** How many runs are pending (the queue) and running, over all threads (for metrics). */
  countActive(): Promise<{ pending: number; running: number }>;
  truncate(): Promise<void>;
}

function toRun(row: Selectable<RunsTable>): Run {
  return {
    run_id: row.run_id,
    thread_id: row.thread_id,
    assistant_id: row.assistant_id,
    status: row.status as RunStatus,
    metadata: row.metadata,
    kwargs: row.kwargs,
    multitask_strategy: row.multitask_strategy as MultitaskStrategy | null,
    attempt: row.attempt,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    error: row.error,
  };
}

const ACTIVE = ["pending", "running"];

/** Whether a run has ended (success, error, timeout, interrupted): it will write nothing more. */
export function isFinalStatus(status: RunStatus): boolean {
  return !ACTIVE.includes(status);
}

/** A pending run never started: interrupt marks it ended, rollback removes it. */
async function endPendingRun(trx: Transaction<Tables>, runId: string, action: CancelAction): Promise<void> {
  if (action === "rollback") await trx.deleteFrom("runs").where("run_id", "=", runId).execute();
  else
    await trx
      .updateTable("runs")
      .set({ status: "interrupted", updated_at: new Date() })
      .where("run_id", "=", runId)
      .execute();
}

async function settleThread(trx: Transaction<Tables>, threadId: string, idle: ThreadStatus): Promise<void> {
  const active = await trx
    .selectFrom("runs")
    .select("run_id")
    .where("thread_id", "=", threadId)
    .where("status", "in", ACTIVE)
    .limit(1)
    .executeTakeFirst();
  await trx
    .updateTable("threads")
    .set({ status: active ? "busy" : idle, updated_at: new Date() })
    .where("thread_id", "=", threadId)
    .execute();
}

/** The row of a new run: pending (due after `after_seconds`), or running under `lease` when free. */
function runRow(input: CreateRun, now: Date, free: boolean) {
  const start = free && input.lease !== undefined && !input.after_seconds;
  return {
    run_id: input.run_id,
    thread_id: input.thread_id,
    assistant_id: input.assistant_id,
    status: start ? "running" : "pending",
    metadata: toJson(input.metadata ?? {}),
    kwargs: toJson(input.kwargs),
    multitask_strategy: input.multitask_strategy,
    ...(input.trace_context ? { trace_context: toJson(input.trace_context) } : {}),
    available_at: new Date(now.getTime() + (input.after_seconds ?? 0) * 1000),
    ...(start && input.lease
      ? {
          attempt: 1,
          lease_owner: input.lease.owner,
          lease_expires_at: sql<Date>`now() + ${`${input.lease.ms} milliseconds`}::interval`,
        }
      : {}),
    created_at: now,
    updated_at: now,
  };
}

/** A stateless run: its new thread (busy) and the run, in one statement. */
async function insertWithThread(db: Kysely<Tables>, input: CreateRun): Promise<Run> {
  const now = new Date();
  const row = await db
    .with("thread", (q) =>
      q
        .insertInto("threads")
        .values({ ...newThreadRow(input.thread_id, input.thread_metadata), status: "busy" })
        .returning("thread_id"),
    )
    .insertInto("runs")
    .values(runRow(input, now, true))
    .returningAll()
    .executeTakeFirstOrThrow();
  return toRun(row);
}

export function createRunStore(db: Kysely<Tables>): RunStore {
  return {
    async create(input) {
      if (input.new_thread) return { run: await insertWithThread(db, input), cancelled: [] };
      return db.transaction().execute(async (trx) => {
        // The thread row lock serialises run creation per thread: the check and the insert are atomic.
        let thread = await trx
          .selectFrom("threads")
          .select(["thread_id", "status"])
          .where("thread_id", "=", input.thread_id)
          .forUpdate()
          .executeTakeFirst();
        if (!thread) {
          if (input.if_not_exists !== "create") throw notFound("thread", input.thread_id);
          await trx.insertInto("threads").values(newThreadRow(input.thread_id, input.thread_metadata)).execute();
          thread = { thread_id: input.thread_id, status: "idle" };
        }
        const active = await trx
          .selectFrom("runs")
          .select(["run_id", "status"])
          .where("thread_id", "=", input.thread_id)
          .where("status", "in", ACTIVE)
          .orderBy("seq")
          .execute();
        const cancelled: CreatedRun["cancelled"] = [];
        // A thread paused at an interrupt is not busy: new input starts a run from its current
        // checkpoint (chat UIs send the next message that way), as on the reference server.
        if (active.length > 0) {
          if (input.multitask_strategy === "reject") {
            throw conflict(`thread '${input.thread_id}' has a run in progress (multitask_strategy=reject)`, {
              active_run_ids: active.map((r) => r.run_id),
            });
          }
          if (input.multitask_strategy !== "enqueue") {
            const action = input.multitask_strategy;
            for (const run of active) {
              cancelled.push({ run_id: run.run_id, was: run.status as RunStatus, action });
              if (run.status === "pending") {
                await endPendingRun(trx, run.run_id, action);
              } else {
                await trx.updateTable("runs").set({ cancel_action: action }).where("run_id", "=", run.run_id).execute();
              }
            }
          }
        }
        // Pending runs the strategy ended are gone; a running one still holds the thread.
        const free = active.length === 0 || (cancelled.length > 0 && active.every((r) => r.status === "pending"));
        const now = new Date();
        const row = await trx
          .insertInto("runs")
          .values(runRow(input, now, free))
          .returningAll()
          .executeTakeFirstOrThrow();
        await trx
          .updateTable("threads")
          .set({
            status: "busy",
            updated_at: now,
            metadata: sql`metadata || ${toJson(input.thread_metadata ?? {})}::jsonb`,
          })
          .where("thread_id", "=", input.thread_id)
          .execute();
        return { run: toRun(row), cancelled };
      });
    },

    async get(threadId, runId) {
      const row = await db
        .selectFrom("runs")
        .selectAll()
        .where("run_id", "=", runId)
        .where("thread_id", "=", threadId)
        .executeTakeFirst();
      if (!row) throw notFound("run", runId);
      return toRun(row);
    },

    async find(runId) {
      const row = await db.selectFrom("runs").selectAll().where("run_id", "=", runId).executeTakeFirst();
      return row ? toRun(row) : undefined;
    },

    async list(threadId, query) {
      let q = db.selectFrom("runs").selectAll().where("thread_id", "=", threadId);
      if (query.status) q = q.where("status", "=", query.status);
      const rows = await q.orderBy("seq", "desc").limit(query.limit).offset(query.offset).execute();
      return rows.map(toRun);
    },

    async delete(threadId, runId) {
      const run = await this.get(threadId, runId);
      if (ACTIVE.includes(run.status)) throw conflict(`run '${runId}' is ${run.status}; cancel it first`);
      await db.deleteFrom("runs").where("run_id", "=", runId).execute();
    },

    async claim(workerId, leaseMs) {
      try {
        const result = await sql<Selectable<RunsTable>>`
          update runs set status = 'running', attempt = attempt + 1, lease_owner = ${workerId},
                 lease_expires_at = now() + ${`${leaseMs} milliseconds`}::interval, updated_at = now()
          where run_id = (
            select r.run_id from runs r
            where r.status = 'pending' and r.available_at <= now()
              and not exists (select 1 from runs x where x.thread_id = r.thread_id and x.status = 'running')
              and not exists (select 1 from runs y where y.thread_id = r.thread_id and y.status = 'pending' and y.seq < r.seq)
            order by r.seq
            limit 1
            for update skip locked
          )
          returning *`.execute(db);
        const row = result.rows[0];
        return row
          ? {
              ...toRun(row),
              cancel_action: row.cancel_action as CancelAction | null,
              trace_context: row.trace_context as Record<string, string> | null,
            }
          : undefined;
      } catch (error) {
        // Another worker started a run on the same thread first; the unique index said no.
        if ((error as { code?: string }).code === "23505") return undefined;
        throw error;
      }
    },

    async heartbeat(workerId, runIds, leaseMs) {
      if (runIds.length === 0) return [];
      const rows = await db
        .updateTable("runs")
        .set({ lease_expires_at: sql`now() + ${`${leaseMs} milliseconds`}::interval` })
        .where("run_id", "in", runIds)
        .where("lease_owner", "=", workerId)
        .where("status", "=", "running")
        .returning(["run_id", "cancel_action"])
        .execute();
      return rows.map((r) => ({ run_id: r.run_id, action: r.cancel_action as CancelAction | null }));
    },

    async finish(workerId, runId, outcome, options) {
      // One statement: end the run, store the thread's state, and set the thread's status from the
      // runs still active on it (the CTE's own update is not visible to `others`, hence the id test).
      // A rolled-back run is deleted by the same statement, so no reader sees it ended first.
      const error = outcome.error === undefined ? null : toJson(outcome.error);
      const end = options?.deleteRun
        ? sql`delete from runs
          where run_id = ${runId} and lease_owner = ${workerId} and status = 'running'
          returning thread_id`
        : sql`update runs set status = ${outcome.status}, error = ${error}::jsonb, lease_owner = null,
                 lease_expires_at = null, updated_at = now()
          where run_id = ${runId} and lease_owner = ${workerId} and status = 'running'
          returning thread_id`;
      const result = await sql<{ queued: boolean }>`
        with ended as (${end}),
        others as (
          select r.status from runs r join ended e on r.thread_id = e.thread_id
          where r.run_id <> ${runId} and r.status in ('pending', 'running'))
        update threads t set values = ${toJson(outcome.thread.values)}::jsonb,
               interrupts = ${toJson(outcome.thread.interrupts)}::jsonb, error = ${error}::jsonb,
               status = case when exists (select 1 from others) then 'busy' else ${outcome.thread.status} end,
               state_updated_at = now(), updated_at = now(),
               expires_at = now() + t.ttl_minutes * interval '1 minute'
        from ended e where t.thread_id = e.thread_id
        returning exists (select 1 from others where status = 'pending') as queued`.execute(db);
      const row = result.rows[0];
      return { finished: row !== undefined, queued: row?.queued ?? false };
    },

    async release(workerId, runId) {
      await db
        .updateTable("runs")
        .set({ status: "pending", lease_owner: null, lease_expires_at: null, updated_at: new Date() })
        .where("run_id", "=", runId)
        .where("lease_owner", "=", workerId)
        .where("status", "=", "running")
        .execute();
    },

    async cancel(runIds, action, threadId) {
      if (runIds.length === 0) return [];
      return db.transaction().execute(async (trx) => {
        let q = trx.selectFrom("runs").select(["run_id", "thread_id", "status"]).where("run_id", "in", runIds);
        if (threadId) q = q.where("thread_id", "=", threadId);
        const rows = await q.forUpdate().execute();
        const touched: Array<{ run_id: string; thread_id: string; was: RunStatus }> = [];
        for (const row of rows) {
          if (row.status === "pending") {
            await endPendingRun(trx, row.run_id, action);
            await settleThread(trx, row.thread_id, "idle");
          } else if (row.status === "running") {
            await trx.updateTable("runs").set({ cancel_action: action }).where("run_id", "=", row.run_id).execute();
          } else {
            continue;
          }
          touched.push({ run_id: row.run_id, thread_id: row.thread_id, was: row.status as RunStatus });
        }
        return touched;
      });
    },

    async sweep(maxAttempts) {
      return db.transaction().execute(async (trx) => {
        const rows = await sql<{ run_id: string; thread_id: string; status: RunStatus }>`
          update runs set
            status = case when attempt >= ${maxAttempts} then 'error' else 'pending' end,
            error = case when attempt >= ${maxAttempts}
              then ${toJson({ error: "RunAttemptsExhausted", message: `worker lease expired ${maxAttempts} times` })}::jsonb
              else error end,
            lease_owner = null, lease_expires_at = null, updated_at = now()
          where status = 'running' and lease_expires_at < now()
          returning run_id, thread_id, status`.execute(trx);
        for (const row of rows.rows) if (row.status === "error") await settleThread(trx, row.thread_id, "error");
        return rows.rows.map((r) => ({ run_id: r.run_id, status: r.status }));
      });
    },

    async activeIds(filter) {
      let q = db.selectFrom("runs").select("run_id");
      q =
        filter.status && filter.status !== "all"
          ? q.where("status", "=", filter.status)
          : q.where("status", "in", ACTIVE);
      if (filter.threadId) q = q.where("thread_id", "=", filter.threadId);
      if (filter.access) q = q.where(accessCondition(filter.access));
      return (await q.execute()).map((r) => r.run_id);
    },

    async countActive() {
      const rows = await db
        .selectFrom("runs")
        .select(["status", (eb) => eb.fn.countAll<string>().as("n")])
        .where("status", "in", ACTIVE)
        .groupBy("status")
        .execute();
      const count = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
      return { pending: count("pending"), running: count("running") };
    },

    async truncate() {
      await sql`truncate runs`.execute(db);
    },
  };
}
