import { Hono } from "hono";
import { createLogger } from "../../logger.ts";
import type { AuthVariables } from "../auth.ts";
import { createErrorHandler } from "../error-handler.ts";
import { createRequestContext, type RequestVariables } from "../request-context.ts";

export type TestEnv = { Variables: RequestVariables & AuthVariables };

/**
 * A Hono app with the request context and error handler every fractal app has, and the JSON log
 * lines it wrote, for testing one middleware at a time with `app.request`.
 */
export function testApp(options: { quietPaths?: string[] } = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: "debug", write: (line) => lines.push(JSON.parse(line)) });
  const app = new Hono<TestEnv>();
  app.use(createRequestContext<TestEnv>({ logger, quietPaths: options.quietPaths }));
  app.onError(createErrorHandler<TestEnv>());
  return { app, lines };
}
