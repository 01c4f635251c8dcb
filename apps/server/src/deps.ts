import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { catalog } from "@fractal/graphs/catalog";
import { withKeyPermissions } from "@fractal/infra/auth/api-keys";
import { type Authenticate, createAuthenticator } from "@fractal/infra/auth/authenticator";
import { createHandlerPolicy } from "@fractal/infra/auth/handler-policy";
import { createOwnerPolicy } from "@fractal/infra/auth/owner-policy";
import { type Authorizer, allowAll } from "@fractal/infra/auth/policy";
import type { GraphSource } from "@fractal/infra/graph-context";
import { localApiFetch, registerSdkLogger } from "@fractal/infra/langgraph-globals";
import { createLogger, type Logger } from "@fractal/infra/logger";
import { createMetrics, type Metrics } from "@fractal/infra/metrics/metrics";
import { createPgListener } from "@fractal/infra/pg-signals/listener";
import { CONTROL_CHANNEL, createPgRunControl } from "@fractal/infra/pg-signals/run-control";
import { createPgRunEventLog, RUN_EVENTS_CHANNEL } from "@fractal/infra/pg-signals/run-events";
import { connectRedis, type RedisConnections } from "@fractal/infra/redis/connection";
import { createRedisRunControl } from "@fractal/infra/redis/run-control";
import { createRedisRunEventLog } from "@fractal/infra/redis/run-events";
import { createSubscriptions } from "@fractal/infra/redis/subscriptions";
import { createLocalRunControl, type RunControl } from "@fractal/infra/run-control";
import { createRunEventLog, type RunEventLog } from "@fractal/infra/run-events";
import { type Database, openDatabase } from "@fractal/infra/storage/database";
import { createStorage, type Storage } from "@fractal/infra/storage/storage";
import type { StoreIndex } from "@fractal/infra/storage/store-vectors";
import { createDeliverer, type Deliverer } from "@fractal/infra/webhooks/deliverer";
import { type AssistantService, createAssistantService } from "@fractal/runtime/assistant-service";
import { type CronService, createCronService } from "@fractal/runtime/crons/cron-service";
import { type CronScheduler, createCronScheduler } from "@fractal/runtime/crons/scheduler";
import { ensureDefaultAssistants } from "@fractal/runtime/default-assistants";
import {
  type CustomAuth,
  configEnv,
  configGraphExports,
  configUi,
  type HttpSettings,
  loadAuth,
  loadConfigGraphs,
  loadHttp,
  loadStoreIndex,
  readLangGraphConfig,
} from "@fractal/runtime/langgraph-config";
import { createMaintenance, type Maintenance } from "@fractal/runtime/maintenance";
import { createGraphRegistry, type GraphRegistry } from "@fractal/runtime/registry";
import { createRunService, type RunService } from "@fractal/runtime/runs/run-service";
import { createWorker, type Worker } from "@fractal/runtime/runs/worker";
import { createThreadService, type ThreadService } from "@fractal/runtime/thread-service";
import { applyGraphEnv, type Config, readGraphDefaults, readProviderSettings } from "./config.ts";
import type { TypedGraph } from "./type-schemas/extract.ts";
import { createTypeSchemaService, type TypeSchemaService } from "./type-schemas/service.ts";
import { createUiRegistry, type UiRegistry } from "./ui/registry.ts";
import { VERSION } from "./version.ts";

