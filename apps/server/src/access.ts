import type { Access } from "@fractal/infra/auth/access";
import { canSee } from "@fractal/infra/auth/access";
import type { AuthEvent, AuthResource, Decision } from "@fractal/infra/auth/policy";
import type { AuthUser } from "@fractal/infra/auth/user";
import { AppError, notFound } from "@fractal/infra/errors";
import type { Context } from "hono";
import type { AppEnv } from "./env.ts";

type Obj = Record<string, unknown>;

/** The auth decision for this request (no restriction when auth is off). */
export function decide<V>(c: Context<AppEnv>, event: AuthEvent, value: V): Promise<Decision<V>> {
  const user = c.var.user;
  if (!user) return Promise.resolve({ value, access: undefined, stamp: {} });
  return c.var.deps.auth.authorizer.authorize(user, event, value);
}

/** Only the restriction, for searches and counts. */
export async function accessFor(c: Context<AppEnv>, event: AuthEvent, value: Obj = {}): Promise<Access> {
  return (await decide(c, event, value)).access;
}

const NAMES: Record<Exclude<AuthResource, "store">, string> = {
  threads: "thread",
  assistants: "assistant",
  crons: "cron",
};

type Guarded = Exclude<AuthResource, "store">;
type GuardedAction = "read" | "update" | "delete" | "create_run";

function decideOn(c: Context<AppEnv>, resource: Guarded, action: GuardedAction, id: string, value: Obj) {
  return decide(c, `${resource}:${action}` as AuthEvent, { ...value, [`${NAMES[resource]}_id`]: id });
}

/** One the caller may not see is a 404, exactly like a missing id; one it sees but may not change is a 403. */
async function assertVisible(
  c: Context<AppEnv>,
  resource: Guarded,
  action: GuardedAction,
  id: string,
  metadata: Obj,
  decision: Decision<Obj>,
): Promise<void> {
  if (canSee(metadata, decision.access)) return;
  if (action !== "read" && canSee(metadata, await accessFor(c, `${resource}:read` as AuthEvent, { id }))) {
    throw new AppError("forbidden", `not allowed to ${action} ${NAMES[resource]} '${id}'`);
  }
  throw notFound(NAMES[resource], id);
}

/** Loads the resource a request acts on and applies the caller's decision to it. */
export async function guard<T extends { metadata: Obj }>(
  c: Context<AppEnv>,
  resource: Guarded,
  action: GuardedAction,
  id: string,
  load: () => Promise<T>,
  value: Obj = {},
): Promise<{ item: T; decision: Decision<Obj> }> {
  const decision = await decideOn(c, resource, action, id, value);
  const item = await load();
  await assertVisible(c, resource, action, id, item.metadata, decision);
  return { item, decision };
}

/**
 * The same check for routes whose own storage call answers 404 for a missing id: the resource is
 * loaded only when the decision restricts access (never when auth is off).
 */
export async function authorizeOn(
  c: Context<AppEnv>,
  resource: Guarded,
  action: GuardedAction,
  id: string,
  load: () => Promise<{ metadata: Obj }>,
  value: Obj = {},
): Promise<Decision<Obj>> {
  const decision = await decideOn(c, resource, action, id, value);
  if (decision.access !== undefined) await assertVisible(c, resource, action, id, (await load()).metadata, decision);
  return decision;
}

/**
 * The caller as graphs see it in `config.configurable` (LangGraph's keys). Set by the server, so a
 * body cannot forge them; the raw token is never included.
 */
export function authConfigurable(user: AuthUser | undefined): Obj {
  if (!user) return {};
  return {
    langgraph_auth_user: user,
    langgraph_auth_user_id: user.identity,
    langgraph_auth_permissions: user.permissions,
  };
}

/**
 * A metadata patch without the keys the caller's access rests on (`owner`, `created_by` under the
 * default policy), so an update cannot move a resource out of or into someone's reach.
 */
export function withoutAccessKeys(metadata: Obj | undefined, access: Access): Obj | undefined {
  if (!metadata || !access) return metadata;
  const guarded = new Set(access.flatMap((pattern) => Object.keys(pattern)));
  return Object.fromEntries(Object.entries(metadata).filter(([key]) => !guarded.has(key)));
}

/** An explicit id a caller wants to create must not be someone else's (or do_nothing would return it). */
export async function assertIdFree<T extends { metadata: Obj }>(
  c: Context<AppEnv>,
  resource: "threads" | "assistants",
  id: string | undefined,
  find: (id: string) => Promise<T | undefined>,
): Promise<void> {
  if (!id || !c.var.user) return;
  const existing = await find(id);
  if (existing && !canSee(existing.metadata, await accessFor(c, `${resource}:read`, { id }))) {
    throw new AppError("conflict", `${NAMES[resource]} id '${id}' is taken`);
  }
}
