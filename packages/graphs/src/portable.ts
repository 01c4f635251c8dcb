/**
 * The catalog as plain compiled graphs, for any LangGraph server: this package's `langgraph.json`
 * points `langgraph dev` (or the Platform) at these exports. Each graph is built once with an
 * in-memory saver, which the server replaces with its own; settings such as `model` are read from
 * each run's `configurable`, as on fractal. Provider keys come from the model libraries' own
 * defaults (`OPENAI_API_KEY`, …) there, since no host injects them.
 */
import { MemorySaver } from "@langchain/langgraph";
import { createAgentGraph } from "./catalog/agent.ts";
import { createReactAgent } from "./catalog/react-agent/graph.ts";
import { createResearchAgent } from "./catalog/research-agent/graph.ts";

const context = () => ({ checkpointer: new MemorySaver(), config: {} });

export const agent = createAgentGraph(context());
export const reactAgent = createReactAgent(context());
export const researchAgent = createResearchAgent(context());
