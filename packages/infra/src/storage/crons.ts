import { Cron as CronPattern } from "croner";
import { type Kysely, type Selectable, sql } from "kysely";
import type { Access } from "../auth/access.ts";
import { notFound, validationFailed } from "../errors.ts";
import { accessCondition } from "./access-sql.ts";
import { iso, toJson } from "./json.ts";
import type { CronsTable, Tables } from "./schema.ts";

type Obj = Record<string, unknown>;

export interface Cron {
  cron_id: string;
  assistant_id: string;
  thread_id: string | null;
  schedule: string;
  timezone: string | null;
  payload: Obj;
  metadata: Obj;
  enabled: boolean;
  end_time: string | null;
  on_run_completed: "delete" | "keep";
  next_run_date: string | null;
  created_at: string;
  updated_at: string;
  user_id: null;
}

export interface CronInput {
  assistant_id: string;
  thread_id?: string;
  schedule: string;
  timezone?: string;
  payload: Obj;
  metadata?: Obj;
  enabled?: boolean;
  end_time?: string;
  on_run_completed?: "delete" | "keep";
}

export interface CronPatch {
  schedule?: string;
  timezone?: string | null;
  end_time?: string | null;
  enabled?: boolean;
  payload?: Obj;
  metadata?: Obj;
  on_run_completed?: "delete" | "keep";
}

export interface CronFilter {
  assistant_id?: string;
  /** Only resources the caller may see (auth); undefined: all. */
  access?: Access;
  thread_id?: string;
  enabled?: boolean;
  metadata?: Obj;
}

/** A cron whose tick was claimed: `tick` is the scheduled time it fires for. */
export interface DueCron extends Cron {
  tick: string;
}

export interface CronStore {
  create(input: CronInput): Promise<Cron>;
  get(cronId: string): Promise<Cron>;
  patch(cronId: string, patch: CronPatch): Promise<Cron>;
  delete(cronId: string): Promise<void>;
  search(
    filter: CronFilter & { limit: number; offset: number; sort_by?: string; sort_order?: "asc" | "desc" },
  ): Promise<Cron[]>;
  count(filter: CronFilter): Promise<number>;
  /**
   * Claims crons whose tick is due and moves each to its next tick in the same transaction, so a
   * tick fires exactly once however many processes claim. A tick missed while every process was
   * down fires once; the ones after it that also passed are skipped.
   */
  claimDue(limit: number): Promise<DueCron[]>;
  truncate(): Promise<void>;
}

/** The next time a schedule fires after `from`; throws a 422 for a bad schedule or timezone. */
export function nextTick(schedule: string, timezone: string | null | undefined, from: Date): Date | null {
  let pattern: CronPattern;
  try {
    pattern = new CronPattern(schedule, { paused: true, ...(timezone ? { timezone } : {}) });
  } catch (error) {
    throw validationFailed(`schedule '${schedule}' is not a cron expression: ${(error as Error).message}`);
  }
  try {
    return pattern.nextRun(from);
  } catch (error) {
    throw validationFailed(`timezone '${timezone}' is not valid: ${(error as Error).message}`);
  }
}

function toCron(row: Selectable<CronsTable>): Cron {
  return {
    ...row,
    payload: row.payload ?? {},
    metadata: row.metadata ?? {},
    on_run_completed: row.on_run_completed as "delete" | "keep",
    end_time: row.end_time ? iso(row.end_time) : null,
    next_run_date: row.next_run_date ? iso(row.next_run_date) : null,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    user_id: null,
  };
}

