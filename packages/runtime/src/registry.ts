import { AppError } from "@fractal/infra/errors";
import type { AnyCompiledGraph, GraphContext, GraphServices, GraphSource } from "@fractal/infra/graph-context";
import { Graph } from "@langchain/langgraph";

export interface GraphRegistry {
  ids(): string[];
  has(graphId: string): boolean;
  /** Throws the 404 for a graph this server does not serve. */
  require(graphId: string): void;
  /**
   * Checks an assistant's or run's merged settings against the graph's own check, when its source
   * has one (a `validateSettings` function property); throws the graph's error (a 422).
   */
  validate(graphId: string, settings: Record<string, unknown>): void;
  /** Resolves a graph by id, wired to the injected checkpointer and store. */
  resolve(graphId: string, ctx: GraphContext): Promise<AnyCompiledGraph>;
}

function isCompiled(value: unknown): value is AnyCompiledGraph {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as AnyCompiledGraph).getState === "function" &&
    typeof (value as AnyCompiledGraph).updateState === "function"
  );
}

function hasCompile(value: unknown): value is { compile: (o: object) => AnyCompiledGraph } {
  return typeof value === "object" && value !== null && typeof (value as { compile?: unknown }).compile === "function";
}

/** Turns whatever a graph module exported into a compiled graph on our checkpointer. */
export async function materialize(graphId: string, source: unknown, ctx: GraphContext): Promise<AnyCompiledGraph> {
  const value = typeof source === "function" && !(source instanceof Graph) ? await source(ctx) : source;
  if (isCompiled(value)) {
    // The runtime owns persistence: a graph compiled without (or with another) saver uses ours.
    value.checkpointer = ctx.checkpointer;
    if (ctx.store) value.store = ctx.store;
    return value;
  }
  if (hasCompile(value)) return value.compile({ checkpointer: ctx.checkpointer, store: ctx.store });
  throw new AppError("internal_error", `graph '${graphId}' is not a LangGraph graph (got ${typeof value})`);
}

export function createGraphRegistry(sources: Record<string, GraphSource>, services: GraphServices = {}): GraphRegistry {
  const require = (graphId: string) => {
    if (!Object.hasOwn(sources, graphId)) {
      throw new AppError("not_found", `graph '${graphId}' not found`, { details: { available: Object.keys(sources) } });
    }
  };
  return {
    ids: () => Object.keys(sources),
    has: (graphId) => Object.hasOwn(sources, graphId),
    require,
    validate(graphId, settings) {
      const check = (sources[graphId] as { validateSettings?: unknown } | undefined)?.validateSettings;
      if (typeof check === "function") check(settings);
    },
    async resolve(graphId, ctx) {
      require(graphId);
      return materialize(graphId, sources[graphId], { ...services, ...ctx });
    },
  };
}
