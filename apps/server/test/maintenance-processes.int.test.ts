import { afterAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { createTestDatabase, requireTestPostgresUrl } from "@fractal/infra/storage/testing/postgres";
import { Client } from "@langchain/langgraph-sdk";
import { type ServerProcess, spawnServer } from "./harness.ts";

const CONFIG = resolve(import.meta.dir, "fixtures/run-graphs/langgraph.json");

/**
 * The jobs every process runs (cron ticks, webhook sends, lease sweeps), with three processes on
 * one database: each unit of work happens exactly once, whichever process gets it.
 */
describe("maintenance jobs on three processes (postgres)", () => {
  const processes: ServerProcess[] = [];
  const deliveries = new Map<string, number>();
  const receiver = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const body = (await request.json()) as { run_id: string };
      deliveries.set(body.run_id, (deliveries.get(body.run_id) ?? 0) + 1);
      return new Response(null, { status: 204 });
    },
  });
  let drop = async () => {};
  afterAll(async () => {
    for (const p of processes) p.proc.kill("SIGKILL");
    await Promise.all(processes.map((p) => p.proc.exited));
    receiver.stop(true);
    await drop();
  });

  test("each cron tick fires once, each webhook is sent once, and a dead process's run is re-queued once", async () => {
    const db = await createTestDatabase(requireTestPostgresUrl());
    drop = db.drop;
    const env = {
      DATABASE_URL: db.url,
      FRACTAL_CRON_POLL_MS: "100",
      FRACTAL_RUN_SWEEP_MS: "100",
      FRACTAL_RUN_LEASE_MS: "1000",
      FRACTAL_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
    };
    processes.push(await spawnServer({ env, args: ["--config", CONFIG] }));
    processes.push(
      ...(await Promise.all([1, 2].map(() => spawnServer({ env, args: ["--config", CONFIG, "--no-migrate"] })))),
    );
    const clients = processes.map((p) => new Client({ apiUrl: p.url }));
    const [a, b, c] = clients as [Client, Client, Client];
    const webhook = `http://127.0.0.1:${receiver.port}/hook`;

    // Cron: every second for ~3.5 s; each tick is one run, and each run's webhook one request.
    const thread = await a.threads.create();
    const cron = await a.crons.createForThread(thread.thread_id, "slow", {
      schedule: "* * * * * *",
      multitaskStrategy: "enqueue",
      webhook,
      input: {},
      config: { configurable: { steps: 1, delay_ms: 1 } },
    });
    const cronStarted = Date.now();
    // Background runs with webhooks, created through all three processes.
    const threads = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (clients[i % 3] as Client).threads.create()),
    );
    const runs = await Promise.all(
      threads.map((t, i) =>
        (clients[i % 3] as Client).runs.create(t.thread_id, "slow", {
          input: {},
          webhook,
          config: { configurable: { steps: 2, delay_ms: 20 } },
        }),
      ),
    );
    await Bun.sleep(Math.max(0, 3500 - (Date.now() - cronStarted)));
    await b.crons.update(cron.cron_id, { enabled: false });
    const cronSeconds = (Date.now() - cronStarted) / 1000;
    await Promise.all(runs.map((r, i) => (clients[i % 3] as Client).runs.join(r.thread_id, r.run_id)));

    const cronRuns = await c.runs.list(thread.thread_id, { limit: 100 });
    const ticks = cronRuns.map((r) => String((r.metadata as { cron_tick?: string }).cron_tick));
    expect(cronRuns.length).toBeGreaterThanOrEqual(3);
    expect(cronRuns.length).toBeLessThanOrEqual(Math.ceil(cronSeconds) + 1);
    expect(new Set(ticks).size).toBe(ticks.length);

    const expected = [...runs.map((r) => r.run_id), ...cronRuns.map((r) => r.run_id)];
    const deadline = Date.now() + 15_000;
    while (expected.some((id) => !deliveries.has(id)) && Date.now() < deadline) await Bun.sleep(100);
    await Bun.sleep(1500); // a second sender would have sent by now
    expect(expected.map((id) => deliveries.get(id))).toEqual(expected.map(() => 1));

    // A run executing in the third process when it dies: one of the others re-queues it, once.
    const victim = processes[2] as ServerProcess;
    const doomed = await c.threads.create();
    const slowRun = await c.runs.create(doomed.thread_id, "slow", {
      input: {},
      config: { configurable: { steps: 6, delay_ms: 200 } },
    });
    while ((await a.runs.get(doomed.thread_id, slowRun.run_id)).status !== "running") await Bun.sleep(20);
    victim.proc.kill("SIGKILL");
    await victim.proc.exited;
    await a.runs.join(doomed.thread_id, slowRun.run_id);
    const ended = (await a.runs.get(doomed.thread_id, slowRun.run_id)) as unknown as {
      status: string;
      attempt: number;
    };
    expect(ended).toMatchObject({ status: "success", attempt: 2 });
  }, 120_000);
});
