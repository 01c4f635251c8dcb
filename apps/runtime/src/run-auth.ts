import type { CreateRunRequest } from "@fractal/graphs/runs/run-service";
import { canSee } from "@fractal/infra/auth/access";
import { AppError } from "@fractal/infra/errors";
import type { Context } from "hono";
import { accessFor, authConfigurable, decide } from "./access.ts";
import type { AppEnv } from "./env.ts";
import { guardThread } from "./routes/threads.ts";

/**
 * Applies auth to a run about to be created: the thread must be the caller's (or not exist yet when
 * `if_not_exists: create`), the assistant visible to them; the run and a new thread are stamped,
 * and the caller reaches the graph as `langgraph_auth_user*` in `config.configurable`.
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
    ? await guardThread(c, "create_run", threadId, value).then(
        (guarded) => guarded.decision,
        async (error) => {
          const missing = await c.var.deps.storage.threads.get(threadId).then(
            () => false,
            () => true,
          );
          if (request.if_not_exists === "create" && missing) return decide(c, "threads:create_run", value);
          throw error;
        },
      )
    : await decide(c, "threads:create_run", value);
  const assistant = await c.var.deps.runs.assistantFor(request.assistant_id);
  const assistantAccess = await accessFor(c, "assistants:read", { assistant_id: assistant.assistant_id });
  if (!canSee(assistant.metadata, assistantAccess)) {
    throw new AppError("not_found", `assistant '${request.assistant_id}' not found`);
  }
  const config = request.kwargs.config ?? {};
  const metadata = (decision.value as { metadata?: Record<string, unknown> }).metadata ?? request.metadata;
  return {
    ...request,
    metadata: { ...metadata, ...decision.stamp },
    thread_metadata: { ...request.thread_metadata, ...decision.stamp },
    kwargs: {
      ...request.kwargs,
      config: { ...config, configurable: { ...config.configurable, ...authConfigurable(user) } },
    },
  };
}
