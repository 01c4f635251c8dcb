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

  // Every family registers in this process's registry; label names are fixed when declared.
  const counter = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers });
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers });
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
    new Histogram<L>({ name, help, labelNames, buckets, registers });
  /** A gauge set from `read` whenever /metrics is scraped. */
  const sampled = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });

  const metrics = {
    registry,
    httpRequests: counter(
      "fractal_http_requests_total",
      "HTTP requests answered, by route template, method and status code.",
      ["route", "method", "status"],
    ),
    httpDuration: histogram(
      "fractal_http_request_duration_seconds",
      "Time to answer an HTTP request (to the first byte of a stream), by route template and method.",
      ["route", "method"],
      SECONDS,
    ),
    sseClients: gauge(
      "fractal_sse_clients",
      "Server-sent event responses open now (run streams, joins, thread streams).",
    ),
    runsCreated: counter("fractal_runs_created_total", "Runs created, by kind: stateful (on a thread) or stateless.", [
      "kind",
    ]),
    runsFinished: counter(
      "fractal_runs_finished_total",
      "Runs this process finished executing, by final status (success, error, timeout, interrupted).",
      ["status"],
    ),
    runDuration: histogram(
      "fractal_run_duration_seconds",
      "Time from a run's start of execution to its end, by final status.",
      ["status"],
      SECONDS,
    ),
    queueWait: histogram(
      "fractal_run_queue_wait_seconds",
      "Time a run waited in the queue: from creation to the claim that started this attempt.",
      [],
      SECONDS,
    ),
    leaseExpiries: counter(
      "fractal_run_lease_expiries_total",
      "Running runs whose worker's lease expired, by what happened: requeued, or failed (attempts used up).",
      ["result"],
    ),
    webhookDeliveries: counter(
      "fractal_webhook_deliveries_total",
      "Webhook delivery attempts, by outcome: delivered, retry (failed, will retry), failed (gave up).",
      ["outcome"],
    ),
    cronTicks: counter(
      "fractal_cron_ticks_total",
      "Cron ticks fired, by outcome: started (a run was created) or failed.",
      ["outcome"],
    ),
    authFailures: counter("fractal_auth_failures_total", "Requests refused by authentication, by reason.", ["reason"]),
    dbQueryDuration: histogram(
      "fractal_db_query_duration_seconds",
      "Storage statements (runtime tables), by operation: select, insert, update, delete, other.",
      ["operation"],
      FAST_SECONDS,
    ),
    checkpointDuration: histogram(
      "fractal_checkpoint_operation_duration_seconds",
      "LangGraph checkpointer operations, by operation: get_tuple, list, put, put_writes.",
      ["operation"],
      FAST_SECONDS,
    ),
    modelTokens: counter(
      "fractal_model_tokens_total",
      "Tokens chat models reported, by provider, model and direction (input, output).",
      ["provider", "model", "direction"],
    ),
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
  sampled("fractal_worker_slots_busy", "Runs executing in this process now.", () => sources.workerSlots?.().busy ?? 0);
  sampled(
    "fractal_worker_slots",
    "Runs this process may execute at once (0: it executes none).",
    () => sources.workerSlots?.().total ?? 0,
  );
  sampled(
    "fractal_run_stream_readers",
    "Readers following run event streams in this process: run streams, joins and runs/wait answers.",
    () => sources.eventStreams?.().readers ?? 0,
  );
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Seconds since a performance.now() reading. */
export function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}
