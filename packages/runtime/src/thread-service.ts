import { AppError, conflict } from "@fractal/infra/errors";
import type { AnyCompiledGraph } from "@fractal/infra/graph-context";
import type { Storage } from "@fractal/infra/storage/storage";
import type { Thread } from "@fractal/infra/storage/threads";
import type { GraphRegistry } from "./registry.ts";
import {
  type ApiThreadState,
  type CheckpointSelector,
  EMPTY_STATE,
  pauseOf,
  readHistory,
  readState,
  type UpdateStateResult,
  writeState,
  writeSupersteps,
} from "./thread-state.ts";

type Obj = Record<string, unknown>;

/** For `.catch`: a 404 becomes undefined, anything else is thrown on. */
function unlessNotFound(error: unknown): undefined {
  if (error instanceof AppError && error.code === "not_found") return undefined;
  throw error;
}

export interface ThreadService {
  create(input: {
    thread_id: string;
    metadata?: Obj;
    if_exists?: "raise" | "do_nothing";
    supersteps?: Array<{ updates: Array<{ values?: unknown; as_node: string }> }>;
    ttl_minutes?: number;
  }): Promise<Thread>;
  /** Deletes the thread row and every checkpoint of it. */
  delete(threadId: string): Promise<void>;
  /** A new thread with the same metadata, values and checkpoints. */
  copy(threadId: string): Promise<Thread>;
  getState(threadId: string, options?: CheckpointSelector & { subgraphs?: boolean }): Promise<ApiThreadState>;
  updateState(
    threadId: string,
    update: CheckpointSelector & { values: unknown; as_node?: string },
  ): Promise<UpdateStateResult>;
  /** Merges metadata into the latest (or the named) checkpoint's; 404 when the thread has none. */
  patchState(threadId: string, patch: CheckpointSelector & { metadata: Obj }): Promise<void>;
  /**
   * `delete` deletes the threads; `keep_latest` keeps each thread with only its latest checkpoint
   * (threads with a run in progress are left alone). Returns how many threads were pruned.
   */
  prune(threadIds: string[], strategy: "delete" | "keep_latest"): Promise<number>;
  history(
    threadId: string,
    options: CheckpointSelector & { limit: number; before?: string | CheckpointSelector["checkpoint"]; metadata?: Obj },
  ): Promise<ApiThreadState[]>;
}

/** Thread operations that span the thread table, the checkpointer and the thread's graph. */
/** `onStateUpdate` hears of each state change made through the service (not by runs). */
export function createThreadService(
  storage: Storage,
  graphs: GraphRegistry,
  onStateUpdate: (threadId: string) => void = () => {},
): ThreadService {
  const graphOf = async (thread: Thread): Promise<AnyCompiledGraph | undefined> => {
    const graphId = thread.metadata.graph_id;
    if (typeof graphId !== "string") return undefined;
    if (!graphs.has(graphId)) throw new AppError("conflict", `thread's graph '${graphId}' is not served here`);
    // A graph factory is built as the thread's assistant configures it (a dynamic graph's nodes may
    // depend on that config), so a state update names the same nodes its runs had.
    const assistantId = thread.metadata.assistant_id;
    const assistant = typeof assistantId === "string" ? await storage.assistants.find(assistantId) : undefined;
    return graphs.resolve(graphId, {
      checkpointer: storage.checkpoints.saver,
      store: storage.store,
      config: assistant?.config ?? {},
    });
  };

  const requireGraph = async (thread: Thread): Promise<AnyCompiledGraph> => {
    const graph = await graphOf(thread);
    if (!graph) {
      throw conflict(
        `thread '${thread.thread_id}' has no graph yet: create it with metadata.graph_id or run an assistant on it first`,
      );
    }
    return graph;
  };

  /** Keeps the thread row's values/status/interrupts in step with its latest checkpoint. */
  const recordLatest = async (thread: Thread, graph: AnyCompiledGraph) => {
    const state = await readState(graph, thread.thread_id);
    const { interrupts, paused } = pauseOf(state);
    return storage.threads.recordState(thread.thread_id, {
      values: state.values,
      status: paused ? "interrupted" : "idle",
      interrupts,
    });
  };

  return {
    async create(input) {
      if (input.supersteps?.length && typeof input.metadata?.graph_id !== "string") {
        throw new AppError("validation_failed", "body.metadata.graph_id is required when supersteps are given");
      }
      if (typeof input.metadata?.graph_id === "string") graphs.require(input.metadata.graph_id);
      const { thread, created } = await storage.threads.create(input);
      if (!created || !input.supersteps?.length) return thread;
      try {
        const graph = await requireGraph(thread);
        await writeSupersteps(graph, thread.thread_id, input.supersteps);
        return await recordLatest(thread, graph);
      } catch (error) {
        // A thread whose initial supersteps failed is not left half-made.
        await storage.deleteThread(thread.thread_id);
        throw error;
      }
    },

    delete: (threadId) => storage.deleteThread(threadId),

    async copy(threadId) {
      const newId = crypto.randomUUID();
      const copy = await storage.threads.copyRow(threadId, newId);
      try {
        await storage.checkpoints.copyThread(threadId, newId);
      } catch (error) {
        await storage.threads.delete(newId);
        throw error;
      }
      return copy;
    },

    async getState(threadId, options) {
      const thread = await storage.threads.get(threadId);
      const graph = await graphOf(thread);
      if (!graph) return EMPTY_STATE;
      return readState(graph, threadId, options);
    },

    async updateState(threadId, update) {
      const thread = await storage.threads.get(threadId);
      if (thread.status === "busy") throw conflict(`thread '${threadId}' has a run in progress`);
      const graph = await requireGraph(thread);
      const result = await writeState(graph, threadId, update);
      await recordLatest(thread, graph);
      onStateUpdate(threadId);
      return result;
    },

    async patchState(threadId, patch) {
      await storage.threads.get(threadId);
      const checkpointId = patch.checkpoint_id ?? patch.checkpoint?.checkpoint_id;
      if (!(await storage.checkpoints.patchMetadata(threadId, patch.metadata, checkpointId))) {
        throw new AppError(
          "not_found",
          checkpointId ? `checkpoint '${checkpointId}' not found` : `Thread with ID ${threadId} has no state yet`,
        );
      }
    },

    async prune(threadIds, strategy) {
      let pruned = 0;
      for (const threadId of new Set(threadIds)) {
        // An unknown thread is skipped; any other failure (the database gone) is the caller's answer.
        const thread = await storage.threads.get(threadId).catch(unlessNotFound);
        if (!thread) continue;
        if (strategy === "delete") {
          // Gone meanwhile (another prune): nothing to count.
          if ((await storage.deleteThread(threadId).then(() => true, unlessNotFound)) === undefined) continue;
        } else {
          if (thread.status === "busy") continue;
          await storage.checkpoints.keepLatest(threadId);
        }
        pruned++;
      }
      return pruned;
    },

    async history(threadId, options) {
      const thread = await storage.threads.get(threadId);
      const graph = await graphOf(thread);
      if (!graph) return [];
      return readHistory(graph, threadId, options);
    },
  };
}
