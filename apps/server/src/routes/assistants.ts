import { canSee } from "@fractal/infra/auth/access";
import { type OpenApiRegistry, routesOn } from "@fractal/infra/hono/openapi";
import type { Assistant } from "@fractal/infra/storage/assistants";
import { mergedConfigurable } from "@fractal/runtime/runs/run-settings";
import { graphSchemas } from "@fractal/runtime/schemas";
import type { Context, Hono } from "hono";
import { z } from "zod";
import { accessFor, assertIdFree, authorizeOn, decide, guard, withoutAccessKeys } from "../access.ts";
import type { AppEnv } from "../env.ts";
import {
  assistantIdParams,
  assistantResponse,
  countAssistantsBody,
  createAssistantBody,
  deleteAssistantQuery,
  graphQuery,
  patchAssistantBody,
  schemasResponse,
  searchAssistantsBody,
  setLatestBody,
  subgraphsParams,
  subgraphsQuery,
  versionsBody,
} from "../schemas/assistants.ts";
import { jsonObject } from "../schemas/common.ts";
import { selectFields } from "../select.ts";

const tags = ["assistants"];

/** The assistant a request acts on, checked against the caller's access (404 when not visible). */
function guardAssistant(
  c: Context<AppEnv>,
  action: "read" | "update" | "delete",
  assistantId: string,
  value: Record<string, unknown> = {},
) {
  return guard(c, "assistants", action, assistantId, () => c.var.deps.storage.assistants.get(assistantId), value);
}

/** Reads the stored assistant at most once, however many checks of one request ask for it. */
function storedAssistant(c: Context<AppEnv>, assistantId: string) {
  let row: Promise<Assistant> | undefined;
  return () => {
    row ??= c.var.deps.storage.assistants.get(assistantId);
    return row;
  };
}

/** The same check where the route's own call answers 404 for a missing assistant (see authorizeOn). */
function authorizeAssistant(
  c: Context<AppEnv>,
  action: "update" | "delete" | "read",
  assistantId: string,
  value: Record<string, unknown> = {},
  load = storedAssistant(c, assistantId),
) {
  return authorizeOn(c, "assistants", action, assistantId, load, value);
}

async function assistantGraph(c: Context<AppEnv>, assistantId: string) {
  const deps = c.var.deps;
  const { item: assistant } = await guardAssistant(c, "read", assistantId);
  const graph = await deps.graphs.resolve(assistant.graph_id, {
    checkpointer: deps.storage.checkpoints.saver,
    store: deps.storage.store,
    config: assistant.config,
  });
  return { assistant, graph };
}

