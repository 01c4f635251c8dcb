import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "@fractal/infra/storage/database";
import { migratedDataDir } from "@fractal/infra/storage/testing/pglite";
import { createTestDatabase, requireTestPostgresUrl } from "@fractal/infra/storage/testing/postgres";
import { Client } from "@langchain/langgraph-sdk";
import { sql } from "kysely";
import { runCli, spawnServer } from "./harness.ts";

const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

async function seed(client: Client) {
  const assistant = await client.assistants.create({ graphId: "agent", name: "keeper", metadata: { v: 1 } });
  await client.assistants.update(assistant.assistant_id, { name: "keeper-v2" });
  const thread = await client.threads.create({ graphId: "agent", metadata: { keep: true } });
  await client.threads.updateState(thread.thread_id, {
    values: { messages: [{ type: "human", content: "remember me" }] },
    asNode: "agent",
  });
  return { assistantId: assistant.assistant_id, threadId: thread.thread_id };
}

async function expectSeeded(client: Client, ids: { assistantId: string; threadId: string }) {
  const assistant = await client.assistants.get(ids.assistantId);
  expect(assistant).toMatchObject({ name: "keeper-v2", version: 2, metadata: { v: 1 } });
  expect((await client.assistants.getVersions(ids.assistantId)).length).toBe(2);
  expect((await client.threads.get(ids.threadId)).metadata).toEqual({ graph_id: "agent", keep: true });
  const state = await client.threads.getState(ids.threadId);
  expect((state.values as { messages: Array<{ content: string }> }).messages[0]?.content).toBe("remember me");
}

describe("embedded mode keeps data across restarts", () => {
  test("after a clean stop and after kill -9 the data is all there", async () => {
    const dataDir = await migratedDataDir("fractal-restart-");
    try {
      const first = await spawnServer({ args: ["--data-dir", dataDir] });
      const ids = await seed(new Client({ apiUrl: first.url }));
      first.proc.kill("SIGTERM");
      expect(await first.proc.exited).toBe(0);

      const second = await spawnServer({ args: ["--data-dir", dataDir] });
      const client = new Client({ apiUrl: second.url });
      await expectSeeded(client, ids);
      const late = await client.threads.create({ metadata: { written: "just before kill" } });
      second.proc.kill("SIGKILL");
      await second.proc.exited;

      const third = await spawnServer({ args: ["--data-dir", dataDir] });
      const after = new Client({ apiUrl: third.url });
      await expectSeeded(after, ids);
      expect((await after.threads.get(late.thread_id)).metadata).toEqual({ written: "just before kill" });
      third.proc.kill("SIGTERM");
      await third.proc.exited;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  test("a second process on the same data dir fails at once with a clear message", async () => {
    const dataDir = await migratedDataDir("fractal-lock-");
    try {
      const owner = await spawnServer({ args: ["--data-dir", dataDir] });
      const started = performance.now();
      const second = await runCli(["serve", "--port", "0", "--data-dir", dataDir]);
      expect(performance.now() - started).toBeLessThan(15_000);
      expect(second.code).not.toBe(0);
      expect(second.stderr).toContain(
        `data dir ${dataDir} is in use by another fractal process (pid ${owner.proc.pid})`,
      );
      // The owner is unharmed.
      expect((await fetch(`${owner.url}/ok`)).status).toBe(200);
      owner.proc.kill("SIGTERM");
      await owner.proc.exited;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("start-up errors name what to change", () => {
  test("a port in use names the port and the flag", async () => {
    const a = await migratedDataDir("fractal-port-a-");
    const b = await migratedDataDir("fractal-port-b-");
    try {
      const first = await spawnServer({ args: ["--data-dir", a] });
      const port = new URL(first.url).port;
      const second = await runCli(["serve", "--host", "127.0.0.1", "--port", port, "--data-dir", b]);
      expect(second.code).toBe(2);
      expect(second.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(second.stderr).toContain("--port");
      first.proc.kill("SIGTERM");
      await first.proc.exited;
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  }, 60_000);

  test.each([
    ["PORT", "not-a-number", "PORT (or --port)"],
    ["PORT", "70000", "PORT (or --port)"],
    ["LOG_LEVEL", "loud", "LOG_LEVEL"],
    ["DATABASE_URL", "mysql://localhost/db", "DATABASE_URL"],
    ["REDIS_URL", "http://localhost", "REDIS_URL"],
    ["FRACTAL_MAX_BODY_BYTES", "-1", "FRACTAL_MAX_BODY_BYTES"],
    ["FRACTAL_MIGRATE", "sometimes", "FRACTAL_MIGRATE"],
  ])("%s=%s exits at once naming the variable", async (name, value, named) => {
    const result = await runCli(["serve"], { [name]: value });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("invalid configuration");
    expect(result.stderr).toContain(named);
  });

  test("a --config path that does not exist is named", async () => {
    const result = await runCli(["serve", "--config", "/nowhere/langgraph.json"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no file at /nowhere/langgraph.json");
  });
});

describe("migrations", () => {
  test("fractal migrate applies, reports progress, and serve --no-migrate then starts", async () => {
    const dataDir = tempDir("fractal-migrate-");
    try {
      const refused = await runCli(["serve", "--port", "0", "--no-migrate", "--data-dir", dataDir]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("run `fractal migrate`");

      const first = await runCli(["migrate", "--data-dir", dataDir]);
      expect(first.code).toBe(0);
      expect(first.stderr).toContain("0/9 migrations applied, 9 pending");
      expect(first.stderr).toContain("[1/9] applied 0001_assistants_threads");
      expect(first.stderr).toContain("[9/9] applied 0009_run_trace_context");
      const again = await runCli(["migrate", "--data-dir", dataDir]);
      expect(again.code).toBe(0);
      expect(again.stderr).toContain("9/9 migrations applied, 0 pending");

      const server = await spawnServer({ args: ["--no-migrate", "--data-dir", dataDir] });
      expect((await fetch(`${server.url}/ok`)).status).toBe(200);
      server.proc.kill("SIGTERM");
      await server.proc.exited;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  test("a database whose schema is newer than the code is refused (embedded and postgres)", async () => {
    const dataDir = tempDir("fractal-newer-");
    const pg = await createTestDatabase(requireTestPostgresUrl());
    try {
      for (const target of [
        { args: ["--data-dir", dataDir], env: {} as Record<string, string> },
        { args: [], env: { DATABASE_URL: pg.url } },
      ]) {
        expect((await runCli(["migrate", ...target.args], target.env)).code).toBe(0);
        const database = await openDatabase(
          target.env.DATABASE_URL ? { kind: "postgres", url: pg.url } : { kind: "pglite", dataDir },
        );
        await sql`insert into kysely_migration (name, timestamp) values ('9999_future', now())`.execute(database.db);
        await database.close();
        const result = await runCli(["serve", "--port", "0", ...target.args], target.env);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain(
          "the database schema is newer than this build (unknown migrations: 9999_future)",
        );
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      await pg.drop();
    }
  }, 90_000);
});
