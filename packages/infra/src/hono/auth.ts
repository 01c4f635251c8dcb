import type { Env } from "hono";
import { createMiddleware } from "hono/factory";
import type { Authenticate } from "../auth/authenticator.ts";
import type { AuthUser } from "../auth/user.ts";
import { AppError } from "../errors.ts";
import type { RequestVariables } from "./request-context.ts";

export interface AuthVariables {
  /** The authenticated caller; absent when auth is off or the path is public. */
  user?: AuthUser;
}

export interface AuthMiddlewareOptions {
  authenticate: Authenticate;
  /** Paths served without authentication (exact, or a prefix ending in `*`). */
  publicPaths: string[];
  /** Called once per refused request with the reason (for metrics); never with the token. */
  onFailure?: (reason: string) => void;
}

/** Authenticates every request but public paths and CORS preflights; a failure is a 401 JSON error. */
export function createAuthMiddleware<E extends Env & { Variables: RequestVariables & AuthVariables }>(
  options: AuthMiddlewareOptions,
) {
  const exact = new Set(options.publicPaths.filter((p) => !p.endsWith("*")));
  const prefixes = options.publicPaths.filter((p) => p.endsWith("*")).map((p) => p.slice(0, -1));
  const isPublic = (path: string) => exact.has(path) || prefixes.some((p) => path.startsWith(p));
  return createMiddleware<E>(async (c, next) => {
    if (c.req.method === "OPTIONS" || isPublic(c.req.path)) return next();
    let user: AuthUser;
    try {
      user = await options.authenticate(c.req.raw);
    } catch (error) {
      const refused =
        error instanceof AppError ? error : new AppError("unauthorized", "authentication failed", { cause: error });
      if (refused.status >= 500) throw refused;
      options.onFailure?.(refused.message);
      c.var.logger.info("authentication refused", { reason: refused.message, status: refused.status });
      throw refused;
    }
    c.set("user", user);
    c.var.logger.debug("authenticated", { identity: user.identity });
    return next();
  });
}
