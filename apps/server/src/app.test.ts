import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "@fractal/infra/logger";
import { createApp } from "./app.ts";
import type { Config } from "./config.ts";
import { createDeps, type Deps } from "./deps.ts";

/** Error bodies are JSON only for clients that ask for it. */
const JSON_ERRORS = { accept: "application/json" };

// One in-memory PGlite for the file: createApp does no I/O, so requests go through app.request().
const config: Config = {
  port: 0,
  host: "127.0.0.1",
  storage: { kind: "pglite", dataDir: "memory", statementTimeoutMs: 30_000 },
  logLevel: "info",
  migrate: true,
  testRoutes: false,
  maxBodyBytes: 1024,
  role: "all",
  redisPrefix: "fractal",
  events: "memory",
  jobsPerWorker: 0,
  multitaskStrategy: "reject",
  streamHeartbeatMs: 15_000,
  streamRetainMs: 60_000,
  streamGraceMs: 5000,
  runLeaseMs: 30_000,
  runMaxAttempts: 3,
  runSweepMs: 5_000,
  workerPollMs: 500,
  shutdownDrainMs: 10_000,
  runTimeoutMs: 3_600_000,
  webhooks: { allowedHosts: [], maxAttempts: 5, retryBaseMs: 1000 },
  cronPollMs: 1000,
  modelTokenMetrics: true,
  schemaWaitMs: 0,
  infoMetadata: {},
  auth: { mode: "none", apiKeys: [], publicPaths: ["/ok"] },
};
const lines: string[] = [];
let deps: Deps;

beforeAll(async () => {
  deps = await createDeps(config, createLogger({ write: (line) => lines.push(line) }));
}, 60_000);
afterAll(async () => deps?.close());

describe("createApp", () => {
  test("/ok and /info", async () => {
    const app = createApp(deps);
    expect(await (await app.request("/ok")).json()).toEqual({ ok: true });
    const info = (await (await app.request("/info")).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ runtime: "fractal-agents-runtime", storage: "pglite", flags: { assistants: true } });
  });

  test("/openapi.json documents every route the app serves, with request schemas from zod", async () => {
    const app = createApp(deps);
    const doc = (await (await app.request("/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
    };
    expect(doc.openapi).toBe("3.1.0");
    const served = app.routes
      .filter((r) => r.method !== "ALL" && !["/openapi.json", "/docs"].includes(r.path))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z_]+)\??/g, "{$1}")}`);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    for (const route of served) {
      expect(documented).toContain(route);
    }
    const create = doc.paths["/assistants"]?.post?.requestBody?.content["application/json"]?.schema as {
      required: string[];
    };
    expect(create.required).toContain("graph_id");
  });

  test("/docs is an HTML page listing the operations", async () => {
    const res = await createApp(deps).request("/docs");
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain("/threads/{thread_id}/history");
    expect(html).toContain("/openapi.json");
  });

  test("request ids are echoed or generated, and each request is logged as JSON with its id", async () => {
    const app = createApp(deps);
    const res = await app.request("/info", { headers: { "x-request-id": "req-123" } });
    expect(res.headers.get("x-request-id")).toBe("req-123");
    const entry = lines.map((l) => JSON.parse(l)).find((e) => e.request_id === "req-123");
    expect(entry).toMatchObject({ level: "info", msg: "request", method: "GET", path: "/info", status: 200 });
    const generated = (await app.request("/info")).headers.get("x-request-id");
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("an error answer carries its request id: in the header always, in the body when JSON was asked for", async () => {
    const app = createApp(deps);
    const json = await app.request(`/threads/${crypto.randomUUID()}`, {
      headers: { ...JSON_ERRORS, "x-request-id": "req-404" },
    });
    expect(json.status).toBe(404);
    expect(json.headers.get("x-request-id")).toBe("req-404");
    expect(await json.json()).toMatchObject({ error: "not_found", request_id: "req-404" });
    const text = await app.request("/no/such/route", { headers: { "x-request-id": "req-text" } });
    expect([text.status, text.headers.get("x-request-id")]).toEqual([404, "req-text"]);
    const entry = lines.map((l) => JSON.parse(l)).find((e) => e.request_id === "req-404");
    expect(entry).toMatchObject({ status: 404 });
  });

  test("test routes are absent unless enabled", async () => {
    const res = await createApp(deps).request("/internal/truncate", {
      method: "POST",
      body: "{}",
      headers: JSON_ERRORS,
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "not_found" });
  });

  test("error bodies are the message and request id (the SDK shows `HTTP <status>: <body>`) unless JSON is asked for", async () => {
    const app = createApp(deps);
    const id = crypto.randomUUID();
    const plain = await app.request(`/threads/${id}`);
    expect(plain.status).toBe(404);
    expect(plain.headers.get("content-type")).toStartWith("text/plain");
    expect(plain.headers.get("x-error-code")).toBe("not_found");
    expect(await plain.text()).toBe(
      `Thread with ID ${id} not found (request_id: ${plain.headers.get("x-request-id")})`,
    );
    const json = await app.request(`/threads/${id}`, { headers: JSON_ERRORS });
    expect(await json.json()).toEqual({
      error: "not_found",
      message: `Thread with ID ${id} not found`,
      request_id: expect.any(String),
    });
    expect(await (await app.request(`/assistants/${id}`)).text()).toStartWith("Assistant not found");
  });

  test("bodies over the configured limit are refused with 413 JSON", async () => {
    const res = await createApp(deps).request("/threads/search", {
      method: "POST",
      body: JSON.stringify({ metadata: { pad: "x".repeat(2000) } }),
      headers: { "content-type": "application/json", ...JSON_ERRORS },
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: "payload_too_large" });
  });

  test("browsers on other origins may call the API", async () => {
    const res = await createApp(deps).request("/ok", { headers: { origin: "http://localhost:3000" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
  });

  test("an unexpected failure is a 500 with the same JSON shape and is logged", async () => {
    const app = createApp({
      ...deps,
      storage: {
        ...deps.storage,
        threads: { ...deps.storage.threads, count: () => Promise.reject(new Error("disk on fire")) },
      },
    });
    const res = await app.request("/threads/count", { method: "POST", headers: JSON_ERRORS });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: "internal_error",
      message: "internal server error",
      request_id: expect.any(String),
    });
    expect(lines.some((l) => l.includes("disk on fire"))).toBe(true);
  });
});
