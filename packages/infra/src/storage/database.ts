import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { type DataDirLock, lockDataDir } from "./data-dir-lock.ts";
import { openPGliteThread } from "./pglite-thread.ts";
import type { Tables } from "./schema.ts";

export type DatabaseKind = "pglite" | "postgres";

/** One pool for kysely and the checkpointer, whichever engine is behind it. */
export interface Database {
  readonly kind: DatabaseKind;
  readonly pool: pg.Pool;
  readonly db: Kysely<Tables>;
  /** Whether the database answers `select 1` within `timeoutMs`. */
  ping(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export type DatabaseOptions =
  | {
      kind: "postgres";
      url: string;
      poolSize?: number;
      /** Errors of idle connections (server restart, admin termination); the pool replaces them. */
      onIdleError?: (error: Error) => void;
      /** A statement running longer is cancelled by the server (answered 503). */
      statementTimeoutMs?: number;
    }
  | { kind: "pglite"; dataDir: string | "memory" };

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
    // Fail at start, not at the first request, when the URL is wrong.
    const client = await pool.connect();
    client.release();
    return wrap("postgres", pool, async () => {});
  }
  const lock: DataDirLock | undefined = options.dataDir === "memory" ? undefined : lockDataDir(options.dataDir);
  try {
    // PGlite runs on its own thread; pg talks to it through an in-process socket. One session:
    // the embedded backend serves one connection at a time, and it is kept open.
    const thread = await openPGliteThread(options.dataDir);
    const pool = new pg.Pool({ max: 1, idleTimeoutMillis: 0, stream: () => thread.socket() } as pg.PoolConfig);
    return wrap("pglite", pool, async () => {
      await thread.close();
      lock?.release();
    });
  } catch (error) {
    lock?.release();
    throw error;
  }
}

function wrap(kind: DatabaseKind, pool: pg.Pool, after: () => Promise<void>): Database {
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
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
    close: () => {
      closed ??= db.destroy().then(after);
      return closed;
    },
  };
}
