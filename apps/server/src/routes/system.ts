import { type OpenApiRegistry, routesOn } from "@fractal/infra/hono/openapi";
import type { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { jsonObject, queryBool } from "../schemas/common.ts";
import { renderDocsPage } from "./docs-page.ts";

const tags = ["system"];
const okQuery = z.object({ check_db: queryBool.optional() });

export function registerSystemRoutes(app: Hono<AppEnv>, api: OpenApiRegistry): void {
  const route = routesOn(app, api, tags);
  route("get /ok", "Liveness; with check_db=1 also whether the database answers (503 when it does not)")(
    {
      query: okQuery,
      responses: {
        200: z.object({ ok: z.boolean(), db: z.enum(["ok", "unavailable", "restarting", "failed"]).optional() }),
      },
    },
    async (c, { query }) => {
      if (!query.check_db) return c.json({ ok: true });
      const { database } = c.var.deps.storage;
      // The embedded database's watchdog may be replacing a stuck thread (or have given up on a
      // stuck in-memory one); otherwise the database must answer a query within 2 s.
      const { state } = database.health();
      if (state === "ok" && (await database.ping(2_000))) return c.json({ ok: true, db: "ok" });
      c.header("Retry-After", "5");
      return c.json({ ok: false, db: state === "ok" ? "unavailable" : state }, 503);
    },
  );

  route("get /info", "Server version and feature flags")(
    {
      responses: {
        200: z.object({
          version: z.string(),
          runtime: z.string(),
          storage: z.string(),
          store_search: z.enum(["pgvector", "exact"]).nullable(),
          flags: z.record(z.string(), z.boolean()),
          auth: z.enum(["none", "owner", "handlers"]),
          metadata: jsonObject,
          host: z.object({ kind: z.string() }).loose(),
        }),
      },
    },
    (c) => {
      const { version, storage } = c.var.deps;
      return c.json({
        version,
        runtime: "fractal-agents-runtime",
        storage: storage.database.kind,
        // How store semantic search runs (null: no store.index configured).
        store_search: storage.store.vectorMode ?? null,
        // Feature flags as the Agent Server names them (clients hide what is off).
        flags: { assistants: true, crons: true, langsmith: false, langsmith_tracing_replicas: false, store: true },
        // Which auth policy decides (none, owner, handlers); never any secret.
        auth: c.var.deps.auth.policy,
        // The operator's FRACTAL_INFO_METADATA (deployment name, region, …), shown to clients.
        metadata: c.var.deps.config.infoMetadata,
        host: { kind: "self-hosted", project_id: null, revision_id: null, tenant_id: null, host_revision_id: null },
      });
    },
  );

  const document = () => api.document({ title: "fractal-agents-runtime", version: "" });
  app.get("/openapi.json", (c) => {
    const doc = document();
    (doc.info as Record<string, unknown>).version = c.var.deps.version;
    return c.json(doc);
  });
  app.get("/docs", (c) => c.html(renderDocsPage(api.operations())));

  // Prometheus text format. Only auth failures are counted so far.
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
      return c.text(`${lines.join("\n")}\n`, 200, { "content-type": "text/plain; version=0.0.4" });
    },
  );
}
