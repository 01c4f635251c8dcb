import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type ApiKeyEntry, apiKeyEntry } from "@fractal/infra/auth/api-keys";
import type { ProviderSettings } from "@fractal/infra/providers";
import type { GraphDefaults } from "@fractal/runtime/default-assistants";
import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

/** Environment variables the runtime reads. This file is the only reader of `process.env`. */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(2024),
  HOST: z.string().min(1).default("localhost"),
  FRACTAL_CONFIG: z.string().min(1).optional(),
  FRACTAL_DATA_DIR: z.string().min(1).default(".fractal"),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  POSTGRES_URI: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  REDIS_URI: z.url({ protocol: /^rediss?$/ }).optional(),
  /**
   * Where run events and run signals go: this process (`memory`), PostgreSQL rows + LISTEN/NOTIFY
   * (`postgres`, for several processes without Redis) or Redis. Default: redis with REDIS_URL, else
   * postgres for an API-only or worker process, else memory.
   */
  FRACTAL_EVENTS: z.enum(["memory", "postgres", "redis"]).optional(),
  /** Prefix of every Redis key and channel, so deployments can share one Redis. */
  FRACTAL_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, "letters, digits, _ . - (at most 64)")
    .default("fractal"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  FRACTAL_MIGRATE: bool.default(true),
  FRACTAL_TEST_ROUTES: bool.default(false),
  FRACTAL_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024),
  FRACTAL_DB_POOL_SIZE: z.coerce.number().int().positive().max(1000).default(10),
  FRACTAL_DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  N_JOBS_PER_WORKER: z.coerce.number().int().min(0).max(1000).default(10),
  FRACTAL_MULTITASK_STRATEGY: z.enum(["reject", "enqueue", "interrupt", "rollback"]).default("reject"),
  FRACTAL_STREAM_HEARTBEAT_MS: z.coerce.number().int().min(50).default(15_000),
  FRACTAL_STREAM_RETAIN_MS: z.coerce.number().int().min(0).default(60_000),
  FRACTAL_STREAM_GRACE_MS: z.coerce.number().int().min(0).default(5_000),
  FRACTAL_RUN_LEASE_MS: z.coerce.number().int().min(100).default(30_000),
  FRACTAL_RUN_SWEEP_MS: z.coerce.number().int().min(50).default(5_000),
  FRACTAL_WORKER_POLL_MS: z.coerce.number().int().min(50).max(600_000).default(500),
  FRACTAL_RUN_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(3),
  FRACTAL_SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).default(10_000),
  FRACTAL_RUN_TIMEOUT_SECONDS: z.coerce.number().min(0).default(3600),
  FRACTAL_THREAD_TTL_MINUTES: z.coerce.number().positive().optional(),
  FRACTAL_CRON_POLL_MS: z.coerce.number().int().min(50).default(1000),
  FRACTAL_INFO_METADATA: z
    .string()
    .default("{}")
    .transform((text, ctx) => {
      try {
        const value = JSON.parse(text);
        if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
      } catch {}
      ctx.addIssue({ code: "custom", message: "a JSON object" });
      return z.NEVER;
    }),
  FRACTAL_SCHEMA_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  FRACTAL_WEBHOOK_SECRET: z.string().optional(),
  FRACTAL_WEBHOOK_ALLOWED_HOSTS: z.string().optional(),
  FRACTAL_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  FRACTAL_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).default(1000),
  FRACTAL_AUTH: z.enum(["none", "jwt", "api_key"]).default("none"),
  FRACTAL_API_KEYS: z.string().optional(),
  FRACTAL_API_KEYS_FILE: z.string().min(1).optional(),
  FRACTAL_JWT_SECRET: z.string().min(1).optional(),
  FRACTAL_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  FRACTAL_JWT_ISSUER: z.string().min(1).optional(),
  FRACTAL_JWT_AUDIENCE: z.string().min(1).optional(),
  FRACTAL_JWT_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  FRACTAL_AUTH_PUBLIC_PATHS: z.string().default("/ok,/info,/openapi.json,/docs,/metrics"),
  FRACTAL_MODEL_TOKEN_METRICS: bool.default(true),
  // The standard OpenTelemetry variables (OTLP over HTTP, JSON).
  OTEL_SDK_DISABLED: bool.default(false),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_EXPORTER_OTLP_HEADERS: z.string().optional(),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: z.string().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default("fractal-agents-runtime"),
});

