import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Env } from "hono";
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import type { Logger } from "../logger.ts";
import { contextFrom, tracer, tracingEnabled } from "../tracing/tracing.ts";

/** Variables every request carries. Apps extend their Env with these. */
export interface RequestVariables {
  requestId: string;
  logger: Logger;
}

export interface RequestContextOptions {
  logger: Logger;
  /** Paths whose successful requests are not logged (health checks). */
  quietPaths?: string[];
  /** Called once per answered request (for metrics): the route template, never the raw path. */
  onAnswered?: (request: { route: string; method: string; status: number; seconds: number }) => void;
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * The template of the route that answered (`/threads/:thread_id/runs`), or `unmatched`: the last
 * matched handler registered for a method (middleware is registered for all methods).
 */
export function routeTemplate(c: Parameters<typeof matchedRoutes>[0]): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i];
    if (route && route.method !== "ALL") return route.path;
  }
  return "unmatched";
}

/**
 * Assigns a request id (or keeps the caller's `x-request-id`), binds a logger, logs each request and
 * reports it (`onAnswered`). With tracing on, the request is a server span continuing the caller's
 * `traceparent`, and its logger carries the trace id.
 */
export function createRequestContext<E extends Env & { Variables: RequestVariables }>(options: RequestContextOptions) {
  const quiet = new Set(options.quietPaths ?? []);
  return createMiddleware<E>(async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && incoming.length <= 128 ? incoming : crypto.randomUUID();
    const method = METHODS.has(c.req.method) ? c.req.method : "OTHER";
    const span = tracingEnabled()
      ? tracer().startSpan(
          method,
          { kind: SpanKind.SERVER, attributes: { "http.request.method": method, "url.path": c.req.path } },
          contextFrom(Object.fromEntries(c.req.raw.headers)),
        )
      : undefined;
    const traceId = span?.spanContext().traceId;
    const logger = options.logger.child({ request_id: requestId, ...(traceId ? { trace_id: traceId } : {}) });
    c.set("requestId", requestId);
    c.set("logger", logger);
    const started = performance.now();
    if (span) await context.with(trace.setSpan(context.active(), span), next);
    else await next();
    c.header("x-request-id", requestId);
    const status = c.res.status;
    const ms = performance.now() - started;
    const route = routeTemplate(c);
    options.onAnswered?.({ route, method, status, seconds: ms / 1000 });
    if (span) {
      span.updateName(`${method} ${route}`);
      span.setAttributes({ "http.route": route, "http.response.status_code": status });
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    if (status < 400 && quiet.has(c.req.path)) return;
    const fields = { method: c.req.method, path: c.req.path, status, duration_ms: Math.round(ms * 10) / 10 };
    if (status >= 500) logger.error("request failed", fields);
    else logger.info("request", fields);
  });
}
