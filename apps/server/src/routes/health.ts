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
      return c.json({ ok: false, db: state === "ok" ? "unavailable" : state, ...redis }, 503);
    },
  );

  // Prometheus text format: auth failures and the process's memory, so far.
  route("get /metrics", "Prometheus metrics (text format)")(
    { responses: { 200: z.string().describe("text/plain; version=0.0.4") } },
    (c) => {
      const lines = [
        "# HELP fractal_auth_failures_total Requests refused by authentication, by reason.",
        "# TYPE fractal_auth_failures_total counter",
      ];
      for (const [reason, count] of c.var.deps.auth.failures) {
        lines.push(`fractal_auth_failures_total{reason="${reason.replace(/["\\\n]/g, "_")}"} ${count}`);
      }
      const memory = process.memoryUsage();
      lines.push(
        "# HELP process_resident_memory_bytes Resident memory size in bytes.",
        "# TYPE process_resident_memory_bytes gauge",
        `process_resident_memory_bytes ${memory.rss}`,
        "# HELP nodejs_heap_size_used_bytes JavaScript heap in use, in bytes.",
        "# TYPE nodejs_heap_size_used_bytes gauge",
        `nodejs_heap_size_used_bytes ${memory.heapUsed}`,
      );
      return c.text(`${lines.join("\n")}\n`, 200, { "content-type": "text/plain; version=0.0.4" });
    },
  );
}
