import type { Context, Env, Handler, Hono } from "hono";
import { z } from "zod";
import { parseInput, readJsonBody, readQuery } from "./validation.ts";

type Method = "get" | "post" | "put" | "patch" | "delete";

/** One operation: its zod schemas validate requests and describe the OpenAPI document. */
export interface OperationSpec<
  B extends z.ZodType | undefined,
  Q extends z.ZodType | undefined,
  P extends z.ZodType | undefined,
> {
  method: Method;
  /** Hono-style path (`/threads/:thread_id`). */
  path: string;
  summary: string;
  tags: string[];
  body?: B;
  /** Whether a missing body is allowed (then validated as `{}`). */
  bodyOptional?: boolean;
  query?: Q;
  params?: P;
  /** Response schemas by status; `null` for an empty body. */
  responses: Record<number, z.ZodType | null>;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface OperationInput<B, Q, P> {
  body: Out<B>;
  query: Out<Q>;
  params: Out<P>;
}

export interface OpenApiRegistry {
  /** Registers an operation and returns its Hono handler, which validates before calling `handle`. */
  operation<
    E extends Env,
    B extends z.ZodType | undefined = undefined,
    Q extends z.ZodType | undefined = undefined,
    P extends z.ZodType | undefined = undefined,
  >(
    spec: OperationSpec<B, Q, P>,
    handle: (c: Context<E>, input: OperationInput<B, Q, P>) => Response | Promise<Response>,
  ): Handler<E>;
  document(info: { title: string; version: string; description?: string }): Record<string, unknown>;
  operations(): ReadonlyArray<OperationSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>>;
}

/** A route's schemas: what `route` needs besides its method, path and summary. */
export type RouteSpec<B, Q, P> = Omit<
  OperationSpec<B & (z.ZodType | undefined), Q & (z.ZodType | undefined), P & (z.ZodType | undefined)>,
  "method" | "path" | "summary" | "tags"
>;

/**
 * Declares a route once: `route("post /threads/:thread_id/copy", "Copy a thread")(spec, handler)` registers
 * the Hono handler and its OpenAPI entry, and the handler's input types are inferred from the spec's schemas.
 */
export type Route<E extends Env> = (
  operation: `${Method} /${string}`,
  summary: string,
) => <
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  P extends z.ZodType | undefined = undefined,
>(
  spec: RouteSpec<B, Q, P>,
  handle: (c: Context<E>, input: OperationInput<B, Q, P>) => Response | Promise<Response>,
) => void;

/** The `route` of one group of routes (`tags`): each call adds an operation to `api` and a handler to `app`. */
export function routesOn<E extends Env>(app: Hono<E>, api: OpenApiRegistry, tags: string[]): Route<E> {
  return (operation, summary) => (spec, handle) => {
    const at = operation.indexOf(" ");
    const method = operation.slice(0, at) as Method;
    const path = operation.slice(at + 1);
    app.on(method.toUpperCase(), path, api.operation({ ...spec, method, path, summary, tags }, handle as never));
  };
}

/** `/threads/:thread_id` → `/threads/{thread_id}`; an optional last segment (`:namespace?`) is listed as given. */
export const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z_]+)\??/g, "{$1}");

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: "query" | "path") {
  if (!schema) return [];
  const s = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, prop]) => ({
    name,
    in: where,
    required: where === "path" || (s.required ?? []).includes(name),
    schema: prop,
  }));
}

export function createOpenApiRegistry(): OpenApiRegistry {
  const specs: Array<OperationSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>> = [];
  return {
    operation(spec, handle) {
      specs.push(spec as OperationSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>);
      return async (c) => {
        const params = spec.params ? parseInput(spec.params, c.req.param(), "path") : undefined;
        const query = spec.query ? parseInput(spec.query, readQuery(c), "query") : undefined;
        let body: unknown;
        if (spec.body) {
          const raw = await readJsonBody(c);
          body = parseInput(spec.body, raw === undefined && spec.bodyOptional ? {} : raw, "body");
        }
        return handle(c, { body, query, params } as never);
      };
    },
    document(info) {
      const paths: Record<string, Record<string, unknown>> = {};
      for (const spec of specs) {
        const path = toOpenApiPath(spec.path);
        paths[path] ??= {};
        const responses: Record<string, unknown> = {};
        for (const [status, schema] of Object.entries(spec.responses)) {
          responses[status] = schema
            ? { description: "OK", content: { "application/json": { schema: jsonSchema(schema) } } }
            : { description: "No content" };
        }
        for (const status of ["400", "404", "409", "413", "422"]) {
          responses[status] ??= { $ref: "#/components/responses/Error" };
        }
        paths[path][spec.method] = {
          summary: spec.summary,
          tags: spec.tags,
          parameters: [...parameters(spec.params, "path"), ...parameters(spec.query, "query")],
          ...(spec.body
            ? {
                requestBody: {
                  required: !spec.bodyOptional,
                  content: { "application/json": { schema: jsonSchema(spec.body) } },
                },
              }
            : {}),
          responses,
        };
      }
      return {
        openapi: "3.1.0",
        info,
        paths,
        components: {
          schemas: {
            ErrorBody: {
              type: "object",
              required: ["error", "message"],
              properties: {
                error: { type: "string" },
                message: { type: "string" },
                details: {},
                request_id: { type: "string", description: "the answer's X-Request-Id" },
              },
            },
          },
          responses: {
            Error: {
              description:
                "Error. The body is the message followed by ' (request_id: <id>)' (text/plain) unless the request sends Accept: application/json; the code is in the X-Error-Code header and the request id in X-Request-Id either way.",
              headers: {
                "X-Error-Code": { schema: { type: "string" } },
                "X-Request-Id": { schema: { type: "string" } },
              },
              content: {
                "text/plain": { schema: { type: "string" } },
                "application/json": { schema: { $ref: "#/components/schemas/ErrorBody" } },
              },
            },
          },
        },
      };
    },
    operations: () => specs,
  };
}
