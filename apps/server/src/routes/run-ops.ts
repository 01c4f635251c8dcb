import { type Access, canSee } from "@fractal/infra/auth/access";
import { AppError, notFound } from "@fractal/infra/errors";
import { type OpenApiRegistry, routesOn } from "@fractal/infra/hono/openapi";
import { streamEvents } from "@fractal/infra/hono/sse";
import type { StreamEvent } from "@fractal/infra/run-events";
import { isFinalStatus } from "@fractal/infra/storage/runs";
import type { Storage } from "@fractal/infra/storage/storage";
import { filterModes } from "@fractal/runtime/runs/stream-filter";
import { threadEvents } from "@fractal/runtime/runs/thread-stream";
import type { Context, Hono } from "hono";
import { z } from "zod";
import { accessFor } from "../access.ts";
import type { AppEnv } from "../env.ts";
import {
  bulkCancelBody,
  bulkCancelQuery,
  cancelQuery,
  joinQuery,
  joinStreamQuery,
  listRunsQuery,
  runParams,
  runResponse,
  statelessRunParams,
} from "../schemas/runs.ts";
import { threadIdParams } from "../schemas/threads.ts";
import { checkFields, selectFields } from "../select.ts";
import { authorizeThread, guardThread } from "../thread-auth.ts";

const tags = ["runs"];
const RUN_FIELDS = Object.keys(runResponse.shape);

async function visibleRunIds(c: Context<AppEnv>, runIds: string[], access: Access): Promise<string[]> {
  if (access === undefined) return runIds;
  const visible: string[] = [];
  for (const runId of runIds) {
    const run = await c.var.deps.storage.runs.find(runId);
    if (run && canSee(run.metadata, access)) visible.push(runId);
  }
  return visible;
}

/**
 * Only events of a subgraph namespace and below (`namespace=parent|child`, segments matching a
 * node name or its `node:task` id); `metadata` and `error` always pass.
 */
async function* inNamespace(events: AsyncIterable<StreamEvent>, namespace: string[] | undefined) {
  for await (const event of events) {
    if (!namespace || event.event === "metadata" || event.event === "error") {
      yield event;
      continue;
    }
    const segments = event.event.split("|").slice(1);
    const inside = namespace.every((want, i) => segments[i] === want || segments[i]?.startsWith(`${want}:`));
    if (inside) yield event;
  }
}

/**
 * What a join or thread stream asks for: where to resume (`Last-Event-ID`), which modes (the Python
 * SDK sends `stream_mode=`, empty, for all of them) and which subgraph namespace. `checkpoint_id`
 * cannot be honoured by a stream of events: a 422 naming it.
 */
function streamQuery(c: Context<AppEnv>, query: z.infer<typeof joinStreamQuery>) {
  if (query.checkpoint_id !== undefined) {
    throw new AppError(
      "validation_failed",
      "query.checkpoint_id: a stream follows a run's events, not a checkpoint; give Last-Event-ID to resume",
    );
  }
  const asked = [query.stream_mode ?? []].flat().filter((m) => m !== "");
  return {
    after: c.req.header("Last-Event-ID") ?? undefined,
    modes: asked.length > 0 ? asked : undefined,
    namespace: query.namespace === undefined ? undefined : [query.namespace].flat().flatMap((n) => n.split("|")),
  };
}

/** Whether a run has ended, or is not there at all. */
async function endedOrGone(storage: Storage, runId: string): Promise<boolean> {
  const run = await storage.runs.find(runId);
  return run === undefined || isFinalStatus(run.status);
}

async function joinStream(
  c: Context<AppEnv>,
  runId: string,
  query: z.infer<typeof joinStreamQuery>,
): Promise<Response> {
  const { deps } = c.var;
  const { after, modes, namespace } = streamQuery(c, query);
  // A run that ended here long ago (or elsewhere) has no events left to send: the stream ends at once.
  const gone = (await deps.events.isClosed(runId)) === undefined && (await endedOrGone(deps.storage, runId));
  return streamEvents(c, {
    open: (signal) =>
      gone
        ? (async function* () {})()
        : inNamespace(filterModes(deps.events.read(runId, { after, signal }), modes), namespace),
    heartbeatMs: deps.config.streamHeartbeatMs,
    closing: deps.closing,
    openStreams: deps.metrics.sseClients,
    onDisconnect: query.cancel_on_disconnect ? () => deps.runs.cancel([runId], "interrupt").then(() => {}) : undefined,
  });
}

