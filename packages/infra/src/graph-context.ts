/**
 * The contract between a server and the graphs it serves: what a graph module may export and what
 * the server injects into it. Both the run engine (@fractal/runtime) and the catalog
 * (@fractal/graphs) are written against it, so neither imports the other.
 */
import type { BaseCheckpointSaver, BaseStore, CompiledGraph } from "@langchain/langgraph";
import type { ProviderSettings } from "./providers.ts";

/** What the server injects into every graph. */
export interface GraphContext {
  checkpointer: BaseCheckpointSaver;
  store?: BaseStore;
  /**
   * For a run, the run's config (the assistant's merged with the run's, as nodes see it); outside a
   * run (state reads and updates, schemas), the assistant's config.
   */
  config: Record<string, unknown>;
  /** Model-provider keys and endpoints, for the model factory (set by the registry's services). */
  providers?: ProviderSettings;
}

/** What the runtime lends every graph besides storage: set once when the registry is built. */
export interface GraphServices {
  providers?: ProviderSettings;
}

// biome-ignore lint/suspicious/noExplicitAny: graphs of any state shape share one registry.
export type AnyCompiledGraph = CompiledGraph<any, any, any, any, any, any>;

/** A graph as a user may export it: compiled, uncompiled, or a factory of either. */
export type GraphSource =
  | AnyCompiledGraph
  | { compile: (options: { checkpointer?: BaseCheckpointSaver; store?: BaseStore }) => AnyCompiledGraph }
  | ((ctx: GraphContext) => unknown | Promise<unknown>);