/** `k1=v1,k2=v2` (values URL-encoded), as OTEL_EXPORTER_OTLP_HEADERS spells headers. */
function otlpHeaders(...lists: Array<string | undefined>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const list of lists) {
    for (const pair of (list ?? "").split(",")) {
      const at = pair.indexOf("=");
      if (at <= 0) continue;
      headers[pair.slice(0, at).trim()] = decodeURIComponent(pair.slice(at + 1).trim());
    }
  }
  return headers;
}

export interface Config {
  port: number;
  host: string;
  /** Path to a langgraph.json, if any (explicit, or ./langgraph.json when present). */
  langgraphConfig?: string;
  storage:
    | { kind: "pglite"; dataDir: string; statementTimeoutMs: number }
    | { kind: "postgres"; url: string; poolSize: number; statementTimeoutMs: number };
  redisUrl?: string;
  /** FRACTAL_EVENTS: where run events and signals go between processes. */
  events: "memory" | "postgres" | "redis";
  /** FRACTAL_REDIS_PREFIX: what every Redis key and channel of this deployment starts with. */
  redisPrefix: string;
  /**
   * What this process does: `all` (API and worker, the default), `api` (`serve --no-worker`: claims
   * no runs) or `worker` (`fractal worker`: executes runs, serves only /ok and /metrics).
   */
  role: "all" | "api" | "worker";
  logLevel: "debug" | "info" | "warn" | "error";
  migrate: boolean;
  testRoutes: boolean;
  maxBodyBytes: number;
  /** Runs each in-process worker executes at once; 0 runs no worker in this process. */
  jobsPerWorker: number;
  multitaskStrategy: "reject" | "enqueue" | "interrupt" | "rollback";
  streamHeartbeatMs: number;
  /** How long a finished run's events stay available for joins and reconnects. */
  streamRetainMs: number;
  /** How long a run that did not ask for `stream_resumable` keeps its events after it ends. */
  streamGraceMs: number;
  runLeaseMs: number;
  runMaxAttempts: number;
  /** How often workers look for runs whose lease expired. */
  runSweepMs: number;
  /** How often a worker looks for runs when no signal woke it (FRACTAL_WORKER_POLL_MS). */
  workerPollMs: number;
  /** On SIGTERM, how long runs in flight may finish before they are handed back to the queue. */
  shutdownDrainMs: number;
  /** A run executing longer is aborted and ends `timeout`; 0 means no limit. */
  runTimeoutMs: number;
  /** TTL given to threads created without one (none: they never expire). */
  threadTtlMinutes?: number;
  /** How often due cron ticks are looked for. */
  cronPollMs: number;
  /** Shown in `/info` as `metadata`. */
  infoMetadata: Record<string, unknown>;
  /** How long a schemas request waits for TypeScript type extraction before it answers without. */
  schemaWaitMs: number;
  webhooks: { secret?: string; allowedHosts: string[]; maxAttempts: number; retryBaseMs: number };
  auth: {
    /**
     * `jwt` verifies bearer tokens, `api_key` only takes the operator's keys; a langgraph.json
     * `auth.path` turns auth on as well. Keys (`x-api-key`) are accepted in every mode that is on.
     */
    mode: "none" | "jwt" | "api_key";
    apiKeys: ApiKeyEntry[];
    jwt?: { secret?: string; jwksUrl?: string; issuer?: string; audience?: string; clockToleranceSeconds: number };
    /** Served without authentication (a trailing `*` matches a prefix). */
    publicPaths: string[];
  };
  /**
   * OpenTelemetry traces: exported over OTLP/HTTP (JSON) to `tracesUrl` when
   * OTEL_EXPORTER_OTLP_ENDPOINT (+ `/v1/traces`) or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set and
   * OTEL_SDK_DISABLED is not; otherwise off.
   */
  tracing?: { tracesUrl: string; headers: Record<string, string>; serviceName: string };
  /** FRACTAL_MODEL_TOKEN_METRICS: count model tokens with tracing off (a callback handler on every run). */
  modelTokenMetrics: boolean;
}

