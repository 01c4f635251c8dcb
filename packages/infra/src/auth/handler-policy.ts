import { AppError } from "../errors.ts";
import { fromHandlerFilters } from "./access.ts";
import type { AuthEvent, Authorizer, Decision } from "./policy.ts";
import { type AuthUser, fromHandlerError } from "./user.ts";

/** An `on` handler of the LangGraph auth API. */
export type OnHandler = (request: {
  event: string;
  resource: string;
  action: string;
  value: unknown;
  user: AuthUser;
  permissions: string[];
}) => unknown;

/**
 * Authorization by user handlers keyed like the LangGraph `Auth.on` API: the most specific of
 * `resource:action`, `resource`, `*:action`, `*` answers. `false` refuses (403); an object of
 * filters restricts what the request sees and stamps what it creates; nothing, or `true`, allows.
 * An event without any handler is allowed. Handlers may change `value` (metadata, namespace).
 */
export function createHandlerPolicy(handlers: Record<string, OnHandler>): Authorizer {
  return {
    async authorize<V>(user: AuthUser, event: AuthEvent, value: V): Promise<Decision<V>> {
      const [resource, action] = event.split(":") as [string, string];
      const handler = handlers[event] ?? handlers[resource] ?? handlers[`*:${action}`] ?? handlers["*"];
      if (!handler) return { value, access: undefined, stamp: {} };
      const copy = structuredClone(value);
      let result: unknown;
      try {
        result = await handler({ event, resource, action, value: copy, user, permissions: user.permissions });
      } catch (error) {
        throw fromHandlerError(error, "forbidden");
      }
      if (result === false) throw new AppError("forbidden", `not allowed: ${event}`);
      if (result === undefined || result === null || result === true)
        return { value: copy, access: undefined, stamp: {} };
      if (typeof result !== "object" || Array.isArray(result)) {
        throw new AppError("internal_error", `auth handler for ${event} returned neither a boolean nor filters`);
      }
      const { pattern, stamp } = fromHandlerFilters(result as Record<string, unknown>);
      return { value: copy, access: [pattern], stamp };
    },
  };
}
