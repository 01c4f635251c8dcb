import type { Context, Env } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError } from "../errors.ts";
import type { RequestVariables } from "./request-context.ts";

/** The one place errors become responses: AppError → its status; anything unknown → 500 (logged). */
export function createErrorHandler<E extends Env & { Variables: RequestVariables }>() {
  return (err: Error, c: Context<E>) => {
    let error: AppError;
    if (err instanceof AppError) error = err;
    else if (err instanceof HTTPException) error = fromHttpException(err);
    else {
      c.var.logger?.error("unhandled error", { error: err });
      error = new AppError("internal_error", "internal server error");
    }
    if (error.status >= 500 && err instanceof AppError) c.var.logger?.error("server error", { error: err });
    return c.json(error.toJSON(), error.status as ContentfulStatusCode);
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

/** 404 for unknown paths, in the same JSON shape. */
export function notFoundHandler(c: Context) {
  return c.json({ error: "not_found", message: `no route for ${c.req.method} ${c.req.path}` }, 404);
}
