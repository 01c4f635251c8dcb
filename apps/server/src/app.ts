import { createAuthMiddleware } from "@fractal/infra/hono/auth";
import { createErrorHandler, notFoundHandler, renderError } from "@fractal/infra/hono/error-handler";
import { createOpenApiRegistry } from "@fractal/infra/hono/openapi";
import { createPreferMinimal } from "@fractal/infra/hono/prefer";
import { createRequestContext } from "@fractal/infra/hono/request-context";
import { createSharedJsonBody } from "@fractal/infra/hono/validation";
import type { UserApp } from "@fractal/runtime/langgraph-config";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { Deps } from "./deps.ts";
import type { AppEnv } from "./env.ts";
import { registerAssistantRoutes } from "./routes/assistants.ts";
import { registerCronRoutes } from "./routes/crons.ts";
import { registerHealthRoutes } from "./routes/health.ts";
import { registerInternalRoutes, registerInternalStatsRoute } from "./routes/internal.ts";
import { registerRunOpsRoutes } from "./routes/run-ops.ts";
import { registerRunRoutes } from "./routes/runs.ts";
import { registerStoreRoutes } from "./routes/store.ts";
import { registerSystemRoutes } from "./routes/system.ts";
import { registerThreadStateRoutes } from "./routes/thread-state.ts";
import { registerThreadRoutes } from "./routes/threads.ts";
import { registerUiRoutes } from "./routes/ui.ts";

/**
 * Mounts langgraph.json `http.app` before the built-in routes, behind auth: its routes answer first
 * and its middleware runs for every later route. A Hono app's routes are merged in; any other app
 * with a fetch handler is asked first, and its 404 falls through to the built-ins.
 */
function mountUserApp(app: Hono<AppEnv>, user: UserApp): void {
  if ("routes" in user && typeof (user as { route?: unknown }).route === "function") {
    app.route("/", user as unknown as Hono);
    return;
  }
  app.use(async (c, next) => {
    const response = await user.fetch(c.req.raw.clone() as Request);
    if (response.status !== 404) return response;
    await next();
  });
}

/** Request ids, per-request logs, and the HTTP metrics (by route template). */
function requestContext(deps: Deps) {
  const { httpRequests, httpDuration } = deps.metrics;
  return createRequestContext<AppEnv>({
    logger: deps.logger,
    quietPaths: ["/ok"],
    onAnswered: ({ route, method, status, seconds }) => {
      httpRequests.inc({ route, method, status });
      httpDuration.observe({ route, method }, seconds);
    },
  });
}

/** Builds the HTTP app from ready dependencies. Does no I/O, so tests call `app.request()` directly. */
export function createApp(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const api = createOpenApiRegistry();

  app.use(async (c, next) => {
    c.set("deps", deps);
    await next();
  });
  app.use(requestContext(deps));
  // Browser clients (Agent Chat UI, Studio-style consoles) call from other origins.
  app.use(
    cors({
      origin: (origin) => origin || "*",
      // A browser on another origin reads these to reconnect a dropped stream and to page.
      exposeHeaders: [
        "Location",
        "Content-Location",
        "X-Pagination-Next",
        "X-Pagination-Total",
        "X-Request-Id",
        "X-Error-Code",
      ],
    }),
  );
  app.use(
    bodyLimit({
      maxSize: deps.config.maxBodyBytes,
      onError: (c) =>
        renderError(c, "payload_too_large", `request body exceeds the limit of ${deps.config.maxBodyBytes} bytes`),
    }),
  );

  app.use(createPreferMinimal());

  if (deps.auth.authenticate) {
    app.use(
      createAuthMiddleware<AppEnv>({
        authenticate: deps.auth.authenticate,
        publicPaths: deps.config.auth.publicPaths,
        onFailure: (reason) => deps.metrics.authFailed(reason),
      }),
    );
  }

  if (deps.http.app) {
    app.use(createSharedJsonBody());
    mountUserApp(app, deps.http.app);
  }

  registerHealthRoutes(app, api);
  registerSystemRoutes(app, api);
  registerAssistantRoutes(app, api);
  registerThreadRoutes(app, api);
  registerThreadStateRoutes(app, api);
  registerRunRoutes(app, api);
  registerRunOpsRoutes(app, api);
  registerStoreRoutes(app, api);
  registerCronRoutes(app, api);
  registerUiRoutes(app, api);
  if (deps.config.testRoutes) {
    registerInternalRoutes(app, api);
    registerInternalStatsRoute(app);
  }

  app.onError(createErrorHandler<AppEnv>());
  app.notFound(notFoundHandler);
  return app;
}

/** A worker process's HTTP surface: only `/ok` and `/metrics` (probes and scraping). */
export function createWorkerApp(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    c.set("deps", deps);
    await next();
  });
  app.use(requestContext(deps));
  registerHealthRoutes(app, createOpenApiRegistry());
  app.onError(createErrorHandler<AppEnv>());
  app.notFound(notFoundHandler);
  return app;
}
