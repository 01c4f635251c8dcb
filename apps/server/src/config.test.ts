import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, readGraphDefaults, readProviderSettings } from "./config.ts";

const cwd = mkdtempSync(join(tmpdir(), "fractal-config-"));

describe("loadConfig", () => {
  test("defaults: port 2024, embedded storage under ./.fractal, migrations on, test routes off", () => {
    const config = loadConfig({}, {}, cwd);
    expect(config).toMatchObject({
      port: 2024,
      host: "localhost",
      storage: { kind: "pglite", dataDir: join(cwd, ".fractal"), statementTimeoutMs: 30_000 },
      migrate: true,
      testRoutes: false,
      logLevel: "info",
    });
    expect(config.langgraphConfig).toBeUndefined();
  });

  test("flags win over env; aliases POSTGRES_URI and REDIS_URI work; empty values are unset", () => {
    const config = loadConfig(
      { PORT: "3000", POSTGRES_URI: "postgres://u@h/db", REDIS_URI: "redis://h:6379", HOST: "" },
      { port: "4000", migrate: false },
      cwd,
    );
    expect(config.port).toBe(4000);
    expect(config.host).toBe("localhost");
    expect(config.storage).toEqual({
      kind: "postgres",
      url: "postgres://u@h/db",
      poolSize: 10,
      statementTimeoutMs: 30_000,
    });
    expect(config.redisUrl).toBe("redis://h:6379");
    expect(config.migrate).toBe(false);
  });

  test("OpenTelemetry: traces are off without an endpoint; the standard variables set URL, headers and service name", () => {
    expect(loadConfig({}, {}, cwd).tracing).toBeUndefined();
    expect(loadConfig({}, {}, cwd).modelTokenMetrics).toBe(true);
    expect(loadConfig({ FRACTAL_MODEL_TOKEN_METRICS: "false" }, {}, cwd).modelTokenMetrics).toBe(false);
    expect(
      loadConfig(
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/",
          OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20t0k,x-team=agents",
          OTEL_SERVICE_NAME: "agents",
        },
        {},
        cwd,
      ).tracing,
    ).toEqual({
      tracesUrl: "http://collector:4318/v1/traces",
      headers: { authorization: "Bearer t0k", "x-team": "agents" },
      serviceName: "agents",
    });
    const own = loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://c.example/traces" }, {}, cwd).tracing;
    expect(own?.tracesUrl).toBe("https://c.example/traces");
    expect(own?.serviceName).toBe("fractal-agents-runtime");
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" }, {}, cwd).tracing,
    ).toBeUndefined();
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }, {}, cwd)).toThrow(
      "OTEL_EXPORTER_OTLP_ENDPOINT",
    );
  });

  test("process roles: serve is all-in-one; --no-worker runs no worker; worker and API-only need PostgreSQL, and share events through Redis or PostgreSQL", () => {
    const shared = { DATABASE_URL: "postgres://u@h/db", REDIS_URL: "redis://h:6379" };
    expect(loadConfig({}, {}, cwd)).toMatchObject({ role: "all", jobsPerWorker: 10, redisPrefix: "fractal" });
    expect(loadConfig(shared, { worker: false }, cwd)).toMatchObject({ role: "api", jobsPerWorker: 0 });
    expect(loadConfig({ ...shared, N_JOBS_PER_WORKER: "4" }, { worker: true }, cwd)).toMatchObject({
      role: "worker",
      jobsPerWorker: 4,
    });
    expect(() => loadConfig({ REDIS_URL: "redis://h:6379" }, { worker: true }, cwd)).toThrow(
      "fractal worker needs DATABASE_URL",
    );
    // Without Redis, API and worker processes share events through PostgreSQL.
    expect(loadConfig({ DATABASE_URL: "postgres://u@h/db" }, { worker: false }, cwd)).toMatchObject({
      role: "api",
      events: "postgres",
    });
    expect(loadConfig(shared, { worker: true }, cwd).events).toBe("redis");
    expect(loadConfig({}, {}, cwd).events).toBe("memory");
    expect(() =>
      loadConfig({ DATABASE_URL: "postgres://u@h/db", FRACTAL_EVENTS: "memory" }, { worker: true }, cwd),
    ).toThrow("cannot keep run events in memory");
    expect(() => loadConfig({ FRACTAL_EVENTS: "postgres" }, {}, cwd)).toThrow(
      "FRACTAL_EVENTS=postgres needs DATABASE_URL",
    );
    expect(() => loadConfig({ FRACTAL_EVENTS: "redis" }, {}, cwd)).toThrow("FRACTAL_EVENTS=redis needs REDIS_URL");
    expect(() => loadConfig({ ...shared, N_JOBS_PER_WORKER: "0" }, { worker: true }, cwd)).toThrow(
      "a worker process needs at least 1",
    );
    expect(() => loadConfig({ ...shared, FRACTAL_REDIS_PREFIX: "a b" }, {}, cwd)).toThrow("FRACTAL_REDIS_PREFIX");
  });

  test("DATABASE_URL wins over its alias", () => {
    const config = loadConfig({ DATABASE_URL: "postgresql://a/one", POSTGRES_URI: "postgres://b/two" }, {}, cwd);
    expect(config.storage).toMatchObject({ url: "postgresql://a/one" });
  });

  test("run engine settings: drain and run time limit, with their defaults", () => {
    expect(loadConfig({}, {}, cwd)).toMatchObject({ shutdownDrainMs: 10_000, runTimeoutMs: 3_600_000 });
    const config = loadConfig({ FRACTAL_SHUTDOWN_DRAIN_MS: "250", FRACTAL_RUN_TIMEOUT_SECONDS: "0.5" }, {}, cwd);
    expect(config).toMatchObject({ shutdownDrainMs: 250, runTimeoutMs: 500 });
    expect(() => loadConfig({ FRACTAL_RUN_TIMEOUT_SECONDS: "-1" }, {}, cwd)).toThrow(/FRACTAL_RUN_TIMEOUT_SECONDS/);
  });

  test("api keys: inline or from a file; a bad entry is named without echoing keys; api_key mode needs keys", () => {
    const hash = "a".repeat(64);
    const keys = JSON.stringify([{ identity: "ci", key_sha256: hash, permissions: ["threads:read"] }]);
    expect(loadConfig({ FRACTAL_AUTH: "api_key", FRACTAL_API_KEYS: keys }, {}, cwd).auth.apiKeys).toEqual([
      { identity: "ci", key_sha256: hash, permissions: ["threads:read"] },
    ]);
    expect(() => loadConfig({ FRACTAL_AUTH: "api_key" }, {}, cwd)).toThrow(
      "FRACTAL_AUTH=api_key needs FRACTAL_API_KEYS",
    );
    const secret = "plain-secret-key-0123456789";
    let message = "";
    try {
      loadConfig({ FRACTAL_API_KEYS: JSON.stringify([{ identity: "x", key: secret, key_sha256: hash }]) }, {}, cwd);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("FRACTAL_API_KEYS: [0] give exactly one of key or key_sha256");
    expect(message).not.toContain(secret);
    expect(() => loadConfig({ FRACTAL_API_KEYS: "{nope" }, {}, cwd)).toThrow("FRACTAL_API_KEYS: not readable JSON");
  });

  test("auth: off by default; jwt needs a secret or a JWKS URL; public paths are configurable", () => {
    expect(loadConfig({}, {}, cwd).auth).toEqual({
      mode: "none",
      apiKeys: [],
      jwt: undefined,
      publicPaths: ["/ok", "/info", "/openapi.json", "/docs", "/metrics"],
    });
    expect(() => loadConfig({ FRACTAL_AUTH: "jwt" }, {}, cwd)).toThrow("FRACTAL_AUTH=jwt needs FRACTAL_JWT_SECRET");
    const jwt = loadConfig(
      {
        FRACTAL_AUTH: "jwt",
        FRACTAL_JWKS_URL: "https://id.example.com/jwks",
        FRACTAL_AUTH_PUBLIC_PATHS: "/ok, /health/*",
      },
      {},
      cwd,
    ).auth;
    expect(jwt).toMatchObject({ mode: "jwt", publicPaths: ["/ok", "/health/*"] });
    expect(jwt.jwt).toMatchObject({ jwksUrl: "https://id.example.com/jwks", clockToleranceSeconds: 30 });
    expect(() => loadConfig({ FRACTAL_AUTH: "basic" }, {}, cwd)).toThrow("FRACTAL_AUTH");
  });

  test("a bad value names the variable and its flag", () => {
    expect(() => loadConfig({ PORT: "abc" }, {}, cwd)).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: "abc" }, {}, cwd)).toThrow(/PORT \(or --port\)/);
    expect(() => loadConfig({}, { "data-dir": "", port: "-1" }, cwd)).toThrow(/PORT/);
    expect(() => loadConfig({ FRACTAL_TEST_ROUTES: "maybe" }, {}, cwd)).toThrow(/FRACTAL_TEST_ROUTES/);
  });

  test("./langgraph.json is picked up when present; an explicit missing path is an error", () => {
    const dir = mkdtempSync(join(tmpdir(), "fractal-config-lg-"));
    writeFileSync(join(dir, "langgraph.json"), "{}");
    expect(loadConfig({}, {}, dir).langgraphConfig).toBe(join(dir, "langgraph.json"));
    expect(() => loadConfig({ FRACTAL_CONFIG: "missing.json" }, {}, dir)).toThrow(/no file at/);
  });
});

