import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "@fractal/infra/logger";
import { type Metrics, secondsSince } from "@fractal/infra/metrics/metrics";
import type { RunControl } from "@fractal/infra/run-control";
import type { RunEventLog } from "@fractal/infra/run-events";
import type { Assistant } from "@fractal/infra/storage/assistants";
import type { CancelAction, ClaimedRun } from "@fractal/infra/storage/runs";
import type { Storage } from "@fractal/infra/storage/storage";
import { contextFrom, failSpan, inSpan, tracer, tracingEnabled } from "@fractal/infra/tracing/tracing";
import { MemorySaver } from "@langchain/langgraph";
import { type Context, context, type Span } from "@opentelemetry/api";
import type { GraphRegistry } from "../registry.ts";
import { readState } from "../thread-state.ts";
import { executeRun, type RunOutcome, runConfig } from "./execute-run.ts";
import { RunCallbacks } from "./run-callbacks.ts";
import type { RunKwargs } from "./run-kwargs.ts";

export interface WorkerOptions {
  storage: Storage;
  graphs: GraphRegistry;
  events: RunEventLog;
  control: RunControl;
  logger: Logger;
  workerId?: string;
  /** Runs executed at once (N_JOBS_PER_WORKER). */
  concurrency?: number;
  leaseMs?: number;
  heartbeatMs?: number;
  /** How often to look for runs when nothing signals one. */
  pollMs?: number;
  /**
   * How long a run created without `stream_resumable` keeps its events after it ends (long enough
   * for a join or thread stream racing the end); resumable runs keep them for the log's retention.
   */
  unresumableRetainMs?: number;
  /** A run executing longer than this is aborted and ends `timeout` (0 or unset: no limit). */
  runTimeoutMs?: number;
  /** Told when a webhook delivery was queued (the deliverer sends it in the background). */
  onWebhookQueued?: () => void;
  /** Queue wait, run durations and final statuses go here. */
  metrics?: Metrics;
  /**
   * Count chat models' tokens (fractal_model_tokens_total) with tracing off too. It attaches a
   * LangChain callback handler to every run, which costs LangChain about half a millisecond per run
   * of a small graph (its callback manager is then set up for every runnable); with tracing on the
   * span handler counts them anyway. Default true.
   */
  countModelTokens?: boolean;
}

/**
 * Hands runs created in this process straight to its worker: the run is inserted `running` under
 * this worker's lease, so no claim round trip is needed. Recovery is unchanged (the lease expires).
 */
export interface Dispatcher {
  readonly workerId: string;
  readonly leaseMs: number;
  /** Takes a slot for a run about to be created; false when the worker is stopped or full. */
  reserve(): boolean;
  /** Executes a run created `running` under this worker's lease, in a slot `reserve` took. */
  adopt(run: ClaimedRun, assistant: Assistant): void;
  /** Gives back a slot the created run did not take (it was queued instead). */
  unreserve(): void;
}

export interface Worker extends Dispatcher {
  readonly id: string;
  start(): void;
  /** Stops claiming and waits for runs in flight (up to `drainMs`), then hands the rest back. */
  stop(drainMs?: number): Promise<void>;
  active(): number;
}

interface Active {
  controller: AbortController;
  action?: CancelAction;
  /** Handed back to the queue at shutdown: its outcome is not recorded. */
  released?: boolean;
  /** Aborted because it ran past the run time limit. */
  timedOut?: boolean;
  /**
   * Aborted because its lease was lost (a heartbeat did not renew it: the lease had expired and the
   * run went back to the queue). Another claim executes the run; this attempt records nothing.
   */
  lost?: boolean;
  /** Recording its outcome: a heartbeat that no longer finds the run running is not a lost lease. */
  finishing?: boolean;
  done: Promise<void>;
}

