import { createHash, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { AppError } from "../errors.ts";
import type { AuthEvent, Authorizer } from "./policy.ts";
import type { AuthUser } from "./user.ts";

/**
 * One operator-issued API key (`x-api-key`, which the SDK's `apiKey` option sends): the SHA-256 of
 * the key (`key_sha256`, hex; what should be stored) or the key itself (`key`, hashed at load),
 * the identity it stands for, and what it may do. `permissions` are auth events
 * (`threads:read`, `threads:*`, `*:read`, `*`); without them the key may do anything its identity
 * may. `admin` also lets it change system assistants.
 */
export const apiKeyEntry = z
  .object({
    identity: z.string().min(1).max(256),
    key: z.string().min(16).max(4096).optional(),
    key_sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/i, "64 hex characters")
      .optional(),
    permissions: z.array(z.string().min(1).max(128)).max(100).optional(),
    display_name: z.string().max(256).optional(),
  })
  .refine((e) => (e.key === undefined) !== (e.key_sha256 === undefined), "give exactly one of key or key_sha256");
export type ApiKeyEntry = z.infer<typeof apiKeyEntry>;

const sha256 = (text: string) => createHash("sha256").update(text).digest();

/** The caller of an `x-api-key`, or undefined when the request carries none. A wrong key is a 401. */
export type ApiKeyAuthenticate = (request: Request) => AuthUser | undefined;

export function createApiKeyAuthenticator(entries: ApiKeyEntry[]): ApiKeyAuthenticate {
  const keys = entries.map((entry) => ({
    entry,
    hash: entry.key_sha256 ? Buffer.from(entry.key_sha256, "hex") : sha256(entry.key as string),
  }));
  return (request) => {
    const presented = request.headers.get("x-api-key");
    if (presented === null) return undefined;
    const hash = sha256(presented);
    // Every key is compared, in constant time, so the answer's timing says nothing about which matched.
    let match: ApiKeyEntry | undefined;
    for (const key of keys) if (timingSafeEqual(key.hash, hash) && !match) match = key.entry;
    if (!match) throw new AppError("unauthorized", "invalid api key");
    return {
      identity: match.identity,
      display_name: match.display_name ?? match.identity,
      permissions: match.permissions ?? [],
      is_authenticated: true,
      // Only keys that list permissions are limited to them (see withKeyPermissions).
      scoped: match.permissions !== undefined,
    };
  };
}

function allows(permissions: string[], event: AuthEvent): boolean {
  const [resource, action] = event.split(":");
  return permissions.some(
    (p) => p === "*" || p === event || p === `${resource}:*` || p === `*:${action}` || p === "admin",
  );
}

/** Limits callers authenticated by a key with `permissions` to those events (403 otherwise). */
export function withKeyPermissions(inner: Authorizer): Authorizer {
  return {
    authorize(user, event, value) {
      if (user.scoped === true && !allows(user.permissions, event)) {
        return Promise.reject(new AppError("forbidden", `this api key may not ${event}`));
      }
      return inner.authorize(user, event, value);
    },
  };
}