export function createCronStore(db: Kysely<Tables>): CronStore {
  const get = async (cronId: string) => {
    const row = await db.selectFrom("crons").selectAll().where("cron_id", "=", cronId).executeTakeFirst();
    if (!row) throw notFound("cron", cronId);
    return toCron(row);
  };
  const filtered = (filter: CronFilter) => {
    let q = db.selectFrom("crons");
    if (filter.assistant_id) q = q.where("assistant_id", "=", filter.assistant_id);
    if (filter.thread_id) q = q.where("thread_id", "=", filter.thread_id);
    if (filter.enabled !== undefined) q = q.where("enabled", "=", filter.enabled);
    if (filter.access) q = q.where(accessCondition(filter.access));
    if (filter.metadata) q = q.where(sql<boolean>`metadata @> ${toJson(filter.metadata)}::jsonb`);
    return q;
  };
  return {
    async create(input) {
      const now = new Date();
      const next = nextTick(input.schedule, input.timezone, now);
      const row = await db
        .insertInto("crons")
        .values({
          cron_id: crypto.randomUUID(),
          assistant_id: input.assistant_id,
          thread_id: input.thread_id ?? null,
          schedule: input.schedule,
          timezone: input.timezone ?? null,
          payload: toJson(input.payload),
          metadata: toJson(input.metadata ?? {}),
          enabled: input.enabled ?? true,
          end_time: input.end_time ?? null,
          on_run_completed: input.on_run_completed ?? "delete",
          next_run_date: next,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toCron(row);
    },

    get,

    async patch(cronId, patch) {
      const current = await get(cronId);
      const schedule = patch.schedule ?? current.schedule;
      const timezone = patch.timezone === undefined ? current.timezone : patch.timezone;
      const rescheduled = patch.schedule !== undefined || patch.timezone !== undefined || patch.enabled === true;
      const row = await db
        .updateTable("crons")
        .set({
          schedule,
          timezone,
          ...(patch.end_time !== undefined ? { end_time: patch.end_time } : {}),
          ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
          ...(patch.payload ? { payload: sql`payload || ${toJson(patch.payload)}::jsonb` } : {}),
          ...(patch.metadata ? { metadata: sql`metadata || ${toJson(patch.metadata)}::jsonb` } : {}),
          ...(patch.on_run_completed ? { on_run_completed: patch.on_run_completed } : {}),
          ...(rescheduled ? { next_run_date: nextTick(schedule, timezone, new Date()) } : {}),
          updated_at: new Date(),
        })
        .where("cron_id", "=", cronId)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw notFound("cron", cronId);
      return toCron(row);
    },

    async delete(cronId) {
      const result = await db.deleteFrom("crons").where("cron_id", "=", cronId).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw notFound("cron", cronId);
    },

    async search(query) {
      const sortBy = (
        ["cron_id", "assistant_id", "thread_id", "next_run_date", "end_time", "created_at", "updated_at"] as const
      ).find((c) => c === query.sort_by);
      const rows = await filtered(query)
        .selectAll()
        .orderBy(sortBy ?? "created_at", query.sort_order ?? "desc")
        .orderBy("cron_id")
        .limit(query.limit)
        .offset(query.offset)
        .execute();
      return rows.map(toCron);
    },

    async count(filter) {
      const row = await filtered(filter)
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    async claimDue(limit) {
      return db.transaction().execute(async (trx) => {
        const rows = await trx
          .selectFrom("crons")
          .selectAll()
          // The tick exactly as stored (microseconds), for the compare-and-set below.
          .select(sql<string>`next_run_date::text`.as("stored_tick"))
          .where("enabled", "=", true)
          .where("next_run_date", "<=", sql<Date>`now()`)
          .orderBy("next_run_date")
          .limit(limit)
          .forUpdate()
          .skipLocked()
          .execute();
        const due: DueCron[] = [];
        const now = new Date();
        for (const row of rows) {
          const tick = new Date(row.next_run_date as Date);
          const ended = row.end_time !== null && new Date(row.end_time) <= tick;
          const next = ended ? null : nextTick(row.schedule, row.timezone, now);
          // Compare-and-set on the tick as well as the row lock: only the claimer that moves this
          // exact tick forward fires it.
          const moved = await trx
            .updateTable("crons")
            .set({ next_run_date: next, ...(ended ? { enabled: false } : {}), updated_at: now })
            .where("cron_id", "=", row.cron_id)
            .where(sql<boolean>`next_run_date = ${row.stored_tick}::timestamptz`)
            .returning("cron_id")
            .executeTakeFirst();
          const { stored_tick: _stored, ...cron } = row;
          if (moved && !ended) due.push({ ...toCron(cron), tick: tick.toISOString() });
        }
        return due;
      });
    },

    async truncate() {
      await sql`truncate crons`.execute(db);
    },
  };
}
