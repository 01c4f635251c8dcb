import { afterAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { createTestDatabase, requireTestPostgresUrl } from "@fractal/infra/storage/testing/postgres";
import { freePort } from "@fractal/infra/testing/free-port";
import { Client } from "@langchain/langgraph-sdk";
import type { Subprocess } from "bun";
import { runCli, type ServerProcess, spawnServer } from "./harness.ts";
import { readFirstSse, readSse } from "./sse.ts";

const CONFIG = resolve(import.meta.dir, "fixtures/run-graphs/langgraph.json");

/** A Redis of the test's own, to stop and start again on the same port. */
function startRedis(port: number): Subprocess {
  return Bun.spawn(
    ["redis-server", "--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no"],
    {
      stdout: "ignore",
      stderr: "ignore",
    },
  );
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until something accepts connections on the port. */
function accepting(port: number) {
  return until("Redis to accept connections", async () => {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    socket.end();
    return true;
  });
}

const ok = async (url: string) => (await fetch(`${url}/ok`)).json() as Promise<Record<string, unknown>>;

describe("API and worker processes", () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const track = (p: ServerProcess) => {
    cleanups.push(() => {
      p.proc.kill("SIGKILL");
      return p.proc.exited;
    });
    return p;
  };
  const database = async () => {
    const db = await createTestDatabase(requireTestPostgresUrl());
    cleanups.push(db.drop);
    return db.url;
  };

  /** A database, and a Redis of the test's own for the redis transport: what API and workers share. */
  const sharedEnv = async (transport: "redis" | "postgres") => {
    const port = await freePort();
    const redis = transport === "redis" ? startRedis(port) : undefined;
    cleanups.push(() => redis?.kill("SIGKILL"));
    if (redis) await accepting(port);
    return { DATABASE_URL: await database(), ...(redis ? { REDIS_URL: `redis://127.0.0.1:${port}` } : {}) };
  };
  /** Creates a slow run, opens its stream on the API, and returns once a worker executes it. */
  const streamedSlowRun = async (api: ServerProcess, steps: number, delayMs: number) => {
    const client = new Client({ apiUrl: api.url });
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.thread_id, "slow", {
      input: {},
      config: { configurable: { steps, delay_ms: delayMs } },
    });
    const stream = readSse(`${api.url}/threads/${thread.thread_id}/runs/${run.run_id}/stream`, 60_000);
    await until("the run to start", async () =>
      (await client.runs.get(thread.thread_id, run.run_id)).status === "running" ? true : undefined,
    );
    return { client, thread, run, stream };
  };

  for (const transport of ["redis", "postgres"] as const) {
    test(`a new run wakes an idle worker process at once, and a cancel sent to the API stops it there (${transport})`, async () => {
      // A worker that would look for runs only every 20 s on its own.
      const env = { ...(await sharedEnv(transport)), FRACTAL_WORKER_POLL_MS: "20000" };
      const api = track(await spawnServer({ env, args: ["--config", CONFIG, "--no-worker"] }));
      track(await spawnServer({ command: "worker", env, args: ["--config", CONFIG, "--no-migrate"] }));
      const client = new Client({ apiUrl: api.url });
      await Bun.sleep(500); // the worker's first look is behind it
      const latencies: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        await client.runs.wait(null, "slow", { input: {}, config: { configurable: { steps: 1, delay_ms: 1 } } });
        latencies.push(performance.now() - started);
      }
      expect(Math.max(...latencies)).toBeLessThan(5_000);

      const thread = await client.threads.create();
      const run = await client.runs.create(thread.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 100, delay_ms: 100 } },
      });
      await until("the run to start", async () =>
        (await client.runs.get(thread.thread_id, run.run_id)).status === "running" ? true : undefined,
      );
      const cancelled = performance.now();
      await client.runs.cancel(thread.thread_id, run.run_id, true);
      expect((await client.runs.get(thread.thread_id, run.run_id)).status).toBe("interrupted");
      expect(performance.now() - cancelled).toBeLessThan(5_000);
    }, 60_000);
  }

  for (const transport of ["redis", "postgres"] as const) {
    test(`a stream read on one API replica resumes on another with Last-Event-ID: no loss, no duplicates (${transport})`, async () => {
      const env = await sharedEnv(transport);
      const first = track(await spawnServer({ env, args: ["--config", CONFIG, "--no-worker"] }));
      const second = track(await spawnServer({ env, args: ["--config", CONFIG, "--no-worker", "--no-migrate"] }));
      track(await spawnServer({ command: "worker", env, args: ["--config", CONFIG, "--no-migrate"] }));
      const client = new Client({ apiUrl: first.url });
      const thread = await client.threads.create();
      const run = await client.runs.create(thread.thread_id, "slow", {
        input: {},
        streamMode: ["values", "custom"],
        streamResumable: true,
        config: { configurable: { steps: 8, delay_ms: 150 } },
      });
      const path = `/threads/${thread.thread_id}/runs/${run.run_id}/stream`;
      const before = await readFirstSse(`${first.url}${path}`, 3);
      expect(before.map((e) => e.id)).toEqual(["0", "1", "2"]);
      const rest = await readSse(`${second.url}${path}`, 30_000, { "last-event-id": "2" });
      const ids = [...before, ...rest].map((e) => Number(e.id));
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i));
      const ticks = [...before, ...rest]
        .filter((e) => e.event === "custom")
        .map((e) => (e.data as { tick: number }).tick);
      expect(ticks).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      // The whole run replayed from the start on the second replica is the same sequence.
      const replay = await readSse(`${second.url}${path}`, 30_000, { "last-event-id": "-1" });
      expect(replay.map((e) => [e.id, e.event])).toEqual([...before, ...rest].map((e) => [e.id, e.event]));
    }, 60_000);
  }

  test("Redis unreachable at start: a clear error naming the URL without its password", async () => {
    const port = await freePort();
    const url = `redis://operator:hunter2-secret@127.0.0.1:${port}/0`;
    const result = await runCli(["worker", "--port", "0"], { DATABASE_URL: await database(), REDIS_URL: url });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot reach Redis at redis://operator:***@127.0.0.1:${port}/0`);
    expect(result.stderr + result.stdout).not.toContain("hunter2-secret");
  }, 60_000);

  test("Redis lost mid-run: /ok says degraded, the run finishes, and everything recovers when Redis returns", async () => {
    const port = await freePort();
    let redis = startRedis(port);
    cleanups.push(() => redis.kill("SIGKILL"));
    const env = { DATABASE_URL: await database(), REDIS_URL: `redis://127.0.0.1:${port}` };
    await accepting(port);
    const api = track(await spawnServer({ env, args: ["--config", CONFIG, "--no-worker"] }));
    const worker = track(await spawnServer({ command: "worker", env, args: ["--config", CONFIG, "--no-migrate"] }));
    const { client, thread, run, stream } = await streamedSlowRun(api, 12, 250);

    redis.kill("SIGKILL");
    await redis.exited;
    for (const p of [api, worker]) {
      await until("degraded", async () => ((await ok(p.url)).redis === "degraded" ? true : undefined));
    }
    await Bun.sleep(1000);
    redis = startRedis(port);
    for (const p of [api, worker]) {
      await until("Redis back", async () => ((await ok(p.url)).redis === "ok" ? true : undefined));
    }

    // The run's state is in PostgreSQL: it ends `success` with every step, and its thread is idle.
    const values = (await client.runs.join(thread.thread_id, run.run_id)) as { steps: number[] };
    expect(values.steps).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect((await client.runs.get(thread.thread_id, run.run_id)).status).toBe("success");
    expect((await client.threads.get(thread.thread_id)).status).toBe("idle");
    // The stream opened before the outage ends too, rather than waiting forever. Redis restarted
    // empty, so what it held is gone and the run's numbering began again: the reader gets what comes
    // after its cursor, and the close.
    const events = await stream;
    expect(events.length).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);

    // And a new run goes through API → Redis → worker as before, streamed to the end.
    const after = await client.runs.wait(thread.thread_id, "slow", {
      input: {},
      config: { configurable: { steps: 2, delay_ms: 10 } },
    });
    expect((after as { steps: number[] }).steps.length).toBe(14);
  }, 120_000);

  test("SIGTERM on a worker with a run in flight: it stops claiming, hands the run back, exits 0; another worker finishes it and the open stream sees the end", async () => {
    const port = await freePort();
    const redis = startRedis(port);
    cleanups.push(() => redis.kill("SIGKILL"));
    const env = {
      DATABASE_URL: await database(),
      REDIS_URL: `redis://127.0.0.1:${port}`,
      FRACTAL_SHUTDOWN_DRAIN_MS: "300",
    };
    await accepting(port);
    const api = track(await spawnServer({ env, args: ["--config", CONFIG, "--no-worker"] }));
    // Both workers are up before the run exists (starting one takes seconds on a busy machine, which
    // the run could outlast); the one that claims it is stopped.
    const workers = await Promise.all(
      [0, 1].map(async () =>
        track(
          await spawnServer({
            command: "worker",
            env: { ...env, LOG_LEVEL: "info" },
            args: ["--config", CONFIG, "--no-migrate"],
          }),
        ),
      ),
    );
    const { client, thread, run, stream } = await streamedSlowRun(api, 10, 200);
    const started = (w: ServerProcess) =>
      w
        .output()
        .split("\n")
        .some((line) => line.includes('"msg":"run started"') && line.includes(`"run_id":"${run.run_id}"`));
    const first = await until("the claiming worker's log", async () => workers.find(started));
    const second = workers.find((w) => w !== first) as ServerProcess;

    first.proc.kill("SIGTERM");
    expect(await first.proc.exited).toBe(0);
    expect(first.output()).toContain("run handed back to the queue at shutdown");

    const values = (await client.runs.join(thread.thread_id, run.run_id)) as { steps: number[] };
    expect(values.steps.length).toBeGreaterThanOrEqual(10);
    const ended = (await client.runs.get(thread.thread_id, run.run_id)) as unknown as {
      status: string;
      attempt: number;
    };
    expect(ended.status).toBe("success");
    expect(ended.attempt).toBe(2);
    const events = await stream;
    const metadata = events.filter((e) => e.event === "metadata").map((e) => (e.data as { attempt: number }).attempt);
    expect(metadata).toEqual([1, 2]);
    const lastValues = events.filter((e) => e.event === "values").at(-1)?.data as { steps: number[] } | undefined;
    expect(lastValues?.steps).toEqual(values.steps);
    expect(second.proc.exitCode).toBeNull();
  }, 120_000);
});
