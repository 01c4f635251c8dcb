import type pg from "pg";
import { entriesRead, type ReadOptions, type RunEventLog, type StreamEvent } from "../run-events.ts";
import type { PgListener } from "./listener.ts";

export const RUN_EVENTS_CHANNEL = "fractal_run_events";

export interface PgRunEventLogOptions {
  pool: pg.Pool;
  listener: PgListener;
  /** Events kept per run (older ones are deleted as new ones come). */
  maxEvents?: number;
  /** How long a closed run's events stay readable. */
  retainMs?: number;
  /** Rows of runs never closed (a process lost mid-run) go after this. */
  openTtlMs?: number;
  /** How often a reader looks again without a notification (one may be lost in a reconnection). */
  pollMs?: number;
  onError?: (error: unknown, runId: string) => void;
}

/**
 * One statement appends an entry: the next number of the run, and a NOTIFY (sent at commit) that
 * wakes readers in every process. Without `event` it is the close marker, and the run's rows then
 * expire after the retention time.
 */
const APPEND = `
  with entry as (
    insert into run_events (run_id, seq, event, data, expires_at)
    select $1, coalesce(max(seq), 0) + 1, $2, $3::jsonb,
           case when $2::text is null then now() + ($4::int * interval '1 millisecond') end
    from run_events where run_id = $1
    returning seq
  ), expire as (
    update run_events set expires_at = now() + ($4::int * interval '1 millisecond')
    where $2::text is null and run_id = $1
  )
  select pg_notify('${RUN_EVENTS_CHANNEL}', $1::text || ':' || (select seq from entry)) as notified, (select seq from entry) as seq`;

interface Row {
  seq: number;
  event: string | null;
  data: unknown;
}

const toEvent = (row: Row): StreamEvent => ({ id: String(row.seq - 1), event: row.event as string, data: row.data });

/**
 * The run event log in PostgreSQL, for several processes without Redis: slower than Redis (each
 * event is a row), with the same contract. Readers are woken by LISTEN/NOTIFY and look again every
 * `pollMs` in case a notification was lost.
 */
export function createPgRunEventLog(options: PgRunEventLogOptions): RunEventLog & { sweep(): Promise<number> } {
  const { pool, listener } = options;
  const maxEvents = options.maxEvents ?? 10_000;
  const retainMs = options.retainMs ?? 60_000;
  const pollMs = options.pollMs ?? 1_000;
  /** Per run, this process's writes in order (each waits for the one before). */
  const writes = new Map<string, Promise<void>>();
  const wakers = new Map<string, Set<() => void>>();
  let readers = 0;
  let disposed = false;
  const wakeRun = (runId: string) => {
    for (const w of [...(wakers.get(runId) ?? [])]) w();
  };
  const wakeAll = () => {
    for (const runId of wakers.keys()) wakeRun(runId);
  };
  const offNotify = listener.on(RUN_EVENTS_CHANNEL, (payload) => wakeRun(payload.slice(0, payload.lastIndexOf(":"))));
  const offReconnect = listener.onReconnect(wakeAll);

  const insert = async (runId: string, event: string | null, data: unknown, ttlMs: number) => {
    // Two processes appending to one run at once: the later insert meets the key and tries again.
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await pool.query<{ seq: number }>(APPEND, [runId, event, JSON.stringify(data ?? null), ttlMs]);
        const seq = result.rows[0]?.seq ?? 0;
        if (seq > maxEvents + 1) {
          await pool.query("delete from run_events where run_id = $1 and seq <= $2 and event is not null", [
            runId,
            seq - maxEvents - (event === null ? 1 : 0),
          ]);
        }
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== "23505" || attempt >= 5) throw error;
      }
    }
  };

  const write = (runId: string, event: string | null, data: unknown, ttlMs: number) => {
    const next = (writes.get(runId) ?? Promise.resolve())
      .then(() => insert(runId, event, data, ttlMs))
      .catch((error: unknown) => options.onError?.(error, runId));
    writes.set(runId, next);
    void next.then(() => {
      if (writes.get(runId) === next) writes.delete(runId);
    });
  };

  return {
    append(runId, event, data) {
      write(runId, event, data, retainMs);
    },

    close(runId, closeOptions) {
      write(runId, null, null, closeOptions?.retainMs ?? retainMs);
    },

    // The worker that claims the run next appends to the same rows: readers stay with it.
    handOff() {},

    async *read(runId, { after, signal }: ReadOptions = {}) {
      let cursor = entriesRead(after);
      let wakeUp: (() => void) | undefined;
      let woken = false;
      const waker = () => {
        woken = true;
        wakeUp?.();
      };
      const onAbort = () => wakeUp?.();
      let set = wakers.get(runId);
      if (!set) {
        set = new Set();
        wakers.set(runId, set);
      }
      set.add(waker);
      signal?.addEventListener("abort", onAbort);
      readers++;
      try {
        while (!signal?.aborted && !disposed) {
          woken = false;
          const rows = await pool.query<Row>(
            "select seq, event, data from run_events where run_id = $1 and seq > $2 order by seq limit 500",
            [runId, cursor],
          );
          for (const row of rows.rows) {
            cursor = row.seq;
            if (row.event === null) return;
            yield toEvent(row);
            if (signal?.aborted) return;
          }
          if (rows.rows.length === 500 || woken) continue;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, pollMs);
            wakeUp = () => {
              clearTimeout(timer);
              resolve();
            };
            if (woken || signal?.aborted || disposed) wakeUp();
          });
          wakeUp = undefined;
        }
      } finally {
        readers--;
        set.delete(waker);
        if (set.size === 0 && wakers.get(runId) === set) wakers.delete(runId);
        signal?.removeEventListener("abort", onAbort);
      }
    },

    async isClosed(runId) {
      const result = await pool.query<{ event: string | null }>(
        "select event from run_events where run_id = $1 order by seq desc limit 1",
        [runId],
      );
      const last = result.rows[0];
      return last === undefined ? undefined : last.event === null;
    },

    stats: () => ({ runs: wakers.size, readers, timers: 0 }),

    /** Deletes expired rows, and rows of runs never closed after `openTtlMs`; safe on any process. */
    async sweep() {
      const result = await pool.query(
        "delete from run_events where expires_at < now() or created_at < now() - ($1::int * interval '1 millisecond')",
        [options.openTtlMs ?? 24 * 3600_000],
      );
      return result.rowCount ?? 0;
    },

    dispose() {
      disposed = true;
      offNotify();
      offReconnect();
      wakeAll();
    },
  };
}
