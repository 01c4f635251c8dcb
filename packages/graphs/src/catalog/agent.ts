import type { GraphContext } from "@fractal/infra/graph-context";
import type { RunnableConfig } from "@langchain/core/runnables";
import { END, MessagesZodState, START, StateGraph } from "@langchain/langgraph";
import { createChatModel, DEFAULT_MODEL } from "../models.ts";

function modelOf(config: RunnableConfig | undefined): string {
  const value = config?.configurable?.model;
  return typeof value === "string" && value.length > 0 ? value : DEFAULT_MODEL;
}

/** A single-node chat agent: the configured model answers the conversation so far. */
export function createAgentGraph(ctx: GraphContext) {
  return new StateGraph(MessagesZodState)
    .addNode("agent", async (state, config) => {
      // The operator's provider keys and endpoints come with the graph's context, as for every catalog graph.
      const reply = await createChatModel(modelOf(config), {}, ctx.providers).invoke(state.messages, config);
      return { messages: [reply] };
    })
    .addEdge(START, "agent")
    .addEdge("agent", END)
    .compile({ checkpointer: ctx.checkpointer, store: ctx.store, name: "agent" });
}
