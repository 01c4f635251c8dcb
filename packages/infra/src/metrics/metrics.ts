import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Read when /metrics is scraped: what the process holds at that moment. */
export interface MetricSources {
  /** Runs in the database by status (pending = the queue); undefined when the database is down. */
  runsByStatus?: () => Promise<Record<string, number> | undefined>;
  /** Runs executing in this process, and how many it may execute at once. */
  workerSlots?: () => { busy: number; total: number };
  /** Readers following run event streams in this process. */
  eventStreams?: () => { readers: number };
}

/** Request and run latencies: 5 ms … 60 s. */
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Storage statements and checkpoint operations: 0.5 ms … 5 s. */
const FAST_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/**
 * The process's Prometheus metrics (prom-client), one registry per process. Labels are bounded: route
 * templates, methods, status classes and codes, run statuses, outcomes, reasons — never ids.
 */
export function createMetrics() {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  let sources: MetricSources = {};
  const reasons = new Set<string>();

  const metrics = {
    registry,
    httpRequests: new Counter({
      name: "fractal_http_requests_total",
      help: "HTTP requests answered, by route template, method and status code.",
      labelNames: ["route", "method", "status"] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: "fractal_http_request_duration_seconds",
      help: "Time to answer an HTTP request (to the first byte of a stream), by route template and method.",
      labelNames: ["route", "method"] as const,
      buckets: SECONDS,
      registers,
    }),
    sseClients: new Gauge({
      name: "fractal_sse_clients",
      help: "Server-sent event responses open now (run streams, joins, thread streams).",
      registers,
    }),
    runsCreated: new Counter({
      name: "fractal_runs_created_total",
      help: "Runs created, by kind: stateful (on a thread) or stateless.",
      labelNames: ["kind"] as const,
      registers,
    }),
    runsFinished: new Counter({
      name: "fractal_runs_finished_total",
      help: "Runs this process finished executing, by final status (success, error, timeout, interrupted).",
      labelNames: ["status"] as const,
      registers,
    }),
    runDuration: new Histogram({
      name: "fractal_run_duration_seconds",
      help: "Time from a run's start of execution to its end, by final status.",
      labelNames: ["status"] as const,
      buckets: SECONDS,
      registers,
    }),
    queueWait: new Histogram({
      name: "fractal_run_queue_wait_seconds",
      help: "Time a run waited in the queue: from creation to the claim that started this attempt.",
      buckets: SECONDS,
      registers,
    }),
    leaseExpiries: new Counter({
      name: "fractal_run_lease_expiries_total",
      help: "Running runs whose worker's lease expired, by what happened: requeued, or failed (attempts used up).",
      labelNames: ["result"] as const,
      registers,
    }),
    webhookDeliveries: new Counter({
      name: "fractal_webhook_deliveries_total",
      help: "Webhook delivery attempts, by outcome: delivered, retry (failed, will retry), failed (gave up).",
      labelNames: ["outcome"] as const,
      registers,
    }),
    cronTicks: new Counter({
      name: "fractal_cron_ticks_total",
      help: "Cron ticks fired, by outcome: started (a run was created) or failed.",
      labelNames: ["outcome"] as const,
      registers,
    }),
    authFailures: new Counter({
      name: "fractal_auth_failures_total",
      help: "Requests refused by authentication, by reason.",
      labelNames: ["reason"] as const,
      registers,
    }),
    dbQueryDuration: new Histogram({
      name: "fractal_db_query_duration_seconds",
      help: "Storage statements (runtime tables), by operation: select, insert, update, delete, other.",
      labelNames: ["operation"] as const,
      buckets: FAST_SECONDS,
      registers,
    }),
    checkpointDuration: new Histogram({
      name: "fractal_checkpoint_operation_duration_seconds",
      help: "LangGraph checkpointer operations, by operation: get_tuple, list, put, put_writes.",
      labelNames: ["operation"] as const,
      buckets: FAST_SECONDS,
      registers,
    }),
    modelTokens: new Counter({
      name: "fractal_model_tokens_total",
      help: "Tokens chat models reported, by provider, model and direction (input, output).",
      labelNames: ["provider", "model", "direction"] as const,
      registers,
    }),
    /**
     * Counts a refused authentication. Reasons are ours (a short fixed set) or a custom auth
     * handler's messages: after 32 distinct ones the rest count as `other`, keeping the label bounded.
     */
    authFailed(reason: string) {
      if (!reasons.has(reason) && reasons.size >= 32) reason = "other";
      reasons.add(reason);
      metrics.authFailures.inc({ reason });
    },
    /** Sets what is read at scrape time (the composition root knows the worker and storage). */
    setSources(next: MetricSources) {
      sources = next;
    },
  };

  new Gauge({
    name: "fractal_runs",
    help: "Runs in the database by status; pending is the queue depth (all processes, one database).",
    labelNames: ["status"] as const,
    registers,
    async collect() {
      const counts = await sources.runsByStatus?.().catch(() => undefined);
      this.reset();
      if (!counts) return;
      for (const status of ["pending", "running"]) this.set({ status }, counts[status] ?? 0);
    },
  });
  new Gauge({
    name: "fractal_worker_slots_busy",
    help: "Runs executing in this process now.",
    registers,
    collect() {
      this.set(sources.workerSlots?.().busy ?? 0);
    },
  });
  new Gauge({
    name: "fractal_worker_slots",
    help: "Runs this process may execute at once (0: it executes none).",
    registers,
    collect() {
      this.set(sources.workerSlots?.().total ?? 0);
    },
  });
  new Gauge({
    name: "fractal_run_stream_readers",
    help: "Readers following run event streams in this process: run streams, joins and runs/wait answers.",
    registers,
    collect() {
      this.set(sources.eventStreams?.().readers ?? 0);
    },
  });
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Seconds since a performance.now() reading. */
export function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}