/** Command-line flags that override their environment equivalents. */
export interface ConfigFlags {
  port?: string;
  host?: string;
  config?: string;
  "data-dir"?: string;
  migrate?: boolean;
  /** `serve --no-worker` (false) or `fractal worker` (true); unset: serve with an in-process worker. */
  worker?: boolean;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

const FLAG_FOR: Record<string, string> = {
  PORT: "--port",
  HOST: "--host",
  FRACTAL_CONFIG: "--config",
  FRACTAL_DATA_DIR: "--data-dir",
};

/**
 * API keys from FRACTAL_API_KEYS (JSON) or FRACTAL_API_KEYS_FILE (a JSON file, so keys stay out of
 * the environment): a list of `{identity, key_sha256 | key, permissions?}`. A bad entry names its
 * place; the keys themselves are never echoed.
 */
function readApiKeys(inline: string | undefined, file: string | undefined, cwd: string): ApiKeyEntry[] {
  if (inline === undefined && file === undefined) return [];
  const name = inline !== undefined ? "FRACTAL_API_KEYS" : "FRACTAL_API_KEYS_FILE";
  let raw: unknown;
  try {
    raw = JSON.parse(inline ?? readFileSync(resolve(cwd, file as string), "utf8"));
  } catch (error) {
    throw new ConfigError(
      `invalid configuration:\n  ${name}: not readable JSON (${(error as Error).message.split(":")[0]})`,
    );
  }
  const parsed = z.array(apiKeyEntry).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`invalid configuration:\n  ${name}: [${issue?.path.join(".")}] ${issue?.message}`);
  }
  return parsed.data;
}

function tracingConfig(e: z.infer<typeof envSchema>): Config["tracing"] {
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT;
  const tracesUrl =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? `${base.replace(/\/+$/, "")}/v1/traces` : undefined);
  if (e.OTEL_SDK_DISABLED || !tracesUrl) return undefined;
  return {
    tracesUrl,
    headers: otlpHeaders(e.OTEL_EXPORTER_OTLP_HEADERS, e.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
    serviceName: e.OTEL_SERVICE_NAME,
  };
}

