import type { Access } from "./access.ts";
import type { AuthUser } from "./user.ts";

export type AuthResource = "threads" | "assistants" | "crons" | "store";

/** The events of the LangGraph auth API: `resource:action`. */
export type AuthEvent =
  | `${"threads" | "assistants" | "crons"}:${"create" | "read" | "update" | "delete" | "search"}`
  | "threads:create_run"
  | `store:${"put" | "get" | "search" | "list_namespaces" | "delete"}`;

/** What the server does with a request after authorization. */
export interface Decision<V> {
  /** The request value, possibly rewritten by a handler (a store namespace, created metadata). */
  value: V;
  /** Restricts reads, updates, deletes and searches; undefined: no restriction. */
  access: Access;
  /** Metadata stamped on what this request creates. */
  stamp: Record<string, unknown>;
}

/** Decides each request: may refuse (throws 403), restrict what it sees, stamp what it creates. */
export interface Authorizer {
  authorize<V>(user: AuthUser, event: AuthEvent, value: V): Promise<Decision<V>>;
}

/** Everyone may do everything (auth off, or auth with no authorization rules). */
export const allowAll: Authorizer = {
  authorize: async (_user, _event, value) => ({ value, access: undefined, stamp: {} }),
};
