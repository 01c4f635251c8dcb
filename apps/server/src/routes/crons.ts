import { AppError } from "@fractal/infra/errors";
import { type OpenApiRegistry, routesOn } from "@fractal/infra/hono/openapi";
import { isUuid } from "@fractal/infra/ids";
import { defaultAssistantId } from "@fractal/runtime/default-assistants";
import type { RunKwargs } from "@fractal/runtime/runs/run-kwargs";
import type { Context, Hono } from "hono";
import { z } from "zod";
import { accessFor, authorizeOn, decide, guard, withoutAccessKeys } from "../access.ts";
import type { AppEnv } from "../env.ts";
import { authorizeRun } from "../run-auth.ts";
import {
  type CreateCronBody,
  countCronsBody,
  createCronBody,
  cronIdParams,
  cronResponse,
  patchCronBody,
  searchCronsBody,
} from "../schemas/crons.ts";
import { threadIdParams } from "../schemas/threads.ts";
import { selectFields } from "../select.ts";

const tags = ["crons"];

const SETTINGS = ["schedule", "timezone", "end_time", "enabled", "metadata", "on_run_completed"] as const;
type SettingKey = (typeof SETTINGS)[number];

/** A cron body split into the cron's own settings and its run payload (every other field but the assistant). */
/**
 * A cron filter's `assistant_id`: an assistant id, or a graph id for its default assistant (as on
 * create); anything else is a 422, never a comparison the uuid column would refuse.
 */
function filterAssistantId(c: Context<AppEnv>, value: string | undefined): string | undefined {
  if (value === undefined || isUuid(value)) return value;
  if (c.var.deps.graphs.has(value)) return defaultAssistantId(value);
  throw new AppError("validation_failed", `body.assistant_id: '${value}' is neither an assistant id nor a graph id`);
}

function splitCronBody<T extends Partial<Record<SettingKey | "assistant_id", unknown>>>(body: T) {
  const settings: Partial<Record<string, unknown>> = {};
  const payload: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined || key === "assistant_id") continue;
    if ((SETTINGS as readonly string[]).includes(key)) settings[key] = value;
    else payload[key] = value;
  }
  return { settings: settings as Pick<T, SettingKey>, payload };
}

function guardCron(c: Context<AppEnv>, action: "read" | "update" | "delete", cronId: string, value = {}) {
  return guard(c, "crons", action, cronId, () => c.var.deps.storage.crons.get(cronId), value);
}

type RunConfig = { configurable?: Record<string, unknown> } | undefined;

/**
 * A patch that replaces the run config keeps who the ticks run as (`langgraph_auth_*`, set when the
 * cron was created). Other payload fields merge into the stored payload, so they need nothing.
 */
function keepAuthUser(payload: Record<string, unknown>, stored: Record<string, unknown>): Record<string, unknown> {
  if (payload.config === undefined) return payload;
  const storedConfigurable = (stored.config as RunConfig)?.configurable ?? {};
  const auth = Object.entries(storedConfigurable).filter(([key]) => key.startsWith("langgraph_auth_"));
  if (auth.length === 0) return payload;
  const config = payload.config as NonNullable<RunConfig>;
  return { ...payload, config: { ...config, configurable: { ...config.configurable, ...Object.fromEntries(auth) } } };
}

async function createCron(c: Context<AppEnv>, body: CreateCronBody, threadId?: string) {
  const { deps } = c.var;
  deps.runs.checkWebhook(body.webhook);
  if (threadId) await deps.storage.threads.get(threadId);
  const { settings, payload } = splitCronBody(body);
  const decision = await decide(c, "crons:create", {
    schedule: body.schedule,
    thread_id: threadId,
    end_time: body.end_time,
    metadata: body.metadata ?? {},
    payload,
  });
  // Each tick's run is authorized now, as the cron's creator: their thread, assistant and identity;
  // then the run service applies its own rules to it (assistant and its visibility, graph settings).
  const run = await authorizeRun(c, threadId, {
    assistant_id: body.assistant_id,
    kwargs: { config: body.config, webhook: body.webhook } as RunKwargs,
    metadata: {},
  });
  const assistant = await deps.runs.check(run);
  const cron = await deps.storage.crons.create({
    ...settings,
    metadata: { ...(decision.value.metadata ?? body.metadata), ...decision.stamp },
    schedule: body.schedule,
    assistant_id: assistant.assistant_id,
    thread_id: threadId,
    payload: c.var.user
      ? { ...payload, config: run.kwargs.config, metadata: run.metadata, thread_metadata: run.thread_metadata }
      : payload,
  });
  return c.json(cron);
}

export function registerCronRoutes(app: Hono<AppEnv>, api: OpenApiRegistry): void {
  const route = routesOn(app, api, tags);
  route(
    "post /runs/crons",
    "Schedule stateless runs: each tick runs on a new thread",
    { body: createCronBody, responses: { 200: cronResponse } },
    (c, { body }) => createCron(c, body),
  );

  route(
    "post /threads/:thread_id/runs/crons",
    "Schedule runs on an existing thread",
    { params: threadIdParams, body: createCronBody, responses: { 200: cronResponse } },
    (c, { body, params }) => createCron(c, body, params.thread_id),
  );

  route(
    "post /runs/crons/search",
    "Search crons by assistant, thread, enabled and metadata",
    { body: searchCronsBody, bodyOptional: true, responses: { 200: z.array(cronResponse) } },
    async (c, { body }) => {
      const access = await accessFor(c, "crons:search", body);
      const filter = { ...body, assistant_id: filterAssistantId(c, body.assistant_id), access };
      return c.json(selectFields(await c.var.deps.storage.crons.search(filter), body.select));
    },
  );

  route(
    "post /runs/crons/count",
    "Count crons",
    { body: countCronsBody, bodyOptional: true, responses: { 200: z.number() } },
    async (c, { body }) => {
      const access = await accessFor(c, "crons:search", body);
      return c.json(
        await c.var.deps.storage.crons.count({
          ...body,
          assistant_id: filterAssistantId(c, body.assistant_id),
          access,
        }),
      );
    },
  );

  route(
    "patch /runs/crons/:cron_id",
    "Change a cron's schedule, payload, enabled or end_time",
    { params: cronIdParams, body: patchCronBody, responses: { 200: cronResponse } },
    async (c, { body, params }) => {
      c.var.deps.runs.checkWebhook(body.webhook);
      const { settings, payload } = splitCronBody(body);
      const { decision, item } = await guardCron(c, "update", params.cron_id, { schedule: body.schedule, payload });
      const cron = await c.var.deps.storage.crons.patch(params.cron_id, {
        ...settings,
        metadata: withoutAccessKeys(settings.metadata as Record<string, unknown> | undefined, decision.access),
        ...(Object.keys(payload).length > 0 ? { payload: keepAuthUser(payload, item.payload) } : {}),
      });
      return c.json(cron);
    },
  );

  route(
    "delete /runs/crons/:cron_id",
    "Delete a cron",
    { params: cronIdParams, responses: { 204: null } },
    async (c, { params }) => {
      await authorizeOn(c, "crons", "delete", params.cron_id, () => c.var.deps.storage.crons.get(params.cron_id));
      await c.var.deps.storage.crons.delete(params.cron_id);
      return c.body(null, 204);
    },
  );
}
