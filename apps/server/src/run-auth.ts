import type { CreateRunRequest } from "@fractal/runtime/runs/run-service";
import type { Context } from "hono";
import { accessFor, authConfigurable, decide } from "./access.ts";
import type { AppEnv } from "./env.ts";
import { authorizeThread } from "./thread-auth.ts";

/**
 * Applies auth to a run about to be created: `threads:create_run` decides, on the thread (which must
 * pass its filter, or not exist yet when `if_not_exists: create`); its metadata edits and stamp go on
 * the run and a new thread, and the caller reaches the graph as `langgraph_auth_user*`. As on the
 * Platform, custom handlers' `assistants` filters do not apply to the assistant a run uses (a system
 * assistant or a graph id must stay usable); only the default owner policy keeps other users'
 * assistants out of runs, since their config may hold their settings.
 */
export async function authorizeRun(
  c: Context<AppEnv>,
  threadId: string | undefined,
  request: CreateRunRequest,
): Promise<CreateRunRequest> {
  const user = c.var.user;
  if (!user) return request;
  const value = {
    thread_id: threadId,
    assistant_id: request.assistant_id,
    metadata: request.metadata ?? {},
    multitask_strategy: request.multitask_strategy,
    if_not_exists: request.if_not_exists,
    kwargs: request.kwargs,
  };
  const decision = threadId
    ? await authorizeThread(c, "create_run", threadId, value).catch(async (error) => {
        const missing = await c.var.deps.storage.threads.get(threadId).then(
          () => false,
          () => true,
        );
        if (request.if_not_exists === "create" && missing) return decide(c, "threads:create_run", value);
        throw error;
      })
    : await decide(c, "threads:create_run", value);
  const config = request.kwargs.config ?? {};
  const metadata = (decision.value as { metadata?: Record<string, unknown> }).metadata ?? request.metadata;
  return {
    ...request,
    metadata: { ...metadata, ...decision.stamp },
    thread_metadata: { ...request.thread_metadata, ...decision.stamp },
    // The run service checks it on the assistant it resolves anyway.
    assistant_access:
      c.var.deps.auth.policy === "owner"
        ? await accessFor(c, "assistants:read", { assistant_id: request.assistant_id })
        : undefined,
    kwargs: {
      ...request.kwargs,
      config: { ...config, configurable: { ...config.configurable, ...authConfigurable(user) } },
    },
  };
}
