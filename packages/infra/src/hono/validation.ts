import type { Context, MiddlewareHandler } from "hono";
import type { z } from "zod";
import { AppError, badRequest } from "../errors.ts";
import { jsonProblem } from "./json-limits.ts";

/**
 * Makes `c.req.json()` parse the body once per request and hand out that one object, so a user's
 * middleware (langgraph.json `http.app`) that edits the parsed body edits what the route reads,
 * as on the reference server.
 */
export function createSharedJsonBody(): MiddlewareHandler {
  return async (c, next) => {
    const parse = c.req.json.bind(c.req);
    let parsed: Promise<unknown> | undefined;
    c.req.json = <T>() => {
      parsed ??= parse();
      return parsed as Promise<T>;
    };
    await next();
  };
}

/**
 * Reads a request body as JSON whatever its content type (some clients send JSON as
 * text/plain). An empty body reads as undefined.
 */
export async function readJsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return undefined;
  let body: unknown;
  try {
    body = await c.req.json();
  } catch (error) {
    throw badRequest(`malformed JSON body: ${(error as Error).message}`);
  }
  const problem = jsonProblem(body, "body");
  if (problem) throw new AppError("validation_failed", problem);
  return body;
}

/** Validates a value against a schema; failures are 422 naming the first field at fault. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: "body" | "query" | "path",
): z.output<S> {
  // Bodies are checked as they are read; path and query strings here (a NUL in an id, say).
  const problem = where === "body" ? undefined : jsonProblem(value, where);
  if (problem) throw new AppError("validation_failed", problem);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    field: [where, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
  const first = issues[0];
  throw new AppError("validation_failed", first ? `${first.field}: ${first.message}` : `invalid ${where}`, {
    details: issues,
  });
}

/** Query strings as a flat object; repeated keys become arrays. */
export function readQuery(c: Context): Record<string, string | string[]> {
  const all = c.req.queries();
  return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.length === 1 ? (v[0] as string) : v]));
}
