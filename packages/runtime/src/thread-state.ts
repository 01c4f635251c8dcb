import { AppError } from "@fractal/infra/errors";
import type { AnyCompiledGraph } from "@fractal/infra/graph-context";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { StateSnapshot } from "@langchain/langgraph";
import { toApiValue } from "./serialize.ts";

type Obj = Record<string, unknown>;

export interface CheckpointRef {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string | null;
  checkpoint_map: Obj | null;
}

export interface ApiInterrupt {
  id?: string;
  value?: unknown;
  [key: string]: unknown;
}

export interface ApiTask {
  id: string;
  name: string;
  path?: unknown;
  error: string | null;
  interrupts: ApiInterrupt[];
  checkpoint: CheckpointRef | null;
  state: ApiThreadState | null;
  result?: unknown;
}

/** A thread state as the API returns it (GET /threads/{id}/state, history entries). */
export interface ApiThreadState {
  values: unknown;
  next: string[];
  tasks: ApiTask[];
  checkpoint: CheckpointRef | null;
  parent_checkpoint: CheckpointRef | null;
  metadata: Obj | null;
  created_at: string | null;
  interrupts: ApiInterrupt[];
}

/** The state of a thread that has no graph or no checkpoint yet. */
export const EMPTY_STATE: ApiThreadState = {
  values: {},
  next: [],
  tasks: [],
  checkpoint: null,
  parent_checkpoint: null,
  metadata: null,
  created_at: null,
  interrupts: [],
};

export function toCheckpointRef(config: RunnableConfig | undefined): CheckpointRef | null {
  const c = config?.configurable;
  if (!c?.thread_id) return null;
  return {
    thread_id: String(c.thread_id),
    checkpoint_ns: String(c.checkpoint_ns ?? ""),
    checkpoint_id: c.checkpoint_id ? String(c.checkpoint_id) : null,
    checkpoint_map: (c.checkpoint_map as Obj | undefined) ?? null,
  };
}

/** A subgraph's state inside its task: the thread state less the top-level `interrupts` list. */
function subgraphState(snapshot: StateSnapshot): ApiTask["state"] {
  const { interrupts: _, ...state } = serializeSnapshot(snapshot);
  return state as ApiThreadState;
}

/** Where a subgraph task keeps its state: its thread and namespace (the id only once it has one). */
function subgraphRef(config: RunnableConfig): ApiTask["checkpoint"] {
  const c = config.configurable ?? {};
  return {
    thread_id: String(c.thread_id ?? ""),
    checkpoint_ns: String(c.checkpoint_ns ?? ""),
    ...(c.checkpoint_id ? { checkpoint_id: String(c.checkpoint_id) } : {}),
  } as CheckpointRef;
}

/**
 * A `checkpoints` stream chunk (or a `debug` checkpoint payload) with the `checkpoint` and
 * `parent_checkpoint` references that history entries carry, so a client can match the two.
 */
export function withCheckpointRefs(payload: Obj): Obj {
  return {
    ...payload,
    checkpoint: toCheckpointRef(payload.config as RunnableConfig | undefined),
    parent_checkpoint: toCheckpointRef(payload.parentConfig as RunnableConfig | undefined),
  };
}

/** Turns a LangGraph state snapshot into the API shape. */
export function serializeSnapshot(snapshot: StateSnapshot): ApiThreadState {
  const tasks: ApiTask[] = snapshot.tasks.map((task) => {
    const state = task.state && "values" in task.state ? subgraphState(task.state as StateSnapshot) : null;
    return {
      id: task.id,
      name: task.name,
      path: task.path,
      error: task.error ? String((task.error as Error).message ?? task.error) : null,
      interrupts: (task.interrupts ?? []).map((i) => toApiValue(i) as ApiInterrupt),
      checkpoint: task.state && !("values" in task.state) ? subgraphRef(task.state as RunnableConfig) : null,
      state,
      result: task.result === undefined ? null : toApiValue(task.result),
    };
  });
  return {
    values: toApiValue(snapshot.values),
    next: [...snapshot.next],
    tasks,
    checkpoint: toCheckpointRef(snapshot.config),
    parent_checkpoint: toCheckpointRef(snapshot.parentConfig),
    metadata: (toApiValue(snapshot.metadata ?? null) as Obj | null) ?? null,
    created_at: snapshot.createdAt ?? null,
    interrupts: tasks.flatMap((t) => t.interrupts),
  };
}

/**
 * A state's pending interrupts by task id, and whether the thread waits on it: an interrupt, or
 * nodes still to run (interrupt_before/after, or an edited state that left work to do).
 */
