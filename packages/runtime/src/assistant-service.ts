import type { AnyCompiledGraph } from "@fractal/infra/graph-context";
import type { Assistant, CreateAssistant, UpdateAssistant } from "@fractal/infra/storage/assistants";
import type { Storage } from "@fractal/infra/storage/storage";
import type { Thread } from "@fractal/infra/storage/threads";
import type { GraphRegistry } from "./registry.ts";
import { mergedConfigurable } from "./runs/run-settings.ts";

export interface AssistantService {
  /**
   * Creates an assistant: checks its graph and settings first, then lets `authorize` (the caller's
   * id and access checks) return what is stored.
   */
  create(
    input: CreateAssistant,
    authorize: (input: CreateAssistant) => Promise<CreateAssistant>,
  ): Promise<{ assistant: Assistant; created: boolean }>;
  /**
   * Writes a new version: a new graph must be served (checked before `authorize`, which returns the
   * patch to write); then the graph and settings of the version it will write are checked, given
   * fields replacing the stored ones (`current` is the stored row, read once if authorize read it).
   */
  update(
    assistantId: string,
    patch: UpdateAssistant,
    current: () => Promise<Assistant>,
    authorize: (patch: UpdateAssistant) => Promise<UpdateAssistant>,
  ): Promise<Assistant>;
  /** Deletes the assistant and, with `threads`, those of its threads the predicate lets go. */
  delete(assistantId: string, threads?: (thread: Thread) => boolean): Promise<void>;
  /** The assistant's graph, compiled on this server's checkpointer and store with its config. */
  graph(assistant: Assistant): Promise<AnyCompiledGraph>;
}

/** The assistant rules the routes share: graph and settings checks, and what a delete takes with it. */
export function createAssistantService(storage: Storage, graphs: GraphRegistry): AssistantService {
  /** The graph must be served (404) and accept the settings (`config`, `context`; 422). */
  const checkSettings = (graphId: string, settings: Pick<CreateAssistant, "config" | "context">) => {
    graphs.require(graphId);
    graphs.validate(graphId, mergedConfigurable(settings, {}));
  };
  return {
    async create(input, authorize) {
      checkSettings(input.graph_id, input);
      return storage.assistants.create(await authorize(input));
    },
    async update(assistantId, requested, current, authorize) {
      if (requested.graph_id) graphs.require(requested.graph_id);
      const patch = await authorize(requested);
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