/** Everything a request handler may use, built once per process. */
export interface Deps {
  config: Config;
  logger: Logger;
  /** This process's Prometheus metrics (`/metrics`). */
  metrics: Metrics;
  storage: Storage;
  graphs: GraphRegistry;
  assistants: AssistantService;
  crons: CronService;
  threads: ThreadService;
  runs: RunService;
  events: RunEventLog;
  control: RunControl;
  /** With REDIS_URL: the connections run events and signals go through (`/ok` reports their health). */
  redis?: RedisConnections;
  /** The in-process worker; started by the server, not by createApp. */
  worker: Worker;
  /** Lease, store-TTL and thread-TTL sweeps; every process runs them, worker or not. */
  maintenance: Maintenance;
  /** Sends webhook deliveries in the background; started by the server. */
  deliverer: Deliverer;
  /** Fires cron ticks; started by the server. */
  scheduler: CronScheduler;
  /** Authentication (when on) and the authorization policy every route applies. */
  auth: AuthSetup;
  /** langgraph.json `http`: the user's app and the headers runs receive. */
  http: HttpSettings;
  /** Schemas from the TypeScript types of langgraph.json graphs (extracted in the background). */
  typeSchemas: TypeSchemaService;
  /** langgraph.json `ui` bundles. */
  ui: UiRegistry;
  /** Re-creates missing default assistants (after a test truncate). */
  ensureDefaults(graphIds: string[]): Promise<void>;
  version: string;
  /** Aborts once the drain time is over at shutdown: open streams then end with a final event. */
  closing: AbortSignal;
  close(): Promise<void>;
}

export interface AuthSetup {
  /** Undefined when auth is off: every request is served, nothing is restricted. */
  authenticate?: Authenticate;
  authorizer: Authorizer;
  /** Which policy decides (`owner` by default, `handlers` from auth.path). */
  policy: "none" | "owner" | "handlers";
}

/** Auth from config and langgraph.json: custom handlers when given, else JWT; the owner policy by default. */
export function createAuthSetup(config: Config, custom: CustomAuth | undefined): AuthSetup {
  const enabled = custom !== undefined || config.auth.mode !== "none";
  if (!enabled) return { authorizer: allowAll, policy: "none" };
  if (custom && !custom.authenticate && !config.auth.jwt && config.auth.apiKeys.length === 0) {
    throw new Error(
      "langgraph.json auth.path has no authenticate handler; set one, FRACTAL_AUTH=jwt or FRACTAL_API_KEYS",
    );
  }
  const authenticate = createAuthenticator({
    jwt: config.auth.jwt,
    custom: custom?.authenticate,
    apiKeys: config.auth.apiKeys,
  });
  const useHandlers = custom !== undefined && Object.keys(custom.handlers).length > 0;
  const policy = useHandlers ? createHandlerPolicy(custom.handlers) : createOwnerPolicy();
  return {
    authenticate,
    authorizer: config.auth.apiKeys.length > 0 ? withKeyPermissions(policy) : policy,
    policy: useHandlers ? "handlers" : "owner",
  };
}

/**
 * Where run events and signals go (FRACTAL_EVENTS): this process's memory; PostgreSQL rows and
 * LISTEN/NOTIFY; or Redis streams and pub/sub. The last two let API and worker processes see each
 * other's runs.
 */
async function openSignals(config: Config, logger: Logger, database: Database) {
  if (config.events === "memory") {
    return {
      events: createRunEventLog({ retainMs: config.streamRetainMs }),
      control: createLocalRunControl(),
      redis: undefined,
      close: async () => {},
    };
  }
  if (config.events === "postgres") {
    // loadConfig refuses FRACTAL_EVENTS=postgres without DATABASE_URL.
    if (config.storage.kind !== "postgres") throw new Error("FRACTAL_EVENTS=postgres needs DATABASE_URL");
    const log = logger.child({ component: "pg-signals" });
    const listener = await createPgListener(config.storage.url, [RUN_EVENTS_CHANNEL, CONTROL_CHANNEL], (state) =>
      state === "lost"
        ? log.error("LISTEN connection lost; reconnecting (readers poll meanwhile)")
        : log.info("LISTEN connection back"),
    );
    const onError = (error: unknown) => log.warn("run event write failed", { error });
    const events = createPgRunEventLog({
      pool: database.pool,
      listener,
      retainMs: config.streamRetainMs,
      onError,
    });
    const control = createPgRunControl({ pool: database.pool, listener, onError });
    // Expired rows go in the background; every process may run it.
    const sweeper = setInterval(
      () => void events.sweep().catch((error) => log.warn("run event sweep failed", { error })),
      60_000,
    );
    sweeper.unref();
    return {
      events,
      control,
      redis: undefined,
      close: async () => {
        clearInterval(sweeper);
        control.close();
        await listener.close();
      },
    };
  }
  const log = logger.child({ component: "redis" });
  const redis = await connectRedis(config.redisUrl as string, {
    onState: (state) =>
      state === "lost"
        ? log.error("Redis connection lost; reconnecting (runs keep their state in the database)")
        : log.info("Redis connection back"),
  });
  const subscriptions = createSubscriptions(redis.subscriber);
  const onError = (error: unknown) => log.warn("Redis write failed", { error });
  const events = createRedisRunEventLog({
    redis: redis.commands,
    subscriptions,
    retainMs: config.streamRetainMs,
    keyPrefix: config.redisPrefix,
    onError,
  });
  const control = createRedisRunControl({
    redis: redis.commands,
    subscriptions,
    keyPrefix: config.redisPrefix,
    onError,
  });
  await control.ready;
  return {
    events,
    control,
    redis,
    close: async () => {
      control.close();
      await redis.close();
    },
  };
}

