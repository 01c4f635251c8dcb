import { AppError } from "../errors.ts";
import type { AuthEvent, Authorizer, Decision } from "./policy.ts";
import type { AuthUser } from "./user.ts";

export interface OwnerPolicyOptions {
  /** Permission that may change system assistants. */
  adminPermission?: string;
}

/**
 * The default policy when auth is on: what a user creates is stamped `metadata.owner = identity` and
 * only its owner sees it. Assistants created by the system are visible to all and changed only by
 * admins. Store namespaces must start with the caller's identity; a search without a prefix is
 * narrowed to it.
 */
export function createOwnerPolicy(options: OwnerPolicyOptions = {}): Authorizer {
  const admin = options.adminPermission ?? "admin";
  return {
    async authorize<V>(user: AuthUser, event: AuthEvent, value: V): Promise<Decision<V>> {
      const [resource, action] = event.split(":") as [string, string];
      const mine = { owner: user.identity };
      if (resource === "store") return { value: storeValue(user, action, value), access: undefined, stamp: {} };
      if (action === "create") return { value, access: undefined, stamp: mine };
      if (action === "create_run") return { value, access: [mine], stamp: mine };
      if (resource === "assistants") {
        const system = { created_by: "system" };
        const writes = action === "update" || action === "delete";
        const access = writes && !user.permissions.includes(admin) ? [mine] : [mine, system];
        return { value, access, stamp: {} };
      }
      return { value, access: [mine], stamp: {} };
    },
  };
}

function storeValue<V>(user: AuthUser, action: string, value: V): V {
  const body = value as { namespace?: string[] | null };
  const namespace = body.namespace ?? [];
  if ((action === "search" || action === "list_namespaces") && namespace.length === 0) {
    return { ...value, namespace: [user.identity] };
  }
  if (namespace[0] !== user.identity) {
    throw new AppError(
      "forbidden",
      `store namespaces of this user start with '${user.identity}'; got [${namespace.map((l) => JSON.stringify(l)).join(", ")}]`,
    );
  }
  return value;
}
