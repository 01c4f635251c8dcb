import { canSee } from "@fractal/infra/auth/access";
import { type OpenApiRegistry, routesOn } from "@fractal/infra/hono/openapi";
import type { Assistant } from "@fractal/infra/storage/assistants";
import { graphSchemas } from "@fractal/runtime/schemas";
import type { Context, Hono } from "hono";
import { z } from "zod";
import { accessFor, assertIdFree, authorizeOn, decide, guard, withoutAccessKeys } from "../access.ts";
import type { AppEnv } from "../env.ts";
import { searchVisible } from "../pagination.ts";
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
  const { item: assistant } = await guardAssistant(c, "read", assistantId);
  return { assistant, graph: await c.var.deps.assistants.graph(assistant) };
}

export function registerAssistantRoutes(app: Hono<AppEnv>, api: OpenApiRegistry): void {
  const route = routesOn(app, api, tags);
  route("post /assistants", "Create an assistant (the graph checks its settings, e.g. the model: 422 when invalid)")(
    { body: createAssistantBody, responses: { 200: assistantResponse } },
    async (c, { body }) => {
      const deps = c.var.deps;
      const { assistant } = await deps.assistants.create(
        { ...body, assistant_id: body.assistant_id ?? crypto.randomUUID() },
        async (input) => {
          await assertIdFree(c, "assistants", body.assistant_id, (id) => deps.storage.assistants.find(id));
          const decision = await decide(c, "assistants:create", { ...body, metadata: body.metadata ?? {} });
          return { ...input, metadata: { ...(decision.value.metadata ?? body.metadata), ...decision.stamp } };
        },
      );
      return c.json(assistant);
    },
  );

  route("post /assistants/search", "Search assistants")(
    { body: searchAssistantsBody, bodyOptional: true, responses: { 200: z.array(assistantResponse) } },
    async (c, { body }) => {
      const assistants = await searchVisible(c, "assistants", body, (query) =>
        c.var.deps.storage.assistants.search(query),
      );
      return c.json(selectFields(assistants, body.select));
    },
  );

  route("post /assistants/count", "Count assistants")(
    { body: countAssistantsBody, bodyOptional: true, responses: { 200: z.number() } },
    async (c, { body }) =>
      c.json(
        await c.var.deps.storage.assistants.count({ ...body, access: await accessFor(c, "assistants:search", body) }),
      ),
  );

  route("get /assistants/:assistant_id", "Get an assistant")(
    { params: assistantIdParams, responses: { 200: assistantResponse } },
    async (c, { params }) => c.json((await guardAssistant(c, "read", params.assistant_id)).item),
  );

  route(
    "patch /assistants/:assistant_id",
    "Update an assistant (writes a new version; metadata is merged; settings checked: 422)",
  )(
    { params: assistantIdParams, body: patchAssistantBody, bodyOptional: true, responses: { 200: assistantResponse } },
    async (c, { params, body }) => {
      const stored = storedAssistant(c, params.assistant_id);
      const assistant = await c.var.deps.assistants.update(params.assistant_id, body, stored, async (patch) => {
        const decision = await authorizeAssistant(c, "update", params.assistant_id, body, stored);
        return { ...patch, metadata: withoutAccessKeys(body.metadata, decision.access) };
      });
      return c.json(assistant);
    },
  );

  route("delete /assistants/:assistant_id", "Delete an assistant (and, with delete_threads, its threads)")(
    { params: assistantIdParams, query: deleteAssistantQuery, responses: { 204: null } },
    async (c, { params, query }) => {
      await authorizeAssistant(c, "delete", params.assistant_id);
      // With delete_threads, only the caller's own threads go with it.
      const threadAccess = query.delete_threads ? await accessFor(c, "threads:delete") : undefined;
      await c.var.deps.assistants.delete(
        params.assistant_id,
        query.delete_threads ? (thread) => canSee(thread.metadata, threadAccess) : undefined,
      );
      return c.body(null, 204);
    },
  );

  route("post /assistants/:assistant_id/versions", "List an assistant's versions, newest first")(
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

  route("post /assistants/:assistant_id/latest", "Make a version the current one")(
    { params: assistantIdParams, body: setLatestBody, responses: { 200: assistantResponse } },
    async (c, { params, body }) => {
      await authorizeAssistant(c, "update", params.assistant_id, { version: body.version });
      return c.json(await c.var.deps.storage.assistants.setLatest(params.assistant_id, body.version));
    },
  );

  route(
    "get /assistants/:assistant_id/schemas",
    "JSON schemas of the assistant's graph (input, output, state, config, context)",
  )({ params: assistantIdParams, responses: { 200: schemasResponse } }, async (c, { params }) => {
    const { assistant, graph } = await assistantGraph(c, params.assistant_id);
    const { typeSchemas, config } = c.var.deps;
    const typed = await typeSchemas.get(assistant.graph_id, config.schemaWaitMs);
    return c.json({ graph_id: assistant.graph_id, ...graphSchemas(graph, typed) });
  });

  route("get /assistants/:assistant_id/graph", "The drawable graph (nodes and edges); `xray` expands subgraphs")(
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
  )(
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
