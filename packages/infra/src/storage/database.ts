import { setTimeout as sleep } from "node:timers/promises";
import { Kysely, type LogEvent, PostgresDialect } from "kysely";
import pg from "pg";
import { type DataDirLock, lockDataDir } from "./data-dir-lock.ts";
import { openPGliteThread, type PGliteEvent } from "./pglite-thread.ts";
import type { Tables } from "./schema.ts";

export type DatabaseKind = "pglite" | "postgres";

/** One pool for kysely and the checkpointer, whichever engine is behind it. */
export interface Database {
  readonly kind: DatabaseKind;
  readonly pool: pg.Pool;
  readonly db: Kysely<Tables>;
  /** Whether the database answers `select 1` within `timeoutMs`. */
  ping(timeoutMs: number): Promise<boolean>;
  /**
   * The embedded database's watchdog state (`restarting` while a stuck thread is replaced, `failed`
   * for a stuck in-memory one) and how often it restarted; PostgreSQL is always `ok` here.
   */
  health(): { state: "ok" | "restarting" | "failed"; restarts: number };
  /**
   * Reclaims the space of deleted and updated rows (`VACUUM`) on the embedded database, which runs
   * PostgreSQL in single-user mode, without autovacuum: without it every stateless run's deleted
   * thread and run stay in the tables and the data dir grows for ever. False on PostgreSQL, whose
   * autovacuum does it.
   */
  vacuum(): Promise<boolean>;
  close(): Promise<void>;
}

/** Told of every runtime-table statement (not the checkpointer's): its first keyword and duration. */
export type QueryObserver = (operation: string, seconds: number) => void;

const OPERATIONS = new Set(["select", "insert", "update", "delete", "with"]);

/** A statement's first keyword (`with` for a CTE), else `other`: a bounded metric label. */
export function queryOperation(text: string): string {
  const word = /^\s*([a-z]+)/i.exec(text)?.[1]?.toLowerCase() ?? "";
  return OPERATIONS.has(word) ? word : "other";
}

export type DatabaseOptions = { onQuery?: QueryObserver } & (
  | {
      kind: "postgres";
      url: string;
      poolSize?: number;
      /** Errors of idle connections (server restart, admin termination); the pool replaces them. */
      onIdleError?: (error: Error) => void;
      /** A statement running longer is cancelled by the server (answered 503). */
      statementTimeoutMs?: number;
    }
  | {
      kind: "pglite";
      dataDir: string | "memory";
      /**
       * PGlite ignores `statement_timeout`: a statement batch not answered within this (30 s) fails
       * with 503 and the database thread is restarted from its files. Waiting for the one session
       * is bounded by it too.
       */
      statementTimeoutMs?: number;
      /** When an idle thread is replaced to shed PGlite's per-statement garbage (see PGliteThreadOptions). */
      recycleAfterStatements?: number;
      recycleIdleMs?: number;
      /** The watchdog's findings (stuck, restarted, restart failed, recycled), for the log. */
      onEvent?: (event: PGliteEvent) => void;
    }
);

/** Opens PGlite (embedded, file-backed or in memory) or a PostgreSQL pool. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.kind === "postgres") {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      // A database that does not answer fails a request in seconds instead of holding it.
      connectionTimeoutMillis: 5_000,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
    });
    // Without a listener an idle connection's error is unhandled and ends the process.
    pool.on("error", (error) => options.onIdleError?.(error));
    pool.on("connect", keepConnectionErrorsInQueries);
    // Fail at start, not at the first request, when the URL is wrong.
    const client = await pool.connect();
    client.release();
    return wrap(
      "postgres",
      pool,
      () => ({ state: "ok", restarts: 0 }),
      (db) => db.destroy(),
      options.onQuery,
    );
  }
  const lock: DataDirLock | undefined = options.dataDir === "memory" ? undefined : lockDataDir(options.dataDir);
  try {
    // PGlite runs on its own thread; pg talks to it through an in-process socket. One session:
    // the embedded backend serves one connection at a time, and it is kept open.
    const timeoutMs = options.statementTimeoutMs ?? 30_000;
    const thread = await openPGliteThread(options.dataDir, {
      watchdogMs: timeoutMs,
      onEvent: options.onEvent,
      recycleAfterStatements: options.recycleAfterStatements,
      recycleIdleMs: options.recycleIdleMs,
    });
    const pool = new pg.Pool({
      max: 1,
      idleTimeoutMillis: 0,
      connectionTimeoutMillis: timeoutMs,
      stream: () => thread.socket(),
    } as pg.PoolConfig);
    // The session of an idle client ends when the watchdog restarts the thread; the pool replaces it.
    pool.on("error", () => {});
    pool.on("connect", keepConnectionErrorsInQueries);
    const health = () => ({ state: thread.state(), restarts: thread.restarts() });
    return wrap(
      "pglite",
      pool,
      health,
      async (db) => {
        // A statement that never returns holds its session: give the pool a moment, then stop the
        // thread, which ends every session and lets the pool finish.
        const destroyed = db.destroy();
        await Promise.race([destroyed, sleep(2_000)]);
        await thread.close(5_000);
        await destroyed;
        lock?.release();
      },
      options.onQuery,
    );
  } catch (error) {
    lock?.release();
    throw error;
  }
}

/**
 * A checked-out client has no error listener (the pool removes its own while the client is lent,
 * and kysely adds none), so a connection lost mid-query would be an unhandled 'error' event and end
 * the process. The query itself already rejects with the error and the pool drops the client on
 * release; this listener only keeps the event from being fatal.
 */
function keepConnectionErrorsInQueries(client: pg.PoolClient): void {
  client.on("error", () => {});
}

function wrap(
  kind: DatabaseKind,
  pool: pg.Pool,
  health: Database["health"],
  shutdown: (db: Kysely<Tables>) => Promise<void>,
  onQuery?: QueryObserver,
): Database {
  const db = new Kysely<Tables>({
    dialect: new PostgresDialect({ pool }),
    ...(onQuery
      ? { log: (event: LogEvent) => onQuery(queryOperation(event.query.sql), event.queryDurationMillis / 1000) }
      : {}),
  });
  let closed: Promise<void> | undefined;
  return {
    kind,
    pool,
    db,
    async ping(timeoutMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const query = pool.query("select 1").then(
        () => true,
        () => false,
      );
      try {
        return await Promise.race([query, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    health,
    async vacuum() {
      if (kind !== "pglite") return false;
      await pool.query("vacuum");
      return true;
    },
    close: () => {
      closed ??= shutdown(db);
      return closed;
    },
  };
}
