import { type OpenApiRegistry, routesOn } from "@fractal/infra/hono/openapi";
import type { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";

const truncateBody = z.object({
  runs: z.boolean().optional(),
  threads: z.boolean().optional(),
  assistants: z.boolean().optional(),
  checkpointer: z.boolean().optional(),
  store: z.boolean().optional(),
});

/** Test-only routes; mounted only when FRACTAL_TEST_ROUTES=true. */
export function registerInternalRoutes(app: Hono<AppEnv>, api: OpenApiRegistry): void {
  const route = routesOn(app, api, ["internal"]);
  route("post /internal/truncate", "Test only: empty the chosen tables (default assistants are re-created)")(
    { body: truncateBody, bodyOptional: true, responses: { 200: z.object({ ok: z.boolean() }) } },
    async (c, { body }) => {
      const { storage, graphs, ensureDefaults } = c.var.deps;
      await storage.truncate(body);
      if (body.assistants) await ensureDefaults(graphs.ids());
      return c.json({ ok: true });
    },
  );
}

/** A statement that never returns on its own: what the embedded database's watchdog must survive. */
const RUNAWAY_SQL = "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r";

/** Test-only view of in-process stream state, to prove disconnects leave nothing behind. */
export function registerInternalStatsRoute(app: Hono<AppEnv>): void {
  app.get("/internal/stats", (c) => {
    const { events, control, worker } = c.var.deps;
    return c.json({ events: events.stats(), control_listeners: control.listenerCount(), active_runs: worker.active() });
  });
  // Fault injection: a runaway statement, which ends when the database's statement timeout or the
  // embedded watchdog cancels it. `?wait=true` answers with its outcome; otherwise 202 at once.
  app.post("/internal/stall-database", async (c) => {
    const stalled = c.var.deps.storage.database.pool.query(RUNAWAY_SQL);
    if (c.req.query("wait") === "true") await stalled;
    else stalled.catch(() => {});
    return c.json({ stalled: true }, 202);
  });
  // Webhook deliveries of one run, with their status and attempts.
  app.get("/internal/webhooks/:run_id", async (c) =>
    c.json(await c.var.deps.storage.webhooks.forRun(c.req.param("run_id"))),
  );
  // Checkpoint rows of one thread, to prove deletions leave none behind.
  app.get("/internal/checkpoints/:thread_id", async (c) =>
    c.json({ rows: await c.var.deps.storage.checkpoints.countRows(c.req.param("thread_id")) }),
  );
}
