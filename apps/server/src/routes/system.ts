import { type OpenApiRegistry, routesOn } from "@fractal/infra/hono/openapi";
import type { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { jsonObject } from "../schemas/common.ts";
import { renderDocsPage } from "./docs-page.ts";

const tags = ["system"];

export function registerSystemRoutes(app: Hono<AppEnv>, api: OpenApiRegistry): void {
  const route = routesOn(app, api, tags);
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
}
