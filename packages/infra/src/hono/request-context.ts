import type { Env } from "hono";
import { createMiddleware } from "hono/factory";
import type { Logger } from "../logger.ts";

/** Variables every request carries. Apps extend their Env with these. */
export interface RequestVariables {
  requestId: string;
  logger: Logger;
}

export interface RequestContextOptions {
  logger: Logger;
  /** Paths whose successful requests are not logged (health checks). */
  quietPaths?: string[];
}

/** Assigns a request id (or keeps the caller's `x-request-id`), binds a logger, logs each request. */
export function createRequestContext<E extends Env & { Variables: RequestVariables }>(options: RequestContextOptions) {
  const quiet = new Set(options.quietPaths ?? []);
  return createMiddleware<E>(async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && incoming.length <= 128 ? incoming : crypto.randomUUID();
    const logger = options.logger.child({ request_id: requestId });
    c.set("requestId", requestId);
    c.set("logger", logger);
    const started = performance.now();
    await next();
    c.header("x-request-id", requestId);
    const status = c.res.status;
    if (status < 400 && quiet.has(c.req.path)) return;
    const fields = {
      method: c.req.method,
      path: c.req.path,
      status,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
    };
    if (status >= 500) logger.error("request failed", fields);
    else logger.info("request", fields);
  });
}
