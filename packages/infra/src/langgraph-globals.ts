import type { Logger } from "./logger.ts";

const SDK_LOGGER = Symbol.for("langgraph.api.sdk-logger");

/**
 * Graphs written for the LangGraph Platform call `getLogger()` from `@langchain/langgraph-sdk/logging`,
 * which reads the logger registered here; without one they throw.
 */
export function registerSdkLogger(logger: Logger): void {
  const sdk = logger.child({ source: "graph" });
  (globalThis as Record<symbol, unknown>)[SDK_LOGGER] = {
    error: (msg: unknown, ...rest: unknown[]) => sdk.error(String(msg), rest.length ? { args: rest } : undefined),
    warn: (msg: unknown, ...rest: unknown[]) => sdk.warn(String(msg), rest.length ? { args: rest } : undefined),
    info: (msg: unknown, ...rest: unknown[]) => sdk.info(String(msg), rest.length ? { args: rest } : undefined),
    debug: (msg: unknown, ...rest: unknown[]) => sdk.debug(String(msg), rest.length ? { args: rest } : undefined),
  };
}

const SDK_URL = Symbol.for("langgraph_api:url");
const SDK_FETCH = Symbol.for("langgraph_api:fetch");

/**
 * Lets graphs running in this process use the SDK with no URL (`new Client()`, `RemoteGraph`):
 * the SDK reads these globals when no `apiUrl` is given. The fetch may call the app in-process.
 */
export function registerSdkClientGlobals(
  url: string,
  fetchImpl: (input: Request | string | URL, init?: RequestInit) => Promise<Response>,
): void {
  const g = globalThis as Record<symbol, unknown>;
  g[SDK_URL] = url;
  g[SDK_FETCH] = fetchImpl;
}

/** The in-process fetch registered above (undefined before the server listens). */
export function localApiFetch(): ((input: Request) => Promise<Response>) | undefined {
  return (globalThis as Record<symbol, unknown>)[SDK_FETCH] as ((input: Request) => Promise<Response>) | undefined;
}