/** Claims runs from the database and executes them; any number of workers may share a database. */
export function createWorker(options: WorkerOptions): Worker {
  const { storage, graphs, events, control } = options;
  const id = options.workerId ?? `worker-${crypto.randomUUID().slice(0, 8)}`;
  const concurrency = options.concurrency ?? 10;
  const leaseMs = options.leaseMs ?? 30_000;
  const logger = options.logger.child({ worker_id: id });
  const active = new Map<string, Active>();
  let running = false;
  let ticking = false;
  let again = false;
  /** Slots promised to runs being created in this process. */
  let reserved = 0;
  /** The last claim loop stopped because every slot was taken: pending runs may be waiting. */
  let saturated = false;
  const free = () => running && active.size + reserved < concurrency;
  const timers: Array<ReturnType<typeof setInterval>> = [];
  const unsubscribers: Array<() => void> = [];

  /**
   * Cancels that arrived for runs not executing here (yet). A run claimed just before its cancel was
   * stored gets the signal while the claim's answer is still on its way: the signal is kept, and
   * start() applies it. Cancels for runs of other workers are forgotten after a minute.
   */
  const earlyCancels = new Map<string, { action: CancelAction; at: number }>();
  const requestCancel = (runId: string, action: CancelAction) => {
    const entry = active.get(runId);
    if (!entry) {
      const now = Date.now();
      for (const [id, early] of earlyCancels) if (now - early.at > 60_000) earlyCancels.delete(id);
      earlyCancels.set(runId, { action, at: now });
      return;
    }
    entry.action = action;
    entry.controller.abort();
  };

  const tick = async () => {
    if (!running) return;
    if (ticking) {
      again = true;
      return;
    }
    ticking = true;
    try {
      do {
        again = false;
        saturated = false;
        while (free()) {
          const run = await storage.runs.claim(id, leaseMs);
          if (!run) break;
          start(run);
        }
        if (running && !free()) saturated = true;
      } while (again && running);
    } catch (error) {
      logger.error("claim failed", { error });
    } finally {
      ticking = false;
    }
  };

  /** Stops an attempt whose lease this worker no longer holds; it records nothing. */
  const loseLease = (runId: string, entry: Active) => {
    if (entry.lost || entry.finishing) return;
    entry.lost = true;
    entry.controller.abort();
    logger.warn("lease lost while the run executed; this attempt stops", { run_id: runId });
  };

  const start = (run: ClaimedRun, assistant?: Assistant) => {
    const controller = new AbortController();
    const early = earlyCancels.get(run.run_id);
    earlyCancels.delete(run.run_id);
    const cancelAction = run.cancel_action ?? early?.action;
    const entry: Active = { controller, action: cancelAction ?? undefined, done: Promise.resolve() };
    if (cancelAction) controller.abort();
    // This worker claimed again a run it is still executing (its lease had expired and the run was
    // requeued): the old attempt stops, and the new one starts once it has unwound.
    const previous = active.get(run.run_id);
    if (previous) loseLease(run.run_id, previous);
    active.set(run.run_id, entry);
    entry.done = (previous?.done ?? Promise.resolve())
      .then(() => execute(run, entry, assistant))
      .then((queued) => queued || saturated)
      .catch((error) => {
        logger.error("run bookkeeping failed", { run_id: run.run_id, error });
        return true;
      })
      .then((claimMore) => {
        if (active.get(run.run_id) === entry) active.delete(run.run_id);
        // Runs queued behind this one (or left unclaimed while every slot was busy) start now;
        // otherwise the queued signal and the poll cover new work.
        if (claimMore) void tick();
      });
  };

  /**
   * Executes a run and records how it ended; true when runs wait on its thread. With tracing on,
   * the run is a span continuing its creator's trace context, with the queue wait and the execution
   * (graph nodes, model and tool calls inside) as children.
   */
  const execute = (run: ClaimedRun, entry: Active, known?: Assistant): Promise<boolean> => {
    if (!tracingEnabled()) return executeAndRecord(run, entry, known);
    const attributes = {
      "fractal.run.id": run.run_id,
      "fractal.thread.id": run.thread_id,
      "fractal.assistant.id": run.assistant_id,
      "fractal.run.attempt": run.attempt,
    };
    return inSpan("run", { attributes, parent: contextFrom(run.trace_context) }, (span) =>
      executeAndRecord(run, entry, known, span),
    );
  };

  const executeAndRecord = async (run: ClaimedRun, entry: Active, known?: Assistant, span?: Span): Promise<boolean> => {
    const traceId = span?.spanContext().traceId;
    const log = logger.child({
      run_id: run.run_id,
      thread_id: run.thread_id,
      assistant_id: run.assistant_id,
      ...(traceId ? { trace_id: traceId } : {}),
    });
    const kwargs = run.kwargs as unknown as RunKwargs;
    const started = performance.now();
    const emit = (event: string, data: unknown) => {
      events.append(run.run_id, event, data);
    };
    emit("metadata", { run_id: run.run_id, attempt: run.attempt });
    const createdAt = Date.parse(run.created_at);
    if (Number.isFinite(createdAt)) {
      options.metrics?.queueWait.observe(Math.max(0, Date.now() - createdAt) / 1000);
      // A child of the run span: nothing has been awaited yet, so it is still the active one.
      if (span) tracer().startSpan("queue_wait", { startTime: createdAt }).end();
    }
    log.info("run started", { attempt: run.attempt });
    let outcome: RunOutcome;
    const assistant = known ?? (await storage.assistants.find(run.assistant_id));
    // A stateless run whose thread is deleted at the end keeps its checkpoints in memory.
    const temporary = kwargs.temporary === true && kwargs.on_completion !== "keep";
    if (!assistant) {
      const error = { error: "AssistantNotFound", message: `assistant '${run.assistant_id}' no longer exists` };
      emit("error", error);
      outcome = { status: "error", error, thread: { status: "error", values: null, interrupts: {} } };
    } else {
      span?.updateName(`run ${assistant.graph_id}`);
      span?.setAttribute("fractal.graph.id", assistant.graph_id);
      const config = runConfig(run, assistant, kwargs);
      // Spans for nodes, models and tools under `parent` (tracing on); token counts for the metrics.
      const callbacksUnder = (parent?: Context) =>
        parent || (options.metrics && options.countModelTokens !== false)
          ? [new RunCallbacks({ parent, metrics: options.metrics })]
          : [];
      const graph = await graphs.resolve(assistant.graph_id, {
        checkpointer: storage.checkpoints.saver,
        store: storage.store,
        config,
      });
      const limit = options.runTimeoutMs ?? 0;
      const timer =
        limit > 0
          ? setTimeout(() => {
              entry.timedOut = true;
              entry.controller.abort();
            }, limit)
          : undefined;
      const execution = (parent?: Context) =>
        executeRun({
          graph,
          run,
          config: { ...config, callbacks: callbacksUnder(parent) },
          emit,
          signal: entry.controller.signal,
          ...(temporary ? { checkpointer: new MemorySaver() } : {}),
        });
      try {
        outcome = span
          ? await inSpan("execute", {}, async (child) => {
              const result = await execution(context.active());
              if (result.status === "error") failSpan(child, result.error?.message ?? "run failed");
              return result;
            })
          : await execution();
      } finally {
        clearTimeout(timer);
      }
      // Its lease is gone (loseLease logged it): the run's new claim executes and records it.
      if (entry.lost) {
        events.handOff(run.run_id);
        return false;
      }
      if (entry.timedOut && !entry.action && !entry.released) {
        const error = { error: "RunTimeout", message: `the run took longer than its time limit (${limit} ms)` };
        emit("error", error);
        outcome = { status: "timeout", error, thread: { ...outcome.thread, status: "error" } };
      }
      if (entry.action === "rollback" && !temporary) {
        await storage.checkpoints.deleteRun(run.thread_id, run.run_id);
        const state = await readState(graph, run.thread_id);
        outcome = { status: "interrupted", thread: { status: "idle", values: state.values, interrupts: {} } };
      }
    }
    let finished: boolean;
    let queued = false;
    if (entry.released) {
      log.info("run handed back to the queue at shutdown", { attempt: run.attempt });
      events.handOff(run.run_id);
      return false;
    }
    entry.finishing = true;
    if (temporary) {
      finished = await storage.deleteTemporaryThread(run.thread_id, run.run_id, id);
    } else {
      const deleteRun = entry.action === "rollback";
      ({ finished, queued } = await storage.runs.finish(id, run.run_id, outcome, { deleteRun }));
    }
    if (!finished) log.warn("lease lost before the run finished; its result is discarded");
    if (finished && kwargs.webhook) {
      await storage.webhooks
        .enqueue({
          run_id: run.run_id,
          thread_id: run.thread_id,
          url: kwargs.webhook,
          payload: {
            run_id: run.run_id,
            thread_id: run.thread_id,
            assistant_id: run.assistant_id,
            status: outcome.status,
            metadata: run.metadata,
            values: outcome.thread.values,
            error: outcome.error ?? null,
            created_at: run.created_at,
            ended_at: new Date().toISOString(),
          },
        })
        .then(() => options.onWebhookQueued?.())
        .catch((error) => log.error("could not queue the run's webhook", { error }));
    }
    emit("end", null);
    // Only a run that asked to be resumable keeps its events for later joins; others briefly.
    events.close(run.run_id, kwargs.stream_resumable ? undefined : { retainMs: options.unresumableRetainMs });
    span?.setAttribute("fractal.run.status", outcome.status);
    if (span && (outcome.status === "error" || outcome.status === "timeout")) {
      failSpan(span, outcome.error?.message ?? outcome.status);
    }
    if (finished) {
      options.metrics?.runsFinished.inc({ status: outcome.status });
      options.metrics?.runDuration.observe({ status: outcome.status }, secondsSince(started));
    }
    log.info("run finished", {
      status: outcome.status,
      cancel: entry.action,
      duration_ms: Math.round(performance.now() - started),
    });
    return queued;
  };

  return {
    id,
    workerId: id,
    leaseMs,
    reserve() {
      if (!free()) return false;
      reserved++;
      return true;
    },
    adopt(run, assistant) {
      reserved--;
      start(run, assistant);
    },
    unreserve() {
      reserved--;
    },
    start() {
      if (running) return;
      running = true;
      unsubscribers.push(
        control.onCreated((run) => {
          if (run.status === "pending") void tick();
        }),
        control.onCancel(requestCancel),
      );
      timers.push(setInterval(() => void tick(), options.pollMs ?? 500));
      timers.push(
        setInterval(
          async () => {
            try {
              const held = [...active.entries()];
              const renewed = await storage.runs.heartbeat(
                id,
                held.map(([runId]) => runId),
                leaseMs,
              );
              for (const { run_id, action } of renewed) if (action) requestCancel(run_id, action);
              // A run the heartbeat did not renew is no longer ours: its lease expired and the run
              // was requeued (and maybe claimed elsewhere). Its attempt stops instead of running on.
              const kept = new Set(renewed.map((r) => r.run_id));
              for (const [runId, entry] of held) {
                if (!kept.has(runId) && active.get(runId) === entry) loseLease(runId, entry);
              }
            } catch (error) {
              logger.error("heartbeat failed", { error });
            }
          },
          options.heartbeatMs ?? Math.max(50, Math.floor(leaseMs / 3)),
        ),
      );
      void tick();
      logger.info("worker started", { concurrency });
    },
    async stop(drainMs = 10_000) {
      running = false;
      for (const t of timers.splice(0)) clearInterval(t);
      for (const u of unsubscribers.splice(0)) u();
      const inflight = [...active.entries()];
      const drained = await Promise.race([
        Promise.all(inflight.map(([, a]) => a.done)).then(() => true),
        sleep(drainMs).then(() => false),
      ]);
      if (!drained) {
        for (const [runId, entry] of active) {
          entry.released = true;
          entry.controller.abort();
          await storage.runs.release(id, runId);
        }
        // Let the aborted graphs unwind before the database closes under them.
        await Promise.race([Promise.all([...active.values()].map((a) => a.done)), sleep(2_000)]);
      }
    },
    active: () => active.size,
  };
}
