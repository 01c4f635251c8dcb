import { type OpenApiRegistry, routesOn } from "@fractal/infra/hono/openapi";
import { streamEvents } from "@fractal/infra/hono/sse";
import type { Context, Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env.ts";
import { authorizeRun } from "../run-auth.ts";
import { configurableHeaders, toRunRequest } from "../run-request.ts";
import { batchBody, type RunCreateBody, runCreateBody, runResponse } from "../schemas/runs.ts";
import { threadIdParams } from "../schemas/threads.ts";

const tags = ["runs"];

const runLocation = (threadId: string, runId: string) => `/threads/${threadId}/runs/${runId}`;

/** Defaults of a run created by this request: `values` streaming, and the headers runs receive. */
const runDefaults = (c: Context<AppEnv>) => ({
  streamMode: ["values" as const],
  headers: configurableHeaders(c.req.raw.headers, c.var.deps.http.configurableHeaders),
});

/** The three ways to start a run (background, stream, wait), for a thread or stateless. */
function createHandlers(stateless: boolean) {
  const threadOf = (c: Context<AppEnv>) => (stateless ? undefined : c.req.param("thread_id"));
  /** The body as the run service takes it, authorized for the caller. */
  const requestFor = (c: Context<AppEnv>, body: RunCreateBody) =>
    authorizeRun(c, threadOf(c), toRunRequest(body, runDefaults(c)));

  const background = async (c: Context<AppEnv>, body: RunCreateBody) => {
    const request = await requestFor(c, body);
    const run = await c.var.deps.runs.create(threadOf(c), request);
    c.header("Content-Location", runLocation(run.thread_id, run.run_id));
    return c.json(run);
  };

  const stream = async (c: Context<AppEnv>, body: RunCreateBody) => {
    const { deps } = c.var;
    const request = await requestFor(c, body);
    const run = await deps.runs.create(threadOf(c), request);
    const location = runLocation(run.thread_id, run.run_id);
    return streamEvents(c, {
      open: (signal) => deps.events.read(run.run_id, { signal }),
      heartbeatMs: deps.config.streamHeartbeatMs,
      closing: deps.closing,
      openStreams: deps.metrics.sseClients,
      headers: { "Content-Location": location, Location: `${location}/stream` },
      onDisconnect:
        body.on_disconnect === "cancel" ? () => deps.runs.cancel([run.run_id], "interrupt").then(() => {}) : undefined,
    });
  };

  const wait = async (c: Context<AppEnv>, body: RunCreateBody) => {
    const { deps } = c.var;
    const request = await requestFor(c, body);
    // The result is read from the values events, so wait runs always record them.
    if (!request.kwargs.stream_mode.includes("values")) request.kwargs.stream_mode.push("values");
    const run = await deps.runs.create(threadOf(c), request);
    c.header("Content-Location", runLocation(run.thread_id, run.run_id));
    const disconnected = c.req.raw.signal;
    const result = await deps.runs.result(run.run_id, run.thread_id, disconnected);
    if (disconnected.aborted && body.on_disconnect === "cancel") await deps.runs.cancel([run.run_id], "interrupt");
    return c.json(result as object);
  };

  return { background, stream, wait };
}

export function registerRunRoutes(app: Hono<AppEnv>, api: OpenApiRegistry): void {
  const route = routesOn(app, api, tags);
  for (const stateless of [false, true]) {
    const base = stateless ? "/runs" : "/threads/:thread_id/runs";
    const handlers = createHandlers(stateless);
    const params = stateless ? undefined : threadIdParams;
    const where = stateless ? "on a temporary thread" : "on a thread";
    route(`post ${base}`, `Create a background run ${where}`)(
      { params, body: runCreateBody, responses: { 200: runResponse } },
      (c, { body }) => handlers.background(c, body),
    );
    route(`post ${base}/stream`, `Create a run ${where} and stream its events (SSE)`)(
      { params, body: runCreateBody, responses: { 200: z.string().describe("text/event-stream") } },
      (c, { body }) => handlers.stream(c, body),
    );
    route(`post ${base}/wait`, `Create a run ${where} and wait for its final values (or {__error__})`)(
      { params, body: runCreateBody, responses: { 200: z.unknown() } },
      (c, { body }) => handlers.wait(c, body),
    );
  }

  route("post /runs/batch", "Create several stateless background runs")(
    { body: batchBody, responses: { 200: z.array(runResponse) } },
    async (c, { body }) => {
      const runs = [];
      // Every item is authorized before any run is created.
      const requests = [];
      for (const item of body) {
        requests.push(await authorizeRun(c, undefined, toRunRequest(item, runDefaults(c))));
      }
      for (const request of requests) runs.push(await c.var.deps.runs.create(undefined, request));
      return c.json(runs);
    },
  );
}
