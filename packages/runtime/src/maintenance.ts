import type { Logger } from "@fractal/infra/logger";
import type { Metrics } from "@fractal/infra/metrics/metrics";
import type { RunControl } from "@fractal/infra/run-control";
import type { RunEventLog } from "@fractal/infra/run-events";
import type { Storage } from "@fractal/infra/storage/storage";
import { cancelRuns } from "./runs/cancel-runs.ts";

export interface MaintenanceOptions {
  storage: Storage;
  control: RunControl;
  events: RunEventLog;
  logger: Logger;
  /** How often every job runs (5 s). */
  intervalMs?: number;
  /** A run whose lease expired this many times ends `error` instead of going back to the queue. */
  maxAttempts?: number;
  /** How often the embedded database is vacuumed (60 s); PostgreSQL's autovacuum needs nothing. */
  vacuumEveryMs?: number;
  /** Lease expiries go here. */
  metrics?: Metrics;
}

/** One maintenance job: returns what it did, for the log and for tests. */
type Job = () => Promise<number>;

export interface Maintenance {
  start(): void;
  stop(): Promise<void>;
  /** Runs every job once, in order, and returns how many items each touched. */
  runOnce(): Promise<{ leases: number; store_items: number; threads: number; vacuumed: boolean }>;
}

/**
 * The database's housekeeping, separate from executing runs so that every process runs it (an API
 * process without a worker too): runs whose worker stopped go back to the queue (or end `error`
 * after `maxAttempts`), expired store items and threads are deleted, and the embedded database is
 * vacuumed once a minute. Any number of processes may run it on one database; each job is safe to
 * repeat.
 */
export function createMaintenance(options: MaintenanceOptions): Maintenance {
  const { storage, control, events } = options;
  const logger = options.logger.child({ component: "maintenance" });

  const leases: Job = async () => {
    const swept = await storage.runs.sweep(options.maxAttempts ?? 3);
    if (swept.length > 0) logger.warn("re-queued runs whose worker stopped", { runs: swept });
    for (const run of swept)
      options.metrics?.leaseExpiries.inc({ result: run.status === "pending" ? "requeued" : "failed" });
    return swept.length;
  };

  // Expired store items are already invisible; this removes their rows.
  const storeItems: Job = async () => {
    const expired = await storage.store.sweep();
    if (expired > 0) logger.info("deleted expired store items", { count: expired });
    return expired;
  };

  /**
   * Threads whose TTL ran out go with their runs and checkpoints. A thread with active runs has
   * them cancelled first and goes on a later pass, once nothing can write to it any more.
   */
  const threads: Job = async () => {
    let deleted = 0;
    for (const threadId of await storage.threads.expired(100)) {
      const active = await storage.runs.activeIds({ threadId });
      if (active.length > 0) {
        await cancelRuns({ storage, control, events }, active, "interrupt", threadId);
        continue;
      }
      await storage.deleteThread(threadId).catch(() => {});
      logger.info("deleted expired thread", { thread_id: threadId });
      deleted++;
    }
    return deleted;
  };

  /** The embedded database has no autovacuum: deleted rows' space is reclaimed here (VACUUM). */
  let lastVacuum = Number.NEGATIVE_INFINITY;
  const vacuum = async () => {
    if (performance.now() - lastVacuum < (options.vacuumEveryMs ?? 60_000)) return false;
    lastVacuum = performance.now();
    return storage.database.vacuum();
  };

  let timer: ReturnType<typeof setInterval> | undefined;
  let pass: Promise<unknown> = Promise.resolve();
  const runOnce = async () => ({
    leases: await leases(),
    store_items: await storeItems(),
    threads: await threads(),
    vacuumed: await vacuum(),
  });
  const tick = () => {
    pass = runOnce().catch((error: unknown) => logger.error("maintenance failed", { error }));
  };

  return {
    start() {
      if (timer) return;
      timer = setInterval(tick, options.intervalMs ?? 5_000);
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await pass;
    },
    runOnce,
  };
}
