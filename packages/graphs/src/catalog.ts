import { createAgentGraph } from "./catalog/agent.ts";
import type { GraphSource } from "./registry.ts";

/** The built-in graphs every server offers, by graph id. */
export const catalog: Record<string, GraphSource> = {
  agent: createAgentGraph,
};
