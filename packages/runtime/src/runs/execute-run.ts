import { AppError } from "@fractal/infra/errors";
import type { AnyCompiledGraph } from "@fractal/infra/graph-context";
import type { Assistant } from "@fractal/infra/storage/assistants";
import type { Run, RunStatus } from "@fractal/infra/storage/runs";
import type { ThreadStatus } from "@fractal/infra/storage/threads";
import type { BaseMessage } from "@langchain/core/messages";
import { type BaseCheckpointSaver, Command, Send } from "@langchain/langgraph";
import { stripRuntime, toApiValue } from "../serialize.ts";
import { pauseOf, serializeSnapshot, threadConfig, withCheckpointRefs } from "../thread-state.ts";
import { streamWithEvents } from "./event-stream.ts";
import { createLifecycleStream } from "./lifecycle.ts";
import { createLegacyMessageStream } from "./message-stream.ts";
import type { RunKwargs, StreamMode } from "./run-kwargs.ts";
import { mergedConfigurable } from "./run-settings.ts";

type Obj = Record<string, unknown>;

export interface RunOutcome {
  status: RunStatus;
  error?: { error: string; message: string };
  thread: { status: ThreadStatus; values: unknown; interrupts: Obj };
}

export interface ExecuteOptions {
  graph: AnyCompiledGraph;
  run: Run;
  /** The run's config (runConfig), the same the graph was built with. */
  config: Obj;
  emit: (event: string, data: unknown) => void;
  signal: AbortSignal;
  /** A checkpointer for this run only, in place of the graph's (stateless runs keep state in memory). */
  checkpointer?: BaseCheckpointSaver;
}

/** Where LangGraph looks for a checkpointer lent through the config (it overrides the graph's own). */
const LENT_CHECKPOINTER = "__pregel_checkpointer";

const LANGGRAPH_MODE: Record<Exclude<StreamMode, "events" | "lifecycle">, string> = {
  values: "values",
  updates: "updates",
  messages: "messages",
  "messages-tuple": "messages",
  custom: "custom",
  debug: "debug",
  tasks: "tasks",
  checkpoints: "checkpoints",
  tools: "tools",
};

/**
 * Config for a run: assistant config, then run config (see mergedConfigurable for the order of
 * `configurable` and `context`); ids the graph may read in `configurable`.
 */
export function runConfig(run: Run, assistant: Assistant, kwargs: RunKwargs): Obj {
  const base = assistant.config as Obj & { configurable?: Obj };
  const own = kwargs.config ?? {};
  const checkpoint = threadConfig(run.thread_id, { checkpoint_id: kwargs.checkpoint_id, checkpoint: kwargs.checkpoint })
    .configurable as Obj;
  const recursionLimit = (own.recursion_limit ?? base.recursion_limit) as number | undefined;
  return {
    ...base,
    ...own,
    // The API spells it recursion_limit; LangGraph reads recursionLimit.
    ...(recursionLimit !== undefined ? { recursionLimit } : {}),
    configurable: {
      ...mergedConfigurable(assistant, kwargs),
      ...checkpoint,
      run_id: run.run_id,
      assistant_id: run.assistant_id,
      graph_id: assistant.graph_id,
    },
    // Checkpoints carry the run id in their metadata, so a rollback removes exactly this run's.
    metadata: { ...run.metadata, run_id: run.run_id, assistant_id: run.assistant_id, graph_id: assistant.graph_id },
    context: { ...(assistant.context ?? {}), ...(kwargs.context ?? {}) },
  };
}

/** `command.goto` as the API spells it: node names, or Send objects `{node, input}`, alone or in a list. */
function toGoto(goto: unknown): string | Send | Array<string | Send> {
  const one = (target: unknown): string | Send => {
    if (typeof target === "string") return target;
    const send = target as { node?: unknown; input?: unknown };
    if (send && typeof send.node === "string") return new Send(send.node, send.input);
    throw new AppError("validation_failed", "body.command.goto: each target is a node name or {node, input}");
  };
  return Array.isArray(goto) ? goto.map(one) : one(goto);
}

function runInput(kwargs: RunKwargs): unknown {
  if (kwargs.command) {
    const { resume, update, goto } = kwargs.command;
    return new Command({
      ...(resume !== undefined ? { resume } : {}),
      ...(update !== undefined ? { update: update as Obj } : {}),
      ...(goto !== undefined && goto !== null ? { goto: toGoto(goto) } : {}),
    });
  }
  return kwargs.input ?? null;
}

/** Tool callbacks hand over a call's arguments as JSON text; clients get them as the object they are. */
function toolInput(data: Obj): Obj {
  if (typeof data.input !== "string") return data;
  try {
    const parsed = JSON.parse(data.input);
    return parsed && typeof parsed === "object" ? { ...data, input: parsed } : data;
  } catch {
    return data;
  }
}

/**
 * A chunk in the shape clients read: checkpoint chunks (alone or inside debug events) carry the
 * checkpoint references history entries have, and tool events their arguments as objects.
 */
