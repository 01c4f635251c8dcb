import type { Context } from "hono";
import { authorizeOn, guard } from "./access.ts";
import type { AppEnv } from "./env.ts";

type ThreadAction = "read" | "update" | "delete" | "create_run";
const loadThread = (c: Context<AppEnv>, threadId: string) => () => c.var.deps.storage.threads.get(threadId);

/** The thread a request acts on, loaded and checked against the caller's access (404 when not theirs). */
export function guardThread(c: Context<AppEnv>, action: ThreadAction, threadId: string, value = {}) {
  return guard(c, "threads", action, threadId, loadThread(c, threadId), value);
}

/** The same check where the route's own call answers 404 for a missing thread (see authorizeOn). */
export function authorizeThread(c: Context<AppEnv>, action: ThreadAction, threadId: string, value = {}) {
  return authorizeOn(c, "threads", action, threadId, loadThread(c, threadId), value);
}
