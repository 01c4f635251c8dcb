import { type Access, canSee } from "@fractal/infra/auth/access";
import { AppError } from "@fractal/infra/errors";
import { isUuid } from "@fractal/infra/ids";
import type { Metrics } from "@fractal/infra/metrics/metrics";
import type { RunControl } from "@fractal/infra/run-control";
import type { RunEventLog } from "@fractal/infra/run-events";
import type { Assistant } from "@fractal/infra/storage/assistants";
import { type CancelAction, isFinalStatus, type MultitaskStrategy, type Run } from "@fractal/infra/storage/runs";
import type { Storage } from "@fractal/infra/storage/storage";
import { currentTraceContext } from "@fractal/infra/tracing/tracing";
import { assertWebhookUrl, type WebhookPolicy } from "@fractal/infra/webhooks/url-guard";
import { defaultAssistantId } from "../default-assistants.ts";
import type { GraphRegistry } from "../registry.ts";
import { cancelRuns } from "./cancel-runs.ts";
import type { RunKwargs } from "./run-kwargs.ts";
import { mergedConfigurable } from "./run-settings.ts";
import type { Dispatcher } from "./worker.ts";

type Obj = Record<string, unknown>;

/** The reference server's text for a run whose assistant id is neither an assistant nor a graph. */
const noAssistant = (idOrGraph: string) =>
  new AppError("not_found", `No assistant found for '${idOrGraph}': it is neither an assistant id nor a graph id`);

export interface CreateRunRequest {
  assistant_id: string;
  kwargs: RunKwargs;
  metadata?: Obj;
  multitask_strategy?: MultitaskStrategy;
  if_not_exists?: "reject" | "create";
  after_seconds?: number;
  /** Merged into the metadata of the run's thread (auth stamps a new thread's owner this way). */
  thread_metadata?: Obj;
  /** Which assistants the caller may run (auth); another one is a 404 like an unknown id. */
  assistant_access?: Access;
}

export interface RunService {
  /** Queues a run on a thread (or, with no thread id, on a new temporary thread). */
  create(threadId: string | undefined, request: CreateRunRequest): Promise<Run>;
  /** Waits until the run has ended and returns it (undefined if it was deleted meanwhile). */
  join(runId: string, signal?: AbortSignal): Promise<Run | undefined>;
  /** Waits for the run (following its events) and returns its final values, or `{__error__}` when it failed. */
  result(runId: string, threadId: string, signal?: AbortSignal): Promise<unknown>;
  /** The same, waiting through the database only (the run may execute on another process). */
  joinResult(runId: string, threadId: string, signal?: AbortSignal): Promise<unknown>;
  cancel(runIds: string[], action: CancelAction, threadId?: string): Promise<number>;
  /**
   * Checks a run request without creating the run (crons check their ticks' runs when created):
   * `checkWebhook` on its webhook, then `checkAssistant`. Returns the assistant.
   */
  check(request: Pick<CreateRunRequest, "assistant_id" | "kwargs" | "assistant_access">): Promise<Assistant>;
  /** A webhook URL runs may name under the server's policy (a 422 otherwise). */
  checkWebhook(url: string | undefined): void;
  /**
   * The run's assistant (an id or a graph id; 404 when unknown or not visible to the caller) and the
   * graph's check of the merged settings (422). Returns the assistant.
   */
  checkAssistant(request: Pick<CreateRunRequest, "assistant_id" | "kwargs" | "assistant_access">): Promise<Assistant>;
}

export interface RunServiceOptions {
  storage: Storage;
  graphs: GraphRegistry;
  events: RunEventLog;
  control: RunControl;
  defaultStrategy: MultitaskStrategy;
  /** This process's worker: a run that can start at once goes straight to it. */
  dispatcher?: Dispatcher;
  /** Which webhook URLs runs may name. */
  webhookPolicy?: WebhookPolicy;
  /** Created runs go here. */
  metrics?: Metrics;
}

