import { AppError } from "@fractal/infra/errors";
import { type OpenApiRegistry, routesOn } from "@fractal/infra/hono/openapi";
import type { Hono } from "hono";
import { z } from "zod";
import { accessFor, assertIdFree, decide, withoutAccessKeys } from "../access.ts";
import type { AppEnv } from "../env.ts";
import { searchVisible } from "../pagination.ts";
import {
  countThreadsBody,
  createThreadBody,
  patchThreadBody,
  pruneThreadsBody,
  searchThreadsBody,
  threadIdParams,
  threadResponse,
} from "../schemas/threads.ts";
import { readPath, selectFields } from "../select.ts";
import { authorizeThread, guardThread } from "../thread-auth.ts";

/** A thread with `extracted`: each alias of `extract` read from the thread (`values.messages[-1]`). */
function withExtracted<T extends object>(
  thread: T,
  extract: Record<string, string>,
): T & { extracted: Record<string, unknown> } {
  return {
    ...thread,
    extracted: Object.fromEntries(Object.entries(extract).map(([alias, path]) => [alias, readPath(thread, path)])),
  };
}

const tags = ["threads"];

export function registerThreadRoutes(app: Hono<AppEnv>, api: OpenApiRegistry): void {
  const route = routesOn(app, api, tags);
  route("post /threads", "Create a thread (optionally seeded with supersteps of state updates)")(
    { body: createThreadBody, bodyOptional: true, responses: { 200: threadResponse } },
    async (c, { body }) => {
      const { storage } = c.var.deps;
      await assertIdFree(c, "threads", body.thread_id, (id) => storage.threads.get(id).catch(() => undefined));
      const decision = await decide(c, "threads:create", {
        thread_id: body.thread_id,
        metadata: body.metadata ?? {},
        if_exists: body.if_exists,
      });
      const thread = await c.var.deps.threads.create({
        thread_id: body.thread_id ?? crypto.randomUUID(),
        metadata: { ...(decision.value.metadata ?? body.metadata), ...decision.stamp },
        if_exists: body.if_exists,
        supersteps: body.supersteps,
        ttl_minutes: body.ttl?.ttl ?? c.var.deps.config.threadTtlMinutes,
      });
      return c.json(thread);
    },
  );

  route("post /threads/search", "Search threads by metadata, values, status or ids")(
    { body: searchThreadsBody, bodyOptional: true, responses: { 200: z.array(threadResponse) } },
    async (c, { body }) => {
      const threads = await searchVisible(c, "threads", body, (query) => c.var.deps.storage.threads.search(query));
      const items = body.extract ? threads.map((thread) => withExtracted(thread, body.extract ?? {})) : threads;
      return c.json(selectFields(items, body.select && body.extract ? [...body.select, "extracted"] : body.select));
    },
  );

  route("post /threads/count", "Count threads")(
    { body: countThreadsBody, bodyOptional: true, responses: { 200: z.number() } },
    async (c, { body }) =>
      c.json(await c.var.deps.storage.threads.count({ ...body, access: await accessFor(c, "threads:search", body) })),
  );

  route("get /threads/:thread_id", "Get a thread")(
    { params: threadIdParams, responses: { 200: threadResponse } },
    async (c, { params }) => c.json((await guardThread(c, "read", params.thread_id)).item),
  );

  route("patch /threads/:thread_id", "Update a thread (metadata is merged into the existing object)")(
    { params: threadIdParams, body: patchThreadBody, bodyOptional: true, responses: { 200: threadResponse } },
    async (c, { params, body }) => {
      const decision = await authorizeThread(c, "update", params.thread_id, { metadata: body.metadata });
      return c.json(
        await c.var.deps.storage.threads.patch(params.thread_id, {
          metadata: withoutAccessKeys(body.metadata, decision.access),
          ttl_minutes: body.ttl?.ttl,
        }),
      );
    },
  );

  route("delete /threads/:thread_id", "Delete a thread and its checkpoints")(
    { params: threadIdParams, responses: { 204: null } },
    async (c, { params }) => {
      await authorizeThread(c, "delete", params.thread_id);
      await c.var.deps.threads.delete(params.thread_id);
      return c.body(null, 204);
    },
  );

  route("post /threads/prune", "Delete threads, or keep only each one's latest checkpoint (keep_latest)")(
    { body: pruneThreadsBody, responses: { 200: z.object({ pruned_count: z.number() }) } },
    async (c, { body }) => {
      const action = body.strategy === "delete" ? "delete" : "update";
      // Threads the caller may not see or change are skipped like unknown ones; other failures answer.
      const allowed: string[] = [];
      for (const threadId of body.thread_ids) {
        const ok = await authorizeThread(c, action, threadId).then(
          () => true,
          (error: unknown) => {
            if (error instanceof AppError && (error.code === "not_found" || error.code === "forbidden")) return false;
            throw error;
          },
        );
        if (ok) allowed.push(threadId);
      }
      return c.json({ pruned_count: await c.var.deps.threads.prune(allowed, body.strategy) });
    },
  );

  route("post /threads/:thread_id/copy", "Copy a thread with its checkpoints under a new id")(
    { params: threadIdParams, responses: { 200: threadResponse } },
    async (c, { params }) => {
      const { deps } = c.var;
      if (!c.var.user) return c.json(await deps.threads.copy(params.thread_id));
      // A copy reads the source and creates a thread: both must be allowed, and the copy is stamped
      // (and its metadata edited) as the create handler says, like any new thread of the caller.
      const { item: source } = await guardThread(c, "read", params.thread_id);
      const decision = await decide(c, "threads:create", { metadata: { ...source.metadata } });
      const copy = await deps.threads.copy(params.thread_id);
      const metadata = { ...(decision.value.metadata ?? source.metadata), ...decision.stamp };
      return c.json(await deps.storage.threads.patch(copy.thread_id, { metadata }));
    },
  );
}
