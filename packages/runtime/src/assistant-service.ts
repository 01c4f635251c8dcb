import type { AnyCompiledGraph } from "@fractal/infra/graph-context";
import type { Assistant, CreateAssistant, UpdateAssistant } from "@fractal/infra/storage/assistants";
import type { Storage } from "@fractal/infra/storage/storage";
import type { Thread } from "@fractal/infra/storage/threads";
import type { GraphRegistry } from "./registry.ts";
import { mergedConfigurable } from "./runs/run-settings.ts";

export interface AssistantService {
  /** The graph must be served (404) and accept the settings (`config`, `context`; 422). */
  checkSettings(graphId: string, settings: Pick<CreateAssistant, "config" | "context">): void;
  /** Creates an assistant after checking its graph and settings. */
  create(input: CreateAssistant): Promise<{ assistant: Assistant; created: boolean }>;
  /**
   * Writes a new version. Its graph and settings are checked as they will be: given fields replace
   * the stored ones (`current` is the stored row, read once by the caller's access check if it did).
   */
  update(assistantId: string, patch: UpdateAssistant, current: () => Promise<Assistant>): Promise<Assistant>;
  /** Deletes the assistant and, with `threads`, those of its threads the predicate lets go. */
  delete(assistantId: string, threads?: (thread: Thread) => boolean): Promise<void>;
  /** The assistant's graph, compiled on this server's checkpointer and store with its config. */
  graph(assistant: Assistant): Promise<AnyCompiledGraph>;
}

/** The assistant rules the routes share: graph and settings checks, and what a delete takes with it. */
export function createAssistantService(storage: Storage, graphs: GraphRegistry): AssistantService {
  const checkSettings: AssistantService["checkSettings"] = (graphId, settings) => {
    graphs.require(graphId);
    graphs.validate(graphId, mergedConfigurable(settings, {}));
  };
  return {
    checkSettings,
    async create(input) {
      checkSettings(input.graph_id, input);
      return storage.assistants.create(input);
    },
    async update(assistantId, patch, current) {
      if (patch.graph_id) graphs.require(patch.graph_id);
      if (patch.graph_id || patch.config || patch.context) {
        const stored = await current();
        const next = { config: patch.config ?? stored.config, context: patch.context ?? stored.context };
        checkSettings(patch.graph_id ?? stored.graph_id, next);
      }
      return storage.assistants.update(assistantId, patch);
    },
    async delete(assistantId, threads) {
      await storage.assistants.delete(assistantId);
      if (!threads) return;
      for (const threadId of await storage.threads.idsByMetadata({ assistant_id: assistantId })) {
        const thread = await storage.threads.get(threadId).catch(() => undefined);
        if (thread && threads(thread)) await storage.deleteThread(threadId);
      }
    },
    graph: (assistant) =>
      graphs.resolve(assistant.graph_id, {
        checkpointer: storage.checkpoints.saver,
        store: storage.store,
        config: assistant.config,
      }),
  };
}
