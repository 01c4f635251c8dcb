import type { AuthVariables } from "@fractal/infra/hono/auth";
import type { RequestVariables } from "@fractal/infra/hono/request-context";
import type { Deps } from "./deps.ts";

/** The Hono Env of this app, declared once. */
export interface AppEnv {
  Variables: RequestVariables & AuthVariables & { deps: Deps };
}