export function pauseOf(state: Pick<ApiThreadState, "tasks" | "next">): {
  interrupts: Record<string, ApiInterrupt[]>;
  paused: boolean;
} {
  const interrupts: Record<string, ApiInterrupt[]> = {};
  for (const task of state.tasks) if (task.interrupts.length > 0) interrupts[task.id] = task.interrupts;
  return { interrupts, paused: Object.keys(interrupts).length > 0 || state.next.length > 0 };
}

/** Which checkpoint of a thread a request names: by id, or by a checkpoint object. */
export interface CheckpointSelector {
  checkpoint_id?: string;
  checkpoint?: { checkpoint_id?: string; checkpoint_ns?: string; checkpoint_map?: Obj | null };
}

export function threadConfig(threadId: string, selector: CheckpointSelector = {}): RunnableConfig {
  const checkpointId = selector.checkpoint_id ?? selector.checkpoint?.checkpoint_id;
  return {
    configurable: {
      thread_id: threadId,
      checkpoint_ns: selector.checkpoint?.checkpoint_ns ?? "",
      ...(checkpointId ? { checkpoint_id: checkpointId } : {}),
      ...(selector.checkpoint?.checkpoint_map ? { checkpoint_map: selector.checkpoint.checkpoint_map } : {}),
    },
  };
}

/** The state at the latest checkpoint, or at the one selected. */
export async function readState(
  graph: AnyCompiledGraph,
  threadId: string,
  options: CheckpointSelector & { subgraphs?: boolean } = {},
): Promise<ApiThreadState> {
  const config = threadConfig(threadId, options);
  const snapshot = await graph.getState(config, { subgraphs: options.subgraphs ?? false });
  // With no stored checkpoint LangGraph echoes the requested config back; only createdAt tells.
  if (!snapshot.createdAt) {
    if (config.configurable?.checkpoint_id) {
      throw new AppError("not_found", `checkpoint '${config.configurable.checkpoint_id}' not found`);
    }
    return EMPTY_STATE;
  }
  return serializeSnapshot(snapshot);
}

/**
 * The new checkpoint after a state update. The Python SDK reads `checkpoint`, the JS SDK types the
 * body as a config (`configurable`); both carry the same ids.
 */
export interface UpdateStateResult {
  checkpoint: CheckpointRef | null;
  configurable: CheckpointRef | Record<string, never>;
}

/** Applies an update as if `asNode` wrote it; returns the new checkpoint. */
export async function writeState(
  graph: AnyCompiledGraph,
  threadId: string,
  update: CheckpointSelector & { values: unknown; as_node?: string },
): Promise<UpdateStateResult> {
  if (update.as_node !== undefined && !(update.as_node in graph.nodes)) {
    throw new AppError("validation_failed", `as_node '${update.as_node}' is not a node of this graph`, {
      details: { as_node: update.as_node, nodes: Object.keys(graph.nodes).filter((n) => !n.startsWith("__")) },
    });
  }
  try {
    const next = await graph.updateState(threadConfig(threadId, update), update.values, update.as_node);
    const checkpoint = toCheckpointRef(next);
    return { checkpoint, configurable: checkpoint ?? {} };
  } catch (error) {
    throw asClientError(error);
  }
}

/** Applies a list of supersteps (thread create with `supersteps`). */
export async function writeSupersteps(
  graph: AnyCompiledGraph,
  threadId: string,
  supersteps: Array<{ updates: Array<{ values?: unknown; as_node: string; command?: unknown }> }>,
): Promise<void> {
  try {
    await graph.bulkUpdateState(
      threadConfig(threadId),
      supersteps.map((step) => ({
        updates: step.updates.map((u) => ({ values: u.values ?? null, asNode: u.as_node })),
      })),
    );
  } catch (error) {
    throw asClientError(error);
  }
}

/** Checkpoints of a thread, newest first. */
export async function readHistory(
  graph: AnyCompiledGraph,
  threadId: string,
  options: CheckpointSelector & { limit: number; before?: string | CheckpointSelector["checkpoint"]; metadata?: Obj },
): Promise<ApiThreadState[]> {
  const before =
    typeof options.before === "string"
      ? threadConfig(threadId, { checkpoint_id: options.before })
      : options.before
        ? threadConfig(threadId, { checkpoint: options.before })
        : undefined;
  const states: ApiThreadState[] = [];
  for await (const snapshot of graph.getStateHistory(threadConfig(threadId, options), {
    limit: options.limit,
    before,
    filter: options.metadata,
  })) {
    states.push(serializeSnapshot(snapshot));
  }
  return states;
}

/** LangGraph rejects bad updates with its own errors; they are the client's mistake, not ours. */
function asClientError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const name = (error as Error)?.name ?? "";
  if (/InvalidUpdate|EmptyInput|GraphValue|Zod/i.test(name) || /ambiguous|not found|invalid/i.test(String(error))) {
    return new AppError("validation_failed", (error as Error).message ?? String(error), { cause: error });
  }
  return error;
}