describe("readProviderSettings", () => {
  test("reads each provider's key and endpoint; GEMINI_API_KEY stands in for GOOGLE_API_KEY; empty is unset", () => {
    const settings = readProviderSettings({
      OPENAI_API_KEY: "o",
      ANTHROPIC_API_KEY: "a",
      ANTHROPIC_BASE_URL: "http://a",
      GEMINI_API_KEY: "g",
      OPENROUTER_API_KEY: "r",
      OLLAMA_BASE_URL: "http://ollama:11434",
      OPENAI_COMPATIBLE_BASE_URL: "http://vllm/v1",
      OPENAI_COMPATIBLE_API_KEY: "",
    });
    expect(settings).toEqual({
      openai: { apiKey: "o", baseUrl: undefined },
      anthropic: { apiKey: "a", baseUrl: "http://a" },
      google: { apiKey: "g", baseUrl: undefined },
      openrouter: { apiKey: "r", baseUrl: undefined },
      ollama: { baseUrl: "http://ollama:11434" },
      "openai-compatible": { apiKey: undefined, baseUrl: "http://vllm/v1" },
    });
  });

  test("LANGGRAPH_CONFIG gives default assistants their config, a context key their context", () => {
    const env = {
      LANGGRAPH_CONFIG: JSON.stringify({ agent: { configurable: { model: "x" } }, rt: { context: { model: "y" } } }),
    };
    expect(readGraphDefaults(env)).toEqual({
      agent: { config: { configurable: { model: "x" } }, context: {} },
      rt: { config: {}, context: { model: "y" } },
    });
    expect(readGraphDefaults({})).toEqual({});
    expect(() => readGraphDefaults({ LANGGRAPH_CONFIG: "./langgraph.json" })).toThrow("FRACTAL_CONFIG or --config");
    expect(() => readGraphDefaults({ LANGGRAPH_CONFIG: "[1]" })).toThrow("graph id → config object");
  });
});
