import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { testRedisUrl } from "@fractal/infra/testing/redis";
import { Client } from "@langchain/langgraph-sdk";
import { pool } from "../../../bench/pool.ts";
import { type ServerProcess, useSpawned } from "./harness.ts";
import { readSse, type SseEvent } from "./sse.ts";

const CONFIG = resolve(import.meta.dir, "fixtures/run-graphs/langgraph.json");
const THREADS = 250;
const RUNS_PER_THREAD = 4;
const JOINED = 20;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor((p / 100) * (xs.length - 1))] ?? 0;

/** Every store item under a namespace prefix, page by page. */
async function allItems(client: Client, prefix: string[]) {
  type Recorded = { namespace: string[]; createdAt: string; value: { pid: number } };
  const items: Recorded[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await client.store.searchItems(prefix, { limit: 1000, offset });
    items.push(...(page.items as unknown as Recorded[]));
    if (page.items.length < 1000) return items;
  }
}

const countBy = (keys: string[]) => {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return counts;
};

/** Resolves once the process at `url` executes at least one run (its fractal_worker_slots_busy), or after 10 s. */
async function busySlots(url: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const text = await (await fetch(`${url}/metrics`)).text();
    if (Number(/^fractal_worker_slots_busy (\S+)$/m.exec(text)?.[1] ?? 0) > 0) return;
    await Bun.sleep(20);
  }
}
for (const transport of ["redis", "postgres"] as const) {
  describe(`scale-out: 2 API processes + 2 worker processes, events over ${transport}`, () => {
    const spawned = useSpawned();

    test("1,000 background runs survive a worker killed -9 mid-way: each completes once, streams see every event", async () => {
      const env = {
        DATABASE_URL: await spawned.database(),
        // Without Redis, API and worker processes share events through PostgreSQL (LISTEN/NOTIFY).
        ...(transport === "redis" ? { REDIS_URL: testRedisUrl() } : {}),
        FRACTAL_REDIS_PREFIX: `scale-${crypto.randomUUID().slice(0, 8)}`,
        FRACTAL_RUN_LEASE_MS: "1500",
        FRACTAL_RUN_SWEEP_MS: "250",
        N_JOBS_PER_WORKER: "10",
        FRACTAL_MULTITASK_STRATEGY: "enqueue",
      };
      const start = async (command: "serve" | "worker", extra: string[] = []) => {
        return spawned.start({ command, env, args: ["--config", CONFIG, ...extra] });
      };
      // The first process migrates; the others find the schema ready.
      const apiA = await start("serve", ["--no-worker"]);
      const [apiB, workerOne, workerTwo] = await Promise.all([
        start("serve", ["--no-worker", "--no-migrate"]),
        start("worker", ["--no-migrate"]),
        start("worker", ["--no-migrate"]),
      ]);
      expect(await (await fetch(`${workerOne.url}/ok`)).json()).toEqual(
        transport === "redis" ? { ok: true, redis: "ok" } : { ok: true },
      );
      expect((await fetch(`${workerTwo.url}/metrics`)).status).toBe(200);
      expect((await fetch(`${workerOne.url}/threads`, { method: "POST" })).status).toBe(404);
      const clients = [new Client({ apiUrl: apiA.url }), new Client({ apiUrl: apiB.url })];
      const client = (i: number) => clients[i % 2] as Client;

      const threads = await pool(THREADS, 16, async (i) => (await client(i).threads.create()).thread_id);
      const total = THREADS * RUNS_PER_THREAD;
      const created: { threadId: string; runId: string; createdAt: string; index: number }[] = [];
      const joins: Promise<SseEvent[]>[] = [];
      let killedAt = 0;
      let restarted: Promise<ServerProcess> | undefined;
      const startedAt = performance.now();
      await pool(total, 16, async (n) => {
        const threadIndex = n % THREADS;
        const index = Math.floor(n / THREADS);
        const threadId = threads[threadIndex] as string;
        const run = await client(n).runs.create(threadId, "recorded", {
          input: {},
          streamMode: ["values", "custom"],
          config: { configurable: { steps: 3, delay_ms: 30 } },
        });
        created.push({ threadId, runId: run.run_id, createdAt: run.created_at, index });
        // Runs created on API A, joined through API B while they are queued or running.
        if (n % 2 === 0 && joins.length < JOINED) {
          joins.push(readSse(`${apiB.url}/threads/${threadId}/runs/${run.run_id}/stream`, 120_000));
        }
        // Mid-way, one worker dies without a chance to hand anything back; it comes back a second later.
        // It is killed while it executes runs (its /metrics shows busy slots), so some must be redone.
        if (n === Math.floor(total / 2)) {
          restarted = busySlots(workerOne.url).then(async () => {
            killedAt = Date.now();
            workerOne.proc.kill("SIGKILL");
            await workerOne.proc.exited;
            await Bun.sleep(1000);
            return start("worker", ["--no-migrate"]);
          });
        }
      });
      await restarted;

      // Every run ends `success`, none twice; no thread stays busy.
      const lastRuns = created.filter((r) => r.index === RUNS_PER_THREAD - 1);
      await pool(lastRuns.length, 32, (i) => {
        const r = lastRuns[i] as (typeof lastRuns)[number];
        return client(i).runs.join(r.threadId, r.runId);
      });
      const elapsedS = (performance.now() - startedAt) / 1000;
      const statuses = await pool(THREADS, 16, async (i) => {
        const runs = await client(i).runs.list(threads[i] as string, { limit: 10 });
        return runs.map((r) => r.status);
      });
      expect(statuses.flat().length).toBe(total);
      expect(countBy(statuses.flat())).toEqual(new Map([["success", total]]));
      expect(await clients[0]?.threads.search({ status: "busy", limit: 10 })).toEqual([]);
      expect((await clients[1]?.threads.search({ status: "idle", limit: 1000 }))?.length).toBe(THREADS);

      // A run's last node may run again after the kill: its side effect was done, its checkpoint not
      // yet written when the process died (LangGraph re-runs an unfinished step). A live worker may
      // leave such a twin only when its lease lapsed (heartbeats late under load): it then logs the
      // lost lease of that run and stops the attempt. Any other repeat would mean two live workers
      // ran one run.
      const restartedWorker = (await restarted) as ServerProcess;
      const lostLease = (pid: number, runId: string) =>
        [workerTwo, restartedWorker]
          .find((p) => p.proc.pid === pid)
          ?.output()
          .split("\n")
          .some((line) => line.includes("lease lost") && line.includes(`"run_id":"${runId}"`)) ?? false;
      const completions = await allItems(clients[0] as Client, ["completions"]);
      const completedBy = new Map<string, number[]>();
      for (const item of completions) {
        const id = item.namespace[1] ?? "";
        completedBy.set(id, [...(completedBy.get(id) ?? []), item.value.pid]);
      }
      expect(completedBy.size).toBe(total);
      const killedPid = workerOne.proc.pid;
      const repeated = [...completedBy.entries()].filter(([, pids]) => pids.length > 1);
      for (const [runId, pids] of repeated) {
        expect(pids.length).toBe(2);
        if (!pids.includes(killedPid)) expect(pids.some((pid) => lostLease(pid, runId))).toBe(true);
      }

      const executions = await allItems(clients[1] as Client, ["executions"]);
      const perRun = countBy(executions.map((i) => i.namespace[1] ?? ""));
      expect(perRun.size).toBe(total);
      const reExecuted = [...perRun.values()].filter((n) => n > 1).length;
      // Re-executions after the kill: the runs the killed worker held, started again elsewhere.
      const restartsAfterKill = executions
        .filter((i) => (perRun.get(i.namespace[1] ?? "") ?? 0) > 1 && Date.parse(i.createdAt) > killedAt)
        .map((i) => Date.parse(i.createdAt) - killedAt);
      // The runs the killed worker held went back to the queue when their leases expired: the
      // surviving processes' maintenance counted them. (Whether a step ran twice depends on where
      // each run was when the process died, so re-executions are reported, not required.)
      let requeued = 0;
      for (const p of [apiA, apiB, workerTwo, restartedWorker]) {
        const text = await (await fetch(`${p.url}/metrics`)).text();
        requeued += Number(/^fractal_run_lease_expiries_total\{result="requeued"\} (\S+)$/m.exec(text)?.[1] ?? 0);
      }
      expect(requeued).toBeGreaterThan(0);
      const firstStart = new Map<string, number>();
      for (const i of executions) {
        const id = i.namespace[1] ?? "";
        const at = Date.parse(i.createdAt);
        if (!firstStart.has(id) || at < (firstStart.get(id) ?? 0)) firstStart.set(id, at);
      }
      const waits = created.map((r) => (firstStart.get(r.runId) ?? 0) - Date.parse(r.createdAt));

      // Streams joined through the other API: the run's events from start to end, in order, none twice.
      const streams = await Promise.all(joins);
      expect(streams.length).toBe(JOINED);
      for (const events of streams) {
        expect(events[0]?.event).toBe("metadata");
        const ids = events.map((e) => Number(e.id));
        expect(ids).toEqual([...ids].sort((a, b) => a - b));
        expect(new Set(ids).size).toBe(ids.length);
        const ticks = events.filter((e) => e.event === "custom").map((e) => (e.data as { tick: number }).tick);
        expect(new Set(ticks)).toEqual(new Set([0, 1, 2]));
        const values = events.filter((e) => e.event === "values");
        const final = values.at(-1)?.data as { steps: number[] };
        expect(final.steps.length % 3).toBe(0);
        expect(final.steps.length).toBeGreaterThan(0);
      }

      console.log(
        JSON.stringify({
          scale_out: {
            transport,
            runs: total,
            seconds: Math.round(elapsedS * 10) / 10,
            runs_per_s: Math.round(total / elapsedS),
            re_executed: reExecuted,
            requeued_after_kill: requeued,
            last_step_repeated: repeated.length,
            recovery_ms: restartsAfterKill.length > 0 ? Math.max(...restartsAfterKill) : null,
            queue_wait_p50_ms: pct(waits, 50),
            queue_wait_p95_ms: pct(waits, 95),
          },
        }),
      );
    }, 300_000);
  });
}