export function registerRunOpsRoutes(app: Hono<AppEnv>, api: OpenApiRegistry): void {
  const route = routesOn(app, api, tags);
  route("get /threads/:thread_id/runs", "List a thread's runs, newest first")(
    { params: threadIdParams, query: listRunsQuery, responses: { 200: z.array(runResponse) } },
    async (c, { params, query }) => {
      await guardThread(c, "read", params.thread_id);
      checkFields(query.select, RUN_FIELDS, "query");
      return c.json(selectFields(await c.var.deps.storage.runs.list(params.thread_id, query), query.select));
    },
  );

  route("get /threads/:thread_id/runs/:run_id", "Get a run")(
    { params: runParams, responses: { 200: runResponse } },
    async (c, { params }) => {
      await authorizeThread(c, "read", params.thread_id);
      return c.json(await c.var.deps.storage.runs.get(params.thread_id, params.run_id));
    },
  );

  route("delete /threads/:thread_id/runs/:run_id", "Delete a finished run (409 while it is pending or running)")(
    { params: runParams, responses: { 204: null } },
    async (c, { params }) => {
      await authorizeThread(c, "delete", params.thread_id, { run_id: params.run_id });
      await c.var.deps.storage.runs.delete(params.thread_id, params.run_id);
      return c.body(null, 204);
    },
  );

  route("get /threads/:thread_id/runs/:run_id/join", "Wait for a run to end and return the thread's final values")(
    { params: runParams, query: joinQuery, responses: { 200: z.unknown() } },
    async (c, { params, query }) => {
      const { deps } = c.var;
      await authorizeThread(c, "read", params.thread_id);
      await deps.storage.runs.get(params.thread_id, params.run_id);
      const signal = c.req.raw.signal;
      const result = await deps.runs.joinResult(params.run_id, params.thread_id, signal);
      if (signal.aborted && query.cancel_on_disconnect) await deps.runs.cancel([params.run_id], "interrupt");
      return c.json(result as object);
    },
  );

  route("get /threads/:thread_id/runs/:run_id/stream", "Join a run's event stream (resume with Last-Event-ID)")(
    { params: runParams, query: joinStreamQuery, responses: { 200: z.string().describe("text/event-stream") } },
    async (c, { params, query }) => {
      await authorizeThread(c, "read", params.thread_id);
      await c.var.deps.storage.runs.get(params.thread_id, params.run_id);
      return joinStream(c, params.run_id, query);
    },
  );

  route("get /runs/:run_id/stream", "Join a stateless run's event stream")(
    {
      params: statelessRunParams,
      query: joinStreamQuery,
      responses: { 200: z.string().describe("text/event-stream") },
    },
    async (c, { params, query }) => {
      const { deps } = c.var;
      const find = () => deps.storage.runs.find(params.run_id);
      // Under auth the run's row decides who may join; without auth, a run this process has events
      // for needs no lookup, and a finished stateless run whose row is gone stays joinable while
      // its events are kept.
      const visibleRun = async () => {
        const run = await find();
        return run !== undefined && canSee(run.metadata, await accessFor(c, "threads:read", { run_id: params.run_id }));
      };
      const visible = c.var.user
        ? await visibleRun()
        : (await deps.events.isClosed(params.run_id)) !== undefined || (await find()) !== undefined;
      if (!visible) throw notFound("run", params.run_id);
      return joinStream(c, params.run_id, query);
    },
  );

  route(
    "get /threads/:thread_id/stream",
    "Stream the events of the thread's runs, staying open across runs (Last-Event-ID resumes)",
  )(
    { params: threadIdParams, query: joinStreamQuery, responses: { 200: z.string().describe("text/event-stream") } },
    async (c, { params, query }) => {
      const { deps } = c.var;
      await guardThread(c, "read", params.thread_id);
      const { after, modes, namespace } = streamQuery(c, query);
      return streamEvents(c, {
        open: (signal) =>
          inNamespace(threadEvents({ ...deps, threadId: params.thread_id, after, modes, signal }), namespace),
        heartbeatMs: deps.config.streamHeartbeatMs,
        closing: deps.closing,
        openStreams: deps.metrics.sseClients,
      });
    },
  );

  route(
    "post /threads/:thread_id/runs/:run_id/cancel",
    "Cancel a run (action interrupt keeps its checkpoints, rollback deletes the run and them)",
  )({ params: runParams, query: cancelQuery, responses: { 202: null, 204: null } }, async (c, { params, query }) => {
    const { deps } = c.var;
    await authorizeThread(c, "update", params.thread_id, { run_id: params.run_id, action: query.action });
    const run = await deps.storage.runs.get(params.thread_id, params.run_id);
    if (run.status !== "pending" && run.status !== "running") {
      throw new AppError("conflict", `run '${run.run_id}' has already ended (${run.status})`);
    }
    await deps.runs.cancel([run.run_id], query.action, params.thread_id);
    if (!query.wait) return c.body(null, 202);
    await deps.runs.join(run.run_id, c.req.raw.signal);
    return c.body(null, 204);
  });

  route("post /runs/cancel", "Cancel runs by ids, or all pending/running runs (optionally of one thread)")(
    { body: bulkCancelBody, query: bulkCancelQuery, responses: { 204: null } },
    async (c, { body, query }) => {
      const { deps } = c.var;
      // Only the caller's runs are cancelled; ids of others' runs are skipped like unknown ones.
      const access = await accessFor(c, "threads:update", { action: query.action });
      if (body.thread_id) await authorizeThread(c, "update", body.thread_id, { action: query.action });
      const ids = body.run_ids
        ? await visibleRunIds(c, body.run_ids, access)
        : await deps.storage.runs.activeIds({ threadId: body.thread_id, status: body.status ?? "all", access });
      await deps.runs.cancel(ids, query.action, body.thread_id);
      return c.body(null, 204);
    },
  );
}