/** The one composition root: config → adapters. */
export async function createDeps(config: Config, logger = createLogger({ level: config.logLevel })): Promise<Deps> {
  registerSdkLogger(logger);
  const metrics = createMetrics();
  const sources: Record<string, GraphSource> = { ...catalog };
  let storeIndex: StoreIndex | undefined;
  let customAuth: CustomAuth | undefined;
  let http: HttpSettings = { configurableHeaders: { include: [], exclude: [] } };
  let uiEntries: Record<string, string> = {};
  let typedGraphs: TypedGraph[] = [];
  if (config.langgraphConfig) {
    const { config: graphConfig, baseDir } = readLangGraphConfig(config.langgraphConfig);
    applyGraphEnv(configEnv(graphConfig, baseDir));
    const userGraphs = await loadConfigGraphs(graphConfig, baseDir);
    for (const id of Object.keys(userGraphs)) {
      if (id in catalog) logger.warn("user graph replaces catalog graph", { graph_id: id });
    }
    Object.assign(sources, userGraphs);
    storeIndex = await loadStoreIndex(graphConfig, baseDir, readProviderSettings());
    customAuth = await loadAuth(graphConfig, baseDir);
    http = await loadHttp(graphConfig, baseDir);
    uiEntries = configUi(graphConfig, baseDir);
    typedGraphs = configGraphExports(graphConfig, baseDir);
    logger.info("loaded graphs", { config: config.langgraphConfig, graphs: Object.keys(userGraphs) });
  }
  // Read after the langgraph.json env block is applied, so its .env may carry the keys.
  const graphs = createGraphRegistry(sources, { providers: readProviderSettings() });
  const graphDefaults = readGraphDefaults();
  const auth = createAuthSetup(config, customAuth);
  if (auth.authenticate) logger.info("auth on", { policy: auth.policy, public_paths: config.auth.publicPaths });

  const started = performance.now();
  logger.info("opening database", {
    kind: config.storage.kind,
    ...(config.storage.kind === "pglite" ? { data_dir: config.storage.dataDir } : {}),
  });
  const onQuery = (operation: string, seconds: number) => metrics.dbQueryDuration.observe({ operation }, seconds);
  const database = await openDatabase(
    config.storage.kind === "pglite"
      ? {
          onQuery,
          kind: "pglite",
          dataDir: config.storage.dataDir,
          statementTimeoutMs: config.storage.statementTimeoutMs,
          onEvent: (event) => {
            if (event.kind === "stuck") {
              logger.error("embedded database did not answer; failing its statements and restarting it", {
                waited_ms: event.waitedMs,
              });
            } else if (event.kind === "restarted") logger.warn("embedded database restarted", { ms: event.ms });
            else if (event.kind === "crashed") {
              logger.error("embedded database thread ended unexpectedly; failing its statements and restarting it", {
                error: event.error,
              });
            } else if (event.kind === "recycled") {
              logger.info("embedded database thread replaced while idle (sheds PGlite's per-statement garbage)", {
                statements: event.statements,
                ms: event.ms,
              });
            } else
              logger.error("embedded database restart failed; retrying on the next request", { error: event.error });
          },
        }
      : {
          onQuery,
          kind: "postgres",
          url: config.storage.url,
          poolSize: config.storage.poolSize,
          statementTimeoutMs: config.storage.statementTimeoutMs,
          onIdleError: (error) => logger.warn("idle database connection failed; the pool replaces it", { error }),
        },
  );
  let signals: Awaited<ReturnType<typeof openSignals>> | undefined;
  const closing = new AbortController();
  try {
    const storage = await createStorage(database, {
      migrate: config.migrate,
      onMigration: (name) => logger.info("applied migration", { migration: name }),
      storeIndex,
      onWarning: (message) => logger.warn(message),
      onCheckpointOperation: (operation, seconds) => metrics.checkpointDuration.observe({ operation }, seconds),
    });
    await ensureDefaultAssistants(storage.assistants, graphs.ids(), graphDefaults);
    logger.info("database ready", { kind: database.kind, ms: Math.round(performance.now() - started) });
    signals = await openSignals(config, logger, database);
    const { events, control, redis } = signals;
    const typeSchemas = createTypeSchemaService({
      graphs: typedGraphs,
      cacheDir: join(tmpdir(), "fractal-type-schemas"),
      logger: logger.child({ component: "schemas" }),
    });
    const deliverer = createDeliverer({
      deliveries: storage.webhooks,
      policy: { allowedHosts: config.webhooks.allowedHosts },
      logger: logger.child({ component: "webhooks" }),
      // Relative webhook URLs reach this server through the app, in-process.
      localFetch: (request) => (localApiFetch() ?? fetch)(request),
      secret: config.webhooks.secret,
      maxAttempts: config.webhooks.maxAttempts,
      retryBaseMs: config.webhooks.retryBaseMs,
      metrics,
    });
    const worker = createWorker({
      storage,
      graphs,
      events,
      control,
      logger,
      concurrency: config.jobsPerWorker,
      leaseMs: config.runLeaseMs,
      pollMs: config.workerPollMs,
      unresumableRetainMs: config.streamGraceMs,
      runTimeoutMs: config.runTimeoutMs,
      onWebhookQueued: () => deliverer.kick(),
      metrics,
      countModelTokens: config.modelTokenMetrics,
    });
    const maintenance = createMaintenance({
      storage,
      control,
      events,
      logger,
      intervalMs: config.runSweepMs,
      maxAttempts: config.runMaxAttempts,
      metrics,
    });
    const runs = createRunService({
      storage,
      graphs,
      events,
      control,
      defaultStrategy: config.multitaskStrategy,
      dispatcher: worker,
      webhookPolicy: { allowedHosts: config.webhooks.allowedHosts },
      metrics,
    });
    const scheduler = createCronScheduler({
      storage,
      runs,
      logger: logger.child({ component: "crons" }),
      pollMs: config.cronPollMs,
      metrics,
    });
    metrics.setSources({
      runsByStatus: () => storage.runs.countActive(),
      workerSlots: () => ({ busy: worker.active(), total: config.jobsPerWorker }),
      eventStreams: () => events.stats(),
    });
    return {
      config,
      logger,
      metrics,
      storage,
      graphs,
      assistants: createAssistantService(storage, graphs),
      crons: createCronService(storage, graphs, runs),
      threads: createThreadService(storage, graphs, (threadId) => control.stateUpdated(threadId)),
      runs,
      events,
      control,
      redis,
      worker,
      maintenance,
      deliverer,
      scheduler,
      auth,
      http,
      ui: createUiRegistry(uiEntries, logger.child({ component: "ui" })),
      typeSchemas,
      ensureDefaults: (graphIds) => ensureDefaultAssistants(storage.assistants, graphIds, graphDefaults),
      version: VERSION,
      closing: closing.signal,
      close: async () => {
        await scheduler.stop();
        await maintenance.stop();
        await worker.stop(config.shutdownDrainMs);
        // Streams still open after the drain get their final event while the connections are up.
        closing.abort();
        await sleep(100);
        await deliverer.stop();
        typeSchemas.close();
        events.dispose();
        await signals?.close();
        await database.close();
      },
    };
  } catch (error) {
    await signals?.close();
    await database.close();
    throw error;
  }
}
