type Obj = Record<string, unknown>;

interface Configured {
  config?: { configurable?: Obj } | Obj | null;
  context?: Obj | null;
}

function configurableOf(source: Configured): Obj {
  return ((source.config as { configurable?: Obj } | null | undefined)?.configurable ?? {}) as Obj;
}

/**
 * The settings a graph reads from `config.configurable`, merged in one documented order (later wins):
 * assistant `context`, assistant `config.configurable`, run `context`, run `config.configurable`.
 * Request headers listed in `http.configurable_headers` and the server's `langgraph_auth_*` keys are
 * already part of the run's `config.configurable` when the run is created; run and thread ids are
 * set over all of these by the worker.
 */
export function mergedConfigurable(assistant: Configured, run: Configured): Obj {
  return {
    ...(assistant.context ?? {}),
    ...configurableOf(assistant),
    ...(run.context ?? {}),
    ...configurableOf(run),
  };
}