/** Validates the environment (and flags) into a Config; a bad value names its variable. */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  flags: ConfigFlags = {},
  cwd = process.cwd(),
): Config {
  const merged: Record<string, string | undefined> = {
    ...env,
    ...(flags.port !== undefined ? { PORT: flags.port } : {}),
    ...(flags.host !== undefined ? { HOST: flags.host } : {}),
    ...(flags.config !== undefined ? { FRACTAL_CONFIG: flags.config } : {}),
    ...(flags["data-dir"] !== undefined ? { FRACTAL_DATA_DIR: flags["data-dir"] } : {}),
  };
  // Empty variables count as unset, as shells and compose files often leave them.
  for (const key of Object.keys(merged)) if (merged[key] === "") delete merged[key];
  const parsed = envSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const flag = FLAG_FOR[name] ? ` (or ${FLAG_FOR[name]})` : "";
      return `  ${name}${flag}: ${issue.message} (got ${JSON.stringify(merged[name])})`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  if (e.FRACTAL_AUTH === "jwt" && !e.FRACTAL_JWT_SECRET && !e.FRACTAL_JWKS_URL) {
    throw new ConfigError(
      "invalid configuration:\n  FRACTAL_AUTH=jwt needs FRACTAL_JWT_SECRET (HS256) or FRACTAL_JWKS_URL",
    );
  }
  const apiKeys = readApiKeys(e.FRACTAL_API_KEYS, e.FRACTAL_API_KEYS_FILE, cwd);
  if (e.FRACTAL_AUTH === "api_key" && apiKeys.length === 0) {
    throw new ConfigError(
      "invalid configuration:\n  FRACTAL_AUTH=api_key needs FRACTAL_API_KEYS or FRACTAL_API_KEYS_FILE",
    );
  }
  const databaseUrl = e.DATABASE_URL ?? e.POSTGRES_URI;
  const defaultGraphConfig = resolve(cwd, "langgraph.json");
  const langgraphConfig = e.FRACTAL_CONFIG
    ? resolve(cwd, e.FRACTAL_CONFIG)
    : existsSync(defaultGraphConfig)
      ? defaultGraphConfig
      : undefined;
  if (langgraphConfig && !existsSync(langgraphConfig)) {
    throw new ConfigError(`invalid configuration:\n  FRACTAL_CONFIG (or --config): no file at ${langgraphConfig}`);
  }
  const redisUrl = e.REDIS_URL ?? e.REDIS_URI;
  const role = flags.worker === undefined ? "all" : flags.worker ? "worker" : "api";
  const events = e.FRACTAL_EVENTS ?? (redisUrl ? "redis" : role === "all" ? "memory" : "postgres");
  if (events === "redis" && !redisUrl) {
    throw new ConfigError("invalid configuration:\n  FRACTAL_EVENTS=redis needs REDIS_URL");
  }
  if (events === "postgres" && !databaseUrl) {
    throw new ConfigError(
      "invalid configuration:\n  FRACTAL_EVENTS=postgres needs DATABASE_URL (the embedded database serves one process)",
    );
  }
  if (role !== "all") {
    const what = role === "worker" ? "fractal worker" : "serve --no-worker";
    if (!databaseUrl) {
      throw new ConfigError(
        `invalid configuration:\n  ${what} needs DATABASE_URL: the embedded database serves one process, so API and worker processes share a PostgreSQL`,
      );
    }
    if (events === "memory") {
      throw new ConfigError(
        `invalid configuration:\n  ${what} cannot keep run events in memory (FRACTAL_EVENTS=memory): API and worker processes share them through Redis or PostgreSQL`,
      );
    }
    if (role === "worker" && e.N_JOBS_PER_WORKER === 0) {
      throw new ConfigError("invalid configuration:\n  N_JOBS_PER_WORKER: a worker process needs at least 1 (got 0)");
    }
  }
  return {
    port: e.PORT,
    host: e.HOST,
    langgraphConfig,
    storage: databaseUrl
      ? {
          kind: "postgres",
          url: databaseUrl,
          poolSize: e.FRACTAL_DB_POOL_SIZE,
          statementTimeoutMs: e.FRACTAL_DB_STATEMENT_TIMEOUT_MS,
        }
      : {
          kind: "pglite",
          dataDir: resolve(cwd, e.FRACTAL_DATA_DIR),
          statementTimeoutMs: e.FRACTAL_DB_STATEMENT_TIMEOUT_MS,
        },
    redisUrl,
    redisPrefix: e.FRACTAL_REDIS_PREFIX,
    events,
    role,
    logLevel: e.LOG_LEVEL,
    migrate: flags.migrate ?? e.FRACTAL_MIGRATE,
    testRoutes: e.FRACTAL_TEST_ROUTES,
    maxBodyBytes: e.FRACTAL_MAX_BODY_BYTES,
    jobsPerWorker: role === "api" ? 0 : e.N_JOBS_PER_WORKER,
    multitaskStrategy: e.FRACTAL_MULTITASK_STRATEGY,
    streamHeartbeatMs: e.FRACTAL_STREAM_HEARTBEAT_MS,
    schemaWaitMs: e.FRACTAL_SCHEMA_WAIT_MS,
    infoMetadata: e.FRACTAL_INFO_METADATA,
    streamRetainMs: e.FRACTAL_STREAM_RETAIN_MS,
    streamGraceMs: e.FRACTAL_STREAM_GRACE_MS,
    runLeaseMs: e.FRACTAL_RUN_LEASE_MS,
    runMaxAttempts: e.FRACTAL_RUN_MAX_ATTEMPTS,
    runSweepMs: e.FRACTAL_RUN_SWEEP_MS,
    workerPollMs: e.FRACTAL_WORKER_POLL_MS,
    shutdownDrainMs: e.FRACTAL_SHUTDOWN_DRAIN_MS,
    runTimeoutMs: Math.round(e.FRACTAL_RUN_TIMEOUT_SECONDS * 1000),
    threadTtlMinutes: e.FRACTAL_THREAD_TTL_MINUTES,
    cronPollMs: e.FRACTAL_CRON_POLL_MS,
    webhooks: {
      secret: e.FRACTAL_WEBHOOK_SECRET,
      allowedHosts: (e.FRACTAL_WEBHOOK_ALLOWED_HOSTS ?? "")
        .split(",")
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
      maxAttempts: e.FRACTAL_WEBHOOK_MAX_ATTEMPTS,
      retryBaseMs: e.FRACTAL_WEBHOOK_RETRY_BASE_MS,
    },
    tracing: tracingConfig(e),
    modelTokenMetrics: e.FRACTAL_MODEL_TOKEN_METRICS,
    auth: {
      mode: e.FRACTAL_AUTH,
      apiKeys,
      jwt:
        e.FRACTAL_AUTH === "jwt"
          ? {
              secret: e.FRACTAL_JWT_SECRET,
              jwksUrl: e.FRACTAL_JWKS_URL,
              issuer: e.FRACTAL_JWT_ISSUER,
              audience: e.FRACTAL_JWT_AUDIENCE,
              clockToleranceSeconds: e.FRACTAL_JWT_CLOCK_SKEW_SECONDS,
            }
          : undefined,
      publicPaths: [
        ...e.FRACTAL_AUTH_PUBLIC_PATHS.split(",")
          .map((p) => p.trim())
          .filter(Boolean),
        // Test-only routes (FRACTAL_TEST_ROUTES) stay reachable by the test harness.
        ...(e.FRACTAL_TEST_ROUTES ? ["/internal/*"] : []),
      ],
    },
  };
}

