import type { AssistantStore } from "@fractal/infra/storage/assistants";
import { v5 as uuidv5 } from "uuid";

/** The namespace LangGraph Platform derives default assistant ids from, so ids match across servers. */
const GRAPH_NAMESPACE = "6ba7b821-9dad-11d1-80b4-00c04fd430c8";

/** The deterministic id of a graph's default assistant (UUID v5 of the graph id). */
const defaultIds = new Map<string, string>();

export function defaultAssistantId(graphId: string): string {
  let id = defaultIds.get(graphId);
  if (id === undefined) {
    // A UUID v5 is a SHA-1 in JS: computed once per graph, not on every run.
    id = uuidv5(graphId, GRAPH_NAMESPACE);
    defaultIds.set(graphId, id);
  }
  return id;
}

/** What a graph's default assistant starts with (the operator's `LANGGRAPH_CONFIG`). */
export type GraphDefaults = Record<string, { config: Record<string, unknown>; context: Record<string, unknown> }>;

/** Creates the default assistant of every graph that lacks one; existing ones are left alone. */
export async function ensureDefaultAssistants(
  store: AssistantStore,
  graphIds: string[],
  defaults: GraphDefaults = {},
): Promise<void> {
  for (const graphId of graphIds) {
    await store.create({
      assistant_id: defaultAssistantId(graphId),
      graph_id: graphId,
      name: graphId,
      metadata: { created_by: "system" },
      config: defaults[graphId]?.config,
      context: defaults[graphId]?.context,
      if_exists: "do_nothing",
    });
  }
}
