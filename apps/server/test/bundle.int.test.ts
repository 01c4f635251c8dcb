import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createTestDatabase, requireTestPostgresUrl } from "@fractal/infra/storage/testing/postgres";
import { testRedisUrl } from "@fractal/infra/testing/redis";
import { Client } from "@langchain/langgraph-sdk";
import pkg from "../package.json" with { type: "json" };
import { type ServerProcess, spawnServer } from "./harness.ts";

const ROOT = resolve(import.meta.dir, "../../..");

/**
 * What the container image holds is `bun run bundle`'s output and nothing else (the Dockerfile's
 * final stage copies that folder). Here it is built outside the repository and started from an
 * empty working directory, so nothing of the checkout can be reached.
 */
describe("the bundle the image ships", () => {
  const place = mkdtempSync(join(tmpdir(), "fractal-bundle-"));
  const image = join(place, "app");
  const cwd = join(place, "work");
  const cli = join(image, "fractal.js");
  const processes: ServerProcess[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const start = async (command: "serve" | "worker", env: Record<string, string>, args: string[] = []) => {
    const p = await spawnServer({ cli, command, cwd, env: { ...env, LOG_LEVEL: "warn" }, args });
    processes.push(p);
    return p;
  };

  beforeAll(async () => {
    const built = Bun.spawnSync(["bun", join(ROOT, "scripts/bundle.ts"), "--out", image], { stderr: "pipe" });
    if (built.exitCode !== 0) throw new Error(`bundle failed: ${built.stderr.toString()}`);
    Bun.spawnSync(["mkdir", "-p", cwd]);
  }, 120_000);
  afterAll(async () => {
    for (const p of processes) p.proc.kill("SIGKILL");
    await Promise.all(processes.map((p) => p.proc.exited));
    for (const c of cleanups) await c();
    rmSync(place, { recursive: true, force: true });
  });

  test("holds only the server, the database thread, the embedded database's packages and a manifest", () => {
    expect(readdirSync(image).sort()).toEqual(["fractal.js", "node_modules", "package.json", "pglite-worker.js"]);
    expect(readdirSync(join(image, "node_modules/@electric-sql")).sort()).toEqual(["pglite", "pglite-pgvector"]);
  });

  test("serve, embedded (pgvector loaded from the bundle's own files): runs a catalog graph and keeps store items", async () => {
    const server = await start("serve", { DATABASE_URL: "", POSTGRES_URI: "" }, ["--data-dir", join(cwd, "data")]);
    const client = new Client({ apiUrl: server.url });
    const info = (await (await fetch(`${server.url}/info`)).json()) as { version: string; storage: string };
    expect(info).toMatchObject({ version: pkg.version, storage: "pglite" });
    const values = (await client.runs.wait(null, "agent", {
      input: { messages: [{ role: "user", content: "tea" }] },
    })) as { messages: { content: string }[] };
    expect(values.messages.at(-1)?.content).toBe("You said: tea");
    await client.store.putItem(["bundle"], "k", { v: 1 });
    expect((await client.store.getItem(["bundle"], "k"))?.value).toEqual({ v: 1 });
  }, 120_000);

  test("migrate, then serve --no-worker and worker over PostgreSQL and Redis: a run goes from one to the other", async () => {
    const db = await createTestDatabase(requireTestPostgresUrl());
    cleanups.push(db.drop);
    const env = { DATABASE_URL: db.url, REDIS_URL: testRedisUrl(), FRACTAL_REDIS_PREFIX: `bundle-${process.pid}` };
    const migrate = Bun.spawnSync(["bun", cli, "migrate"], { cwd, env: { ...process.env, ...env }, stderr: "pipe" });
    expect(migrate.exitCode).toBe(0);
    expect(migrate.stderr.toString()).toContain("schema is up to date");
    const api = await start("serve", env, ["--no-worker", "--no-migrate"]);
    const worker = await start("worker", env, ["--no-migrate"]);
    expect(await (await fetch(`${worker.url}/ok`)).json()).toEqual({ ok: true, redis: "ok" });
    const client = new Client({ apiUrl: api.url });
    const thread = await client.threads.create();
    const chunks = [];
    for await (const chunk of client.runs.stream(thread.thread_id, "agent", {
      input: { messages: [{ role: "user", content: "coffee" }] },
      streamMode: ["values"],
    })) {
      chunks.push(chunk);
    }
    const last = chunks.filter((c) => c.event === "values").at(-1)?.data as { messages: { content: string }[] };
    expect(last.messages.at(-1)?.content).toBe("You said: coffee");
  }, 120_000);
});