function apiChunk(mode: string, data: Obj): Obj {
  if (mode === "checkpoints") return withCheckpointRefs(data);
  if (mode === "tools") return toolInput(data);
  if (mode === "debug" && data.type === "checkpoint")
    return { ...data, payload: withCheckpointRefs(data.payload as Obj) };
  return data;
}

/** Runs the graph, emitting the requested stream modes, and reports how it ended. */
export async function executeRun(options: ExecuteOptions): Promise<RunOutcome> {
  const { graph, run, emit, signal } = options;
  const kwargs = run.kwargs as unknown as RunKwargs;
  const requested = new Set(kwargs.stream_mode);
  const modes: string[] = [
    ...new Set(
      [...requested].filter((m) => m !== "events" && m !== "lifecycle").map((m) => LANGGRAPH_MODE[m as never]),
    ),
  ];
  const legacy = requested.has("messages") ? createLegacyMessageStream(emit) : undefined;
  const subgraphs = kwargs.stream_subgraphs ?? false;
  // Subgraph starts and ends are read from namespaced chunks and task results, streamed for it alone.
  const lifecycle = requested.has("lifecycle") ? createLifecycleStream(emit) : undefined;
  const graphModes = lifecycle && !modes.includes("tasks") ? [...modes, "tasks"] : modes;
  const lent: Obj = options.checkpointer ? { [LENT_CHECKPOINTER]: options.checkpointer } : {};
  const config = { ...options.config, configurable: { ...(options.config.configurable as Obj), ...lent } };

  try {
    const streamOptions = {
      ...config,
      // `events` alone still needs one mode for the graph to stream; its chunks are not emitted.
      streamMode: (graphModes.length > 0 ? graphModes : ["values"]) as never,
      subgraphs: subgraphs || lifecycle !== undefined,
      signal,
      ...(kwargs.interrupt_before ? { interruptBefore: kwargs.interrupt_before as never } : {}),
      ...(kwargs.interrupt_after ? { interruptAfter: kwargs.interrupt_after as never } : {}),
      ...(kwargs.durability ? { durability: kwargs.durability } : {}),
    };
    const stream = requested.has("events")
      ? streamWithEvents(graph, runInput(kwargs), streamOptions, run.run_id, emit)
      : await graph.stream(runInput(kwargs), streamOptions);
    for await (const chunk of stream as AsyncIterable<unknown[]>) {
      const [ns, mode, data] = (subgraphs || lifecycle ? chunk : [[], ...chunk]) as [string[], string, unknown];
      lifecycle?.observe(ns, mode, data);
      if (ns.length > 0 && !subgraphs) continue;
      const suffix = ns.length > 0 ? `|${ns.join("|")}` : "";
      if (!modes.includes(mode)) continue;
      if (mode === "messages") {
        const [message, metadata] = data as [BaseMessage, Obj];
        const meta = stripRuntime(metadata);
        if (requested.has("messages-tuple")) emit(`messages${suffix}`, [toApiValue(message), meta]);
        legacy?.push(message, meta, suffix);
      } else if (mode === "checkpoints" || mode === "debug" || mode === "tasks" || mode === "tools") {
        emit(`${mode}${suffix}`, stripRuntime(toApiValue(apiChunk(mode, data as Obj))));
      } else {
        emit(`${mode}${suffix}`, toApiValue(data));
      }
    }
    legacy?.flush();
  } catch (error) {
    if (signal.aborted) {
      lifecycle?.finish("interrupted");
      return settle(graph, run, "interrupted", lent);
    }
    const err = error as Error;
    const payload = { error: err?.name ?? "Error", message: err?.message ?? String(error) };
    lifecycle?.finish("failed");
    emit("error", payload);
    const state = await settle(graph, run, "error", lent).catch(() => undefined);
    return {
      status: "error",
      error: payload,
      thread: { ...(state?.thread ?? { values: null, interrupts: {} }), status: "error" },
    };
  }
  const outcome = await settle(graph, run, signal.aborted ? "interrupted" : "success", lent);
  lifecycle?.finish(outcome.status === "interrupted" ? "interrupted" : "completed");
  return outcome;
}

/** Reads the thread's latest state to decide the run's and the thread's final status. */
async function settle(graph: AnyCompiledGraph, run: Run, ended: RunStatus, lent: Obj): Promise<RunOutcome> {
  const base = threadConfig(run.thread_id);
  const snapshot = await graph.getState({ ...base, configurable: { ...base.configurable, ...lent } });
  const state = snapshot.createdAt ? serializeSnapshot(snapshot) : undefined;
  const { interrupts, paused } = state ? pauseOf(state) : { interrupts: {}, paused: false };
  const status: RunStatus = ended === "success" && paused ? "interrupted" : ended;
  return {
    status,
    thread: { status: paused ? "interrupted" : "idle", values: state?.values ?? null, interrupts },
  };
}