export function createRunService(options: RunServiceOptions): RunService {
  const { storage, graphs, events, control } = options;

  /** An assistant id, or a graph id standing for its default assistant (as the SDK allows). */
  const resolveAssistant = async (idOrGraph: string) => {
    const assistantId = isUuid(idOrGraph)
      ? idOrGraph
      : graphs.has(idOrGraph)
        ? defaultAssistantId(idOrGraph)
        : undefined;
    const assistant = assistantId ? await storage.assistants.find(assistantId) : undefined;
    if (!assistant) throw noAssistant(idOrGraph);
    graphs.require(assistant.graph_id);
    return assistant;
  };

  const cancel = (runIds: string[], action: CancelAction, threadId?: string) =>
    cancelRuns({ storage, control, events }, runIds, action, threadId);

  const join = async (runId: string, signal?: AbortSignal) => {
    while (!signal?.aborted) {
      const run = await storage.runs.find(runId);
      if (!run || isFinalStatus(run.status)) return run;
      // Events close right after the run's row is final; the timeout covers runs on other replicas.
      const reader = events.read(runId, {
        signal: AbortSignal.any([AbortSignal.timeout(1000), ...(signal ? [signal] : [])]),
      });
      for await (const _ of reader) {
        // drain until the run closes
      }
    }
    return undefined;
  };

  /** What wait and join answer: `{__error__}` for a failed run, else the final values. */
  const finalResult = async (error: unknown, values: unknown, threadId: string) => {
    if (error !== undefined) return { __error__: error };
    if (values !== undefined) return values;
    const thread = await storage.threads.get(threadId).catch(() => undefined);
    return thread?.values ?? null;
  };

  const joinResult = async (runId: string, threadId: string, signal?: AbortSignal) => {
    const run = await join(runId, signal);
    return finalResult(run?.status === "error" ? run.error : undefined, undefined, threadId);
  };

  /** The rules every run request meets, whether it starts now or on a cron's ticks. */
  const checkWebhook = (url: string | undefined) =>
    assertWebhookUrl(url, options.webhookPolicy ?? { allowedHosts: [] });

  const checkAssistant = async (request: Pick<CreateRunRequest, "assistant_id" | "kwargs" | "assistant_access">) => {
    const assistant = await resolveAssistant(request.assistant_id);
    if (!canSee(assistant.metadata, request.assistant_access)) {
      throw noAssistant(request.assistant_id);
    }
    graphs.validate(assistant.graph_id, mergedConfigurable(assistant, request.kwargs));
    return assistant;
  };

  const check = async (request: Pick<CreateRunRequest, "assistant_id" | "kwargs" | "assistant_access">) => {
    checkWebhook(request.kwargs.webhook);
    return checkAssistant(request);
  };

  return {
    check,
    checkWebhook,
    checkAssistant,

    async create(threadId, request) {
      const assistant = await check(request);
      const temporary = threadId === undefined;
      const kwargs: RunKwargs = { ...request.kwargs, ...(temporary ? { temporary: true } : {}) };
      // A thread deleted when the run ends needs no intermediate checkpoints: write one at the end.
      if (temporary && kwargs.on_completion !== "keep" && kwargs.durability === undefined) kwargs.durability = "exit";
      const dispatcher = options.dispatcher?.reserve() ? options.dispatcher : undefined;
      const traceContext = currentTraceContext();
      const created = await storage.runs
        .create({
          run_id: crypto.randomUUID(),
          thread_id: threadId ?? crypto.randomUUID(),
          new_thread: temporary,
          assistant_id: assistant.assistant_id,
          metadata: request.metadata,
          kwargs: kwargs as unknown as Obj,
          multitask_strategy: request.multitask_strategy ?? options.defaultStrategy,
          after_seconds: request.after_seconds,
          if_not_exists: temporary ? "create" : request.if_not_exists,
          thread_metadata: {
            ...request.thread_metadata,
            graph_id: assistant.graph_id,
            assistant_id: assistant.assistant_id,
          },
          ...(dispatcher ? { lease: { owner: dispatcher.workerId, ms: dispatcher.leaseMs } } : {}),
          ...(traceContext ? { trace_context: traceContext } : {}),
        })
        .catch((error) => {
          dispatcher?.unreserve();
          throw error;
        });
      const { run, cancelled } = created;
      for (const c of cancelled) {
        if (c.was === "running") control.cancel(c.run_id, c.action);
        else {
          events.append(c.run_id, "end", null);
          events.close(c.run_id);
        }
      }
      if (run.status === "running" && dispatcher) {
        dispatcher.adopt({ ...run, cancel_action: null, trace_context: traceContext ?? null }, assistant);
      } else dispatcher?.unreserve();
      control.created({ run_id: run.run_id, thread_id: run.thread_id, status: run.status });
      options.metrics?.runsCreated.inc({ kind: temporary ? "stateless" : "stateful" });
      return run;
    },

    join,

    async result(runId, threadId, signal) {
      let values: unknown;
      let error: unknown;
      let ended = false;
      for await (const event of events.read(runId, { signal })) {
        if (event.event === "values") values = event.data;
        if (event.event === "error") error = event.data;
        if (event.event === "end") ended = true;
      }
      // The worker writes `end` after the run's row is final and reports failures as `error`
      // events; without `end` (a run on another process, or a lost log) the row decides.
      if (!ended) return joinResult(runId, threadId, signal);
      return finalResult(error, values, threadId);
    },

    joinResult,

    cancel,
  };
}
