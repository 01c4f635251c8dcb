// A statement that never returns. On PostgreSQL the statement timeout cancels it (503) and frees
// its connection. PGlite ignores statement_timeout, so the embedded database has a watchdog: the
// waiting requests answer 503, the database thread is restarted from its files with nothing
// committed lost, /ok?check_db=1 reports it meanwhile, and SIGTERM still ends the process in time.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, requireTestPostgresUrl } from "@fractal/infra/storage/testing/postgres";
import { Client } from "@langchain/langgraph-sdk";
import { type ServerProcess, spawnServer } from "./harness.ts";

const TIMEOUT_MS = 1_500;
const json = { accept: "application/json" };

async function storageEnv(
  mode: "embedded" | "postgres",
): Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }> {
  if (mode === "postgres") {
    const database = await createTestDatabase(requireTestPostgresUrl());
    return { env: { DATABASE_URL: database.url }, cleanup: database.drop };
  }
  const dir = mkdtempSync(join(tmpdir(), "fractal-stall-"));
  return { env: { FRACTAL_DATA_DIR: dir }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

const stall = (server: ServerProcess, wait: boolean) =>
  fetch(`${server.url}/internal/stall-database${wait ? "?wait=true" : ""}`, { method: "POST", headers: json });

describe("a runaway statement (postgres)", () => {
  let server: ServerProcess;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const storage = await storageEnv("postgres");
    cleanup = storage.cleanup;
    // One connection: the next request only succeeds if the cancelled statement gave it back.
    server = await spawnServer({
      env: { ...storage.env, FRACTAL_DB_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS), FRACTAL_DB_POOL_SIZE: "1" },
    });
  }, 60_000);
  afterAll(async () => {
    server?.proc.kill("SIGTERM");
    await server?.proc.exited;
    await cleanup?.();
  });

  test("is cancelled at the statement timeout with 503 + Retry-After, and its connection is freed", async () => {
    const began = performance.now();
    const response = await stall(server, true);
    const took = performance.now() - began;
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(((await response.json()) as { message: string }).message).toMatch(/unavailable/);
    expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(took).toBeLessThan(TIMEOUT_MS + 3_000);
    const client = new Client({ apiUrl: server.url });
    const thread = await client.threads.create();
    expect((await client.threads.get(thread.thread_id)).thread_id).toBe(thread.thread_id);
  }, 30_000);
});

describe("a runaway statement (embedded)", () => {
  let server: ServerProcess;
  let cleanup: () => Promise<void>;
  let env: Record<string, string>;
  beforeAll(async () => {
    const storage = await storageEnv("embedded");
    cleanup = storage.cleanup;
    env = { ...storage.env, FRACTAL_DB_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS), LOG_LEVEL: "info" };
    server = await spawnServer({ env });
  }, 60_000);
  afterAll(async () => {
    server?.proc.kill("SIGTERM");
    await server?.proc.exited;
    await cleanup?.();
  });

  test("fails the waiting requests with 503, restarts the database, and loses nothing committed", async () => {
    const client = new Client({ apiUrl: server.url });
    const kept = await client.threads.create({ metadata: { kept: true } });
    const assistant = await client.assistants.create({ graphId: "agent", name: "kept" });

    const began = performance.now();
    const stalled = stall(server, true);
    await Bun.sleep(100);
    // Waits for the one embedded session behind the runaway statement.
    const waiting = fetch(`${server.url}/threads/${kept.thread_id}`, { headers: json });
    const check = await fetch(`${server.url}/ok?check_db=1`);
    expect(check.status).toBe(503);
    expect(check.headers.get("retry-after")).toBe("5");
    expect(((await check.json()) as { db: string }).db).toMatch(/^(unavailable|restarting)$/);
    expect((await fetch(`${server.url}/ok`)).status).toBe(200);

    const [first, second] = await Promise.all([stalled, waiting]);
    expect(first.status).toBe(503);
    expect(first.headers.get("retry-after")).toBe("5");
    expect(second.status).toBe(503);
    expect(((await second.json()) as { message: string }).message).toMatch(/unavailable/);
    expect(performance.now() - began).toBeLessThan(TIMEOUT_MS + 4_000);

    let ok = 0;
    for (let i = 0; i < 100 && ok !== 200; i++) {
      ok = (await fetch(`${server.url}/ok?check_db=1`)).status;
      if (ok !== 200) await Bun.sleep(100);
    }
    expect(ok).toBe(200);
    expect((await client.threads.get(kept.thread_id)).metadata).toMatchObject({ kept: true });
    expect((await client.assistants.get(assistant.assistant_id)).name).toBe("kept");
    const added = await client.threads.create();
    expect((await client.threads.get(added.thread_id)).thread_id).toBe(added.thread_id);
    expect(server.output().match(/"msg":"embedded database did not answer;/g)?.length).toBe(1);
    expect(server.output()).toMatch(/embedded database restarted/);
  }, 60_000);

  test("the data written before and after the restart is there when the server starts again", async () => {
    const client = new Client({ apiUrl: server.url });
    const before = await client.threads.search({ limit: 100 });
    server.proc.kill("SIGTERM");
    expect(await server.proc.exited).toBe(0);
    server = await spawnServer({ env });
    const after = await new Client({ apiUrl: server.url }).threads.search({ limit: 100 });
    expect(after.map((t) => t.thread_id).sort()).toEqual(before.map((t) => t.thread_id).sort());
    expect(after.length).toBeGreaterThanOrEqual(2);
  }, 60_000);

  test("SIGTERM ends the process within the drain time (+2 s) while the database never answers", async () => {
    const storage = await storageEnv("embedded");
    // A watchdog that never fires in this test: the database stays stuck until the process ends.
    const stuck = await spawnServer({
      env: { ...storage.env, FRACTAL_DB_STATEMENT_TIMEOUT_MS: "600000", FRACTAL_SHUTDOWN_DRAIN_MS: "1000" },
    });
    try {
      expect((await stall(stuck, false)).status).toBe(202);
      const hanging = fetch(`${stuck.url}/threads/search`, { method: "POST", body: "{}" }).catch(() => undefined);
      await Bun.sleep(300);
      const began = performance.now();
      stuck.proc.kill("SIGTERM");
      const code = await stuck.proc.exited;
      const took = performance.now() - began;
      expect(took).toBeLessThan(1_000 + 2_000 + 1_000);
      expect(code).toBe(1);
      expect(stuck.output()).toMatch(/shutdown did not finish in time/);
      await hanging;
    } finally {
      stuck.proc.kill("SIGKILL");
      await storage.cleanup();
    }
  }, 30_000);
});
