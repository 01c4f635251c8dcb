import type { GraphSource } from "@fractal/infra/graph-context";
import { createAgentGraph } from "./catalog/agent.ts";
import { createReactAgent } from "./catalog/react-agent/graph.ts";
import { createResearchAgent } from "./catalog/research-agent/graph.ts";

/** The built-in graphs every server offers, by graph id. */
export const catalog: Record<string, GraphSource> = {
  agent: createAgentGraph,
  "react-agent": createReactAgent,
  "research-agent": createResearchAgent,
};