/**
 * Model-provider credentials, read after the langgraph.json `env` block is applied so a `.env`
 * file named there can supply them. Never logged.
 */
export function readProviderSettings(env: Record<string, string | undefined> = process.env): ProviderSettings {
  const value = (name: string) => (env[name] ? env[name] : undefined);
  const pair = (prefix: string) => ({ apiKey: value(`${prefix}_API_KEY`), baseUrl: value(`${prefix}_BASE_URL`) });
  return {
    openai: pair("OPENAI"),
    anthropic: pair("ANTHROPIC"),
    google: { apiKey: value("GOOGLE_API_KEY") ?? value("GEMINI_API_KEY"), baseUrl: value("GOOGLE_BASE_URL") },
    openrouter: pair("OPENROUTER"),
    ollama: { baseUrl: value("OLLAMA_BASE_URL") },
    "openai-compatible": pair("OPENAI_COMPATIBLE"),
  };
}

/**
 * `LANGGRAPH_CONFIG`: JSON of graph id → the config of that graph's default assistant
 * (`{"agent": {"configurable": {...}}, "other": {"context": {...}}}`), as the LangGraph servers
 * read it. A `context` key becomes the assistant's context. Read after the langgraph.json `env`
 * block is applied; a value that is not such an object is an error naming the variable.
 */
export function readGraphDefaults(env: Record<string, string | undefined> = process.env): GraphDefaults {
  const raw = env.LANGGRAPH_CONFIG;
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ConfigError(
      `invalid configuration:\n  LANGGRAPH_CONFIG: not JSON (${(error as Error).message}); it holds the default assistants' config by graph id, and the path of a langgraph.json goes in FRACTAL_CONFIG or --config`,
    );
  }
  const graphs = z.record(z.string(), z.record(z.string(), z.unknown())).safeParse(parsed);
  if (!graphs.success) {
    throw new ConfigError(
      "invalid configuration:\n  LANGGRAPH_CONFIG: must be a JSON object of graph id → config object",
    );
  }
  return Object.fromEntries(
    Object.entries(graphs.data).map(([graphId, { context, ...config }]) => [
      graphId,
      { config, context: (context ?? {}) as Record<string, unknown> },
    ]),
  );
}

/** Applies a langgraph.json `env` block before graphs load; variables already set win. */
export function applyGraphEnv(vars: Record<string, string>): void {
  for (const [key, value] of Object.entries(vars)) process.env[key] ??= value;
}
