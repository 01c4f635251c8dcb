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
