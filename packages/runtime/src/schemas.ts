import type { AnyCompiledGraph } from "@fractal/infra/graph-context";
import {
  getConfigTypeSchema,
  getInputTypeSchema,
  getOutputTypeSchema,
  getStateTypeSchema,
} from "@langchain/langgraph/zod/schema";

type JsonSchema = Record<string, unknown>;

export interface GraphSchemas {
  input_schema: JsonSchema | null;
  output_schema: JsonSchema | null;
  state_schema: JsonSchema | null;
  config_schema: JsonSchema | null;
  context_schema: JsonSchema | null;
}

const INTERNAL_CHANNEL = /^(__|branch:|start:)/;

/**
 * Graphs built on `Annotation` carry no runtime types: the best that can be known is the channel
 * names, returned as untyped properties. Zod-state graphs get full schemas.
 */
function channelSchema(graph: AnyCompiledGraph, keys?: string | string[]): JsonSchema {
  const names = (keys === undefined ? Object.keys(graph.channels) : Array.isArray(keys) ? keys : [keys]).filter(
    (name) => !INTERNAL_CHANNEL.test(name),
  );
  return { type: "object", properties: Object.fromEntries(names.map((name) => [name, {}])) };
}

function safe(read: () => unknown): JsonSchema | null {
  try {
    return (read() as JsonSchema | undefined) ?? null;
  } catch {
    return null;
  }
}

/** Schemas read from a graph's TypeScript types, where the server could read them. */
export interface TypedSchemas {
  state: JsonSchema | null;
  input: JsonSchema | null;
  output: JsonSchema | null;
  config: JsonSchema | null;
}

/**
 * JSON schemas of a graph's input, output, state, config and context, from the best source there is:
 * the graph's zod schemas (they carry LangGraph's UI hints), else its TypeScript types (`typed`),
 * else the channel names alone.
 */
export function graphSchemas(graph: AnyCompiledGraph, typed?: TypedSchemas): GraphSchemas {
  // JS cannot tell a config schema from a context schema: one schema serves as both.
  const context = safe(() => getConfigTypeSchema(graph)) ?? typed?.config ?? null;
  return {
    input_schema:
      safe(() => getInputTypeSchema(graph)) ?? typed?.input ?? channelSchema(graph, graph.inputChannels as string[]),
    output_schema:
      safe(() => getOutputTypeSchema(graph)) ?? typed?.output ?? channelSchema(graph, graph.outputChannels as string[]),
    state_schema: safe(() => getStateTypeSchema(graph)) ?? typed?.state ?? channelSchema(graph),
    config_schema: context ?? { type: "object", properties: {} },
    context_schema: context,
  };
}
