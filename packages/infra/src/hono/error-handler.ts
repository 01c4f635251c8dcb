import type { Context, Env } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, type ErrorCode } from "../errors.ts";
import { isDatabaseUnavailable } from "../storage/unavailable.ts";
import type { RequestVariables } from "./request-context.ts";

/**
 * Whether the client asked for a JSON error body. The LangGraph SDK sends no Accept header and
 * shows `HTTP <status>: <body text>`, so by default the body is the message as the reference server
 * words it, followed by ` (request_id: <id>)`; a client that sends `Accept: application/json` gets
 * `{error, message, details, request_id}`. Either way the code travels in the `X-Error-Code` header
 * and the request id in `X-Request-Id`.
 */
function wantsJson(c: Context): boolean {
  return (c.req.header("accept") ?? "").toLowerCase().includes("application/json");
}

/** Renders an AppError in the form the client negotiated (see wantsJson). */
export function errorResponse(c: Context, error: AppError): Response {
  c.header("X-Error-Code", error.code);
  const status = error.status as ContentfulStatusCode;
  // The request id (also the X-Request-Id header) ties an error to its log lines. In the text body it
  // comes after the message, so clients matching the reference server's wording still match.
  const requestId = (c.var as Partial<RequestVariables>).requestId;
  if (wantsJson(c)) return c.json({ ...error.toJSON(), ...(requestId ? { request_id: requestId } : {}) }, status);
  return c.text(requestId ? `${error.message} (request_id: ${requestId})` : error.message, status);
}

/** Shorthand for routes and middleware that answer an error without throwing. */
export function renderError(c: Context, code: ErrorCode, message: string): Response {
  return errorResponse(c, new AppError(code, message));
}

/** How long a client is told to wait before retrying while the database is unavailable. */
const RETRY_AFTER_SECONDS = 5;

/**
 * The one place errors become responses: AppError → its status; a database that cannot be reached
 * (or a statement past its timeout) → 503 with Retry-After, logged once per outage rather than per
 * request; anything else unknown → 500 (logged).
 */
export function createErrorHandler<E extends Env & { Variables: RequestVariables }>() {
  let outageLoggedAt = 0;
  return (err: Error, c: Context<E>) => {
    let error: AppError;
    if (err instanceof AppError) error = err;
    else if (err instanceof HTTPException) error = fromHttpException(err);
    else if (isDatabaseUnavailable(err)) {
      if (Date.now() - outageLoggedAt > 60_000) {
        outageLoggedAt = Date.now();
        c.var.logger?.error("database unavailable; answering 503 until it is back", { error: err });
      }
      c.header("Retry-After", String(RETRY_AFTER_SECONDS));
      error = new AppError("unavailable", "the database is unavailable; retry shortly");
    } else {
      c.var.logger?.error("unhandled error", { error: err });
      error = new AppError("internal_error", "internal server error");
    }
    if (error.status >= 500 && error.status !== 503 && err instanceof AppError) {
      c.var.logger?.error("server error", { error: err });
    }
    return errorResponse(c, error);
  };
}

function fromHttpException(err: HTTPException): AppError {
  switch (err.status) {
    case 400:
      return new AppError("bad_request", err.message || "bad request");
    case 401:
      return new AppError("unauthorized", err.message || "unauthorized");
    case 403:
      return new AppError("forbidden", err.message || "forbidden");
    case 404:
      return new AppError("not_found", err.message || "not found");
    case 413:
      return new AppError("payload_too_large", err.message || "request body too large");
    default:
      return new AppError(err.status >= 500 ? "internal_error" : "bad_request", err.message || "request failed");
  }
}

/** 404 for unknown paths, in the same negotiated shape. */
export function notFoundHandler(c: Context) {
  return renderError(c, "not_found", `no route for ${c.req.method} ${c.req.path}`);
}
