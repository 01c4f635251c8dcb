import { registerSdkClientGlobals } from "@fractal/infra/langgraph-globals";
import { createApp, createWorkerApp } from "./app.ts";
import type { Config } from "./config.ts";
import { createDeps, type Deps } from "./deps.ts";
import { startTracing } from "./tracing.ts";

export class PortInUseError extends Error {
  override name = "PortInUseError";
}

export interface RunningServer {
  url: string;
  deps: Deps;
  stop(): Promise<void>;
}

/**
 * Builds the dependencies and serves until `stop()`: the API (role `all` or `api`), or a worker's
 * `/ok` and `/metrics` (role `worker`). Every process runs the maintenance jobs and the cron
 * scheduler (each safe on any number of processes); API processes also send webhooks, since a
 * relative webhook URL names the API.
 */
export async function startServer(config: Config): Promise<RunningServer> {
  const tracing = startTracing(config);
  const deps = await createDeps(config).catch(async (error) => {
    await tracing?.shutdown();
    throw error;
  });
  const app = config.role === "worker" ? createWorkerApp(deps) : createApp(deps);
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({ port: config.port, hostname: config.host, fetch: app.fetch, idleTimeout: 0 });
  } catch (error) {
    await deps.close();
    await tracing?.shutdown();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE" || /EADDRINUSE|in use/i.test(String(error))) {
      throw new PortInUseError(
        `port ${config.port} on ${config.host} is already in use; choose another with --port N (or PORT=N)`,
      );
    }
    throw error;
  }
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`;
  if (config.role !== "worker") {
    // Graphs that call `new Client()` reach this server without a network hop.
    registerSdkClientGlobals(url, async (input, init) =>
      app.fetch(input instanceof Request ? new Request(input, init) : new Request(String(input), init)),
    );
    deps.deliverer.start();
  }
  if (config.jobsPerWorker > 0) deps.worker.start();
  deps.maintenance.start();
  deps.scheduler.start();
  deps.logger.info(config.role === "worker" ? "worker started" : "server listening", {
    url,
    role: config.role,
    storage: deps.storage.database.kind,
    redis: config.redisUrl !== undefined,
    graphs: deps.graphs.ids(),
    tracing: config.tracing ? config.tracing.tracesUrl : "off",
  });
  return {
    url,
    deps,
    async stop() {
      // No new connections; open ones (streams of runs draining) stay up until deps have closed.
      void server.stop(false);
      try {
        await deps.close();
      } finally {
        await tracing?.shutdown();
        await server.stop(true);
      }
    },
  };
}

/** How long after the drain time a shutdown may take to hand runs back and close the database. */
export const SHUTDOWN_GRACE_MS = 2_000;

/**
 * Stops the server on SIGINT/SIGTERM and exits. Runs in flight get the drain time
 * (FRACTAL_SHUTDOWN_DRAIN_MS); whatever is still not done SHUTDOWN_GRACE_MS after that (a database
 * that does not answer) does not hold the process: it exits with code 1 and says so.
 */
export function exitOnSignals(server: RunningServer, exit: (code: number) => never = process.exit): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const { logger, config } = server.deps;
    const deadlineMs = config.shutdownDrainMs + SHUTDOWN_GRACE_MS;
    logger.info("shutting down", { signal, deadline_ms: deadlineMs });
    const deadline = setTimeout(() => {
      logger.error("shutdown did not finish in time; exiting without it", { deadline_ms: deadlineMs });
      exit(1);
    }, deadlineMs);
    try {
      await server.stop();
    } catch (error) {
      logger.error("shutdown failed", { error });
      exit(1);
    }
    clearTimeout(deadline);
    exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}
