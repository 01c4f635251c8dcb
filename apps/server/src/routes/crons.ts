import { type OpenApiRegistry, routesOn } from "@fractal/infra/hono/openapi";
import { splitCronBody } from "@fractal/runtime/crons/cron-service";
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

function guardCron(c: Context<AppEnv>, action: "read" | "update" | "delete", cronId: string, value = {}) {
  return guard(c, "crons", action, cronId, () => c.var.deps.storage.crons.get(cronId), value);
}

async function createCron(c: Context<AppEnv>, body: CreateCronBody, threadId?: string) {
  const { settings, payload } = splitCronBody(body);
  const cron = await c.var.deps.crons.create({ thread_id: threadId, webhook: body.webhook, payload }, async () => {
    const decision = await decide(c, "crons:create", {
      schedule: body.schedule,
      thread_id: threadId,
      end_time: body.end_time,
      metadata: body.metadata ?? {},
      payload,
    });
    // Each tick's run is authorized now, as the cron's creator: their thread, assistant and identity.
    const run = await authorizeRun(c, threadId, {
      assistant_id: body.assistant_id,
      kwargs: { config: body.config, webhook: body.webhook } as RunKwargs,
      metadata: {},
    });
    const metadata = { ...(decision.value.metadata ?? body.metadata), ...decision.stamp };
    return { settings: { ...settings, metadata }, run, asCaller: c.var.user !== undefined };
  });
  return c.json(cron);
}

export function registerCronRoutes(app: Hono<AppEnv>, api: OpenApiRegistry): void {
  const route = routesOn(app, api, tags);
  route("post /runs/crons", "Schedule stateless runs: each tick runs on a new thread")(
    { body: createCronBody, responses: { 200: cronResponse } },
    (c, { body }) => createCron(c, body),
  );

  route("post /threads/:thread_id/runs/crons", "Schedule runs on an existing thread")(
    { params: threadIdParams, body: createCronBody, responses: { 200: cronResponse } },
    (c, { body, params }) => createCron(c, body, params.thread_id),
  );

  route("post /runs/crons/search", "Search crons by assistant, thread, enabled and metadata")(
    { body: searchCronsBody, bodyOptional: true, responses: { 200: z.array(cronResponse) } },
    async (c, { body }) => {
      const access = await accessFor(c, "crons:search", body);
      const filter = c.var.deps.crons.filter({ ...body, access });
      return c.json(selectFields(await c.var.deps.storage.crons.search(filter), body.select));
    },
  );

  route("post /runs/crons/count", "Count crons")(
    { body: countCronsBody, bodyOptional: true, responses: { 200: z.number() } },
    async (c, { body }) => {
      const access = await accessFor(c, "crons:search", body);
      return c.json(await c.var.deps.storage.crons.count(c.var.deps.crons.filter({ ...body, access })));
    },
  );

  route("patch /runs/crons/:cron_id", "Change a cron's schedule, payload, enabled or end_time")(
    { params: cronIdParams, body: patchCronBody, responses: { 200: cronResponse } },
    async (c, { body, params }) => {
      const { settings, payload } = splitCronBody(body);
      const cron = await c.var.deps.crons.patch(params.cron_id, { webhook: body.webhook, payload }, async () => {
        const { decision, item } = await guardCron(c, "update", params.cron_id, { schedule: body.schedule, payload });
        const metadata = withoutAccessKeys(settings.metadata as Record<string, unknown> | undefined, decision.access);
        return { settings: { ...settings, metadata }, stored: item };
      });
      return c.json(cron);
    },
  );

  route("delete /runs/crons/:cron_id", "Delete a cron")(
    { params: cronIdParams, responses: { 204: null } },
    async (c, { params }) => {
      await authorizeOn(c, "crons", "delete", params.cron_id, () => c.var.deps.storage.crons.get(params.cron_id));
      await c.var.deps.storage.crons.delete(params.cron_id);
      return c.body(null, 204);
    },
  );
}
