import { type OpenApiRegistry, routesOn } from "@fractal/infra/hono/openapi";
import type { ThreadService } from "@fractal/runtime/thread-service";
import type { Context, Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import {
  historyBody,
  historyQuery,
  patchStateBody,
  stateAtCheckpointBody,
  stateAtParams,
  stateQuery,
  threadIdParams,
  threadStateResponse,
  updateStateBody,
  updateStateResponse,
} from "../schemas/threads.ts";
import { selectState } from "../select.ts";
import { authorizeThread } from "../thread-auth.ts";

const tags = ["thread state"];

type StateSelector = Parameters<ThreadService["getState"]>[1];

/** The thread's state at a checkpoint (the latest without one), for a caller who may read it, with `select`. */
async function stateAt(
  c: Context<AppEnv>,
  threadId: string,
  selector: StateSelector,
  select: string[] | undefined,
  where: "query" | "body",
) {
  await authorizeThread(c, "read", threadId);
  const state = await c.var.deps.threads.getState(threadId, selector);
  return c.json(selectState(state as never, select, where));
}

export function registerThreadStateRoutes(app: Hono<AppEnv>, api: OpenApiRegistry): void {
  const route = routesOn(app, api, tags);
  route("get /threads/:thread_id/state", "The thread's latest state")(
    { params: threadIdParams, query: stateQuery, responses: { 200: threadStateResponse } },
    (c, { params, query }) => stateAt(c, params.thread_id, { subgraphs: query.subgraphs }, query.select, "query"),
  );

  route(
    "post /threads/:thread_id/state",
    "Update the thread's state as if `as_node` wrote it (409 while a run is active)",
  )(
    { params: threadIdParams, body: updateStateBody, responses: { 200: updateStateResponse } },
    async (c, { params, body }) => {
      await authorizeThread(c, "update", params.thread_id);
      return c.json(await c.var.deps.threads.updateState(params.thread_id, body));
    },
  );

  route("patch /threads/:thread_id/state", "Merge metadata into the latest (or the named) checkpoint's metadata")(
    { params: threadIdParams, body: patchStateBody, responses: { 204: null } },
    async (c, { params, body }) => {
      await authorizeThread(c, "update", params.thread_id);
      await c.var.deps.threads.patchState(params.thread_id, body);
      return c.body(null, 204);
    },
  );

  route("post /threads/:thread_id/state/checkpoint", "The thread's state at a checkpoint object")(
    { params: threadIdParams, body: stateAtCheckpointBody, responses: { 200: threadStateResponse } },
    (c, { params, body }) =>
      stateAt(c, params.thread_id, { checkpoint: body.checkpoint, subgraphs: body.subgraphs }, body.select, "body"),
  );

  route("get /threads/:thread_id/state/:checkpoint_id", "The thread's state at a checkpoint id")(
    { params: stateAtParams, query: stateQuery, responses: { 200: threadStateResponse } },
    (c, { params, query }) =>
      stateAt(
        c,
        params.thread_id,
        { checkpoint_id: params.checkpoint_id, subgraphs: query.subgraphs },
        query.select,
        "query",
      ),
  );

  route("get /threads/:thread_id/history", "The thread's checkpoints, newest first")(
    { params: threadIdParams, query: historyQuery, responses: { 200: z.array(threadStateResponse) } },
    async (c, { params, query }) => {
      await authorizeThread(c, "read", params.thread_id);
      const history = await c.var.deps.threads.history(params.thread_id, query);
      return c.json(history.map((state) => selectState(state as never, query.select, "query")));
    },
  );

  route("post /threads/:thread_id/history", "The thread's checkpoints, newest first, filtered by metadata")(
    { params: threadIdParams, body: historyBody, bodyOptional: true, responses: { 200: z.array(threadStateResponse) } },
    async (c, { params, body }) => {
      await authorizeThread(c, "read", params.thread_id);
      const history = await c.var.deps.threads.history(params.thread_id, body);
      return c.json(history.map((state) => selectState(state as never, body.select, "body")));
    },
  );
}
