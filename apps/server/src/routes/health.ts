import { type OpenApiRegistry, routesOn } from "@fractal/infra/hono/openapi";
import type { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { queryBool } from "../schemas/common.ts";

const tags = ["system"];
const okQuery = z.object({ check_db: queryBool.optional() });

/** What every process serves, API or worker: liveness and metrics. */
export function registerHealthRoutes(app: Hono<AppEnv>, api: OpenApiRegistry): void {
  const route = routesOn(app, api, tags);
  route(
    "get /ok",
    "Liveness (redis: degraded while Redis reconnects); with check_db=1 also whether the database answers (503 when it does not)",
  )(
    {
      query: okQuery,
      responses: {
        200: z.object({
          ok: z.boolean(),
          db: z.enum(["ok", "unavailable", "restarting", "failed"]).optional(),
          redis: z.enum(["ok", "degraded"]).optional(),
        }),
        503: z
          .object({ ok: z.literal(false), db: z.string(), redis: z.string().optional(), request_id: z.string() })
          .describe("The database does not answer; Retry-After says when to ask again"),
      },
    },
    async (c, { query }) => {
      // Redis reconnecting does not fail liveness: runs go on in the database, streams catch up after.
      const redis = c.var.deps.redis ? { redis: c.var.deps.redis.health() === "ready" ? "ok" : "degraded" } : {};
      if (!query.check_db) return c.json({ ok: true, ...redis });
      const { database } = c.var.deps.storage;
      // The embedded database's watchdog may be replacing a stuck thread (or have given up on a
      // stuck in-memory one); otherwise the database must answer a query within 2 s.
      const { state } = database.health();
      if (state === "ok" && (await database.ping(2_000))) return c.json({ ok: true, db: "ok", ...redis });
      c.header("Retry-After", "5");
      const db = state === "ok" ? "unavailable" : state;
      return c.json({ ok: false, db, ...redis, request_id: c.var.requestId }, 503);
    },
  );

  route("get /metrics", "Prometheus metrics (text format); README, Observability, lists them")(
    { responses: { 200: z.string().describe("text/plain; version=0.0.4") } },
    async (c) => {
      const { registry } = c.var.deps.metrics;
      return c.text(await registry.metrics(), 200, { "content-type": registry.contentType });
    },
  );
}