export function registerAssistantRoutes(app: Hono<AppEnv>, api: OpenApiRegistry): void {
  const route = routesOn(app, api, tags);
  route(
    "post /assistants",
    "Create an assistant (the graph checks its settings, e.g. the model: 422 when invalid)",
    { body: createAssistantBody, responses: { 200: assistantResponse } },
    async (c, { body }) => {
      const deps = c.var.deps;
      deps.graphs.require(body.graph_id);
      deps.graphs.validate(body.graph_id, mergedConfigurable(body, {}));
      await assertIdFree(c, "assistants", body.assistant_id, (id) => deps.storage.assistants.find(id));
      const decision = await decide(c, "assistants:create", { ...body, metadata: body.metadata ?? {} });
      const { assistant } = await deps.storage.assistants.create({
        ...body,
        metadata: { ...(decision.value.metadata ?? body.metadata), ...decision.stamp },
        assistant_id: body.assistant_id ?? crypto.randomUUID(),
      });
      return c.json(assistant);
    },
  );

  route(
    "post /assistants/search",
    "Search assistants",
    { body: searchAssistantsBody, bodyOptional: true, responses: { 200: z.array(assistantResponse) } },
    async (c, { body }) => {
      const access = await accessFor(c, "assistants:search", body);
      const page = await c.var.deps.storage.assistants.search({ ...body, access });
      if (page.next !== null) c.header("X-Pagination-Next", String(page.next));
      return c.json(selectFields(page.items, body.select));
    },
  );

  route(
    "post /assistants/count",
    "Count assistants",
    { body: countAssistantsBody, bodyOptional: true, responses: { 200: z.number() } },
    async (c, { body }) =>
      c.json(
        await c.var.deps.storage.assistants.count({ ...body, access: await accessFor(c, "assistants:search", body) }),
      ),
  );

  route(
    "get /assistants/:assistant_id",
    "Get an assistant",
    { params: assistantIdParams, responses: { 200: assistantResponse } },
    async (c, { params }) => c.json((await guardAssistant(c, "read", params.assistant_id)).item),
  );

  route(
    "patch /assistants/:assistant_id",
    "Update an assistant (writes a new version; metadata is merged; settings checked: 422)",
    { params: assistantIdParams, body: patchAssistantBody, bodyOptional: true, responses: { 200: assistantResponse } },
    async (c, { params, body }) => {
      if (body.graph_id) c.var.deps.graphs.require(body.graph_id);
      const stored = storedAssistant(c, params.assistant_id);
      const decision = await authorizeAssistant(c, "update", params.assistant_id, body, stored);
      if (body.graph_id || body.config || body.context) {
        // The version this patch writes: given fields replace the stored ones. The row is the one
        // the access check read, when it read one.
        const current = await stored();
        const next = { config: body.config ?? current.config, context: body.context ?? current.context };
        c.var.deps.graphs.validate(body.graph_id ?? current.graph_id, mergedConfigurable(next, {}));
      }
      const metadata = withoutAccessKeys(body.metadata, decision.access);
      return c.json(await c.var.deps.storage.assistants.update(params.assistant_id, { ...body, metadata }));
    },
  );

  route(
    "delete /assistants/:assistant_id",
    "Delete an assistant (and, with delete_threads, its threads)",
    { params: assistantIdParams, query: deleteAssistantQuery, responses: { 204: null } },
    async (c, { params, query }) => {
      const { storage } = c.var.deps;
      await authorizeAssistant(c, "delete", params.assistant_id);
      const threadAccess = query.delete_threads ? await accessFor(c, "threads:delete") : undefined;
      await storage.assistants.delete(params.assistant_id);
      if (query.delete_threads) {
        for (const threadId of await storage.threads.idsByMetadata({ assistant_id: params.assistant_id })) {
          // Only the caller's own threads go with it.
          const thread = await storage.threads.get(threadId).catch(() => undefined);
          if (thread && canSee(thread.metadata, threadAccess)) await storage.deleteThread(threadId);
        }
      }
      return c.body(null, 204);
    },
  );

  route(
    "post /assistants/:assistant_id/versions",
    "List an assistant's versions, newest first",
    {
      params: assistantIdParams,
      body: versionsBody,
      bodyOptional: true,
      responses: { 200: z.array(assistantResponse.omit({ updated_at: true })) },
    },
    async (c, { params, body }) => {
      await authorizeAssistant(c, "read", params.assistant_id);
      return c.json(await c.var.deps.storage.assistants.versions(params.assistant_id, body));
    },
  );

  route(
    "post /assistants/:assistant_id/latest",
    "Make a version the current one",
    { params: assistantIdParams, body: setLatestBody, responses: { 200: assistantResponse } },
    async (c, { params, body }) => {
      await authorizeAssistant(c, "update", params.assistant_id, { version: body.version });
      return c.json(await c.var.deps.storage.assistants.setLatest(params.assistant_id, body.version));
    },
  );

  route(
    "get /assistants/:assistant_id/schemas",
    "JSON schemas of the assistant's graph (input, output, state, config, context)",
    { params: assistantIdParams, responses: { 200: schemasResponse } },
    async (c, { params }) => {
      const { assistant, graph } = await assistantGraph(c, params.assistant_id);
      const { typeSchemas, config } = c.var.deps;
      const typed = await typeSchemas.get(assistant.graph_id, config.schemaWaitMs);
      return c.json({ graph_id: assistant.graph_id, ...graphSchemas(graph, typed) });
    },
  );

  route(
    "get /assistants/:assistant_id/graph",
    "The drawable graph (nodes and edges); `xray` expands subgraphs",
    { params: assistantIdParams, query: graphQuery, responses: { 200: jsonObject } },
    async (c, { params, query }) => {
      const { graph } = await assistantGraph(c, params.assistant_id);
      const drawable = await graph.getGraphAsync({ xray: query.xray ?? false });
      return c.json(drawable.toJSON());
    },
  );

  // The namespace is optional: without it, every subgraph.
  route(
    "get /assistants/:assistant_id/subgraphs/:namespace?",
    "Schemas of the graph's subgraphs by namespace (namespace optional)",
    {
      params: subgraphsParams,
      query: subgraphsQuery,
      responses: { 200: z.record(z.string(), schemasResponse.omit({ graph_id: true })) },
    },
    async (c, { params, query }) => {
      const { assistant, graph } = await assistantGraph(c, params.assistant_id);
      const { typeSchemas, config } = c.var.deps;
      const typed = (await typeSchemas.get(assistant.graph_id, config.schemaWaitMs))?.subgraphs ?? {};
      const result: Record<string, unknown> = {};
      for await (const [namespace, subgraph] of graph.getSubgraphsAsync(params.namespace, query.recurse ?? false)) {
        const schemas = graphSchemas(subgraph as never, typed[namespace]);
        // Both spellings: the Platform's `*_schema` fields and the JS server's `state`/`input`/… ones.
        result[namespace] = {
          ...schemas,
          state: schemas.state_schema,
          input: schemas.input_schema,
          output: schemas.output_schema,
          config: schemas.config_schema,
        };
      }
      return c.json(result);
    },
  );
}
