import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@langchain/langgraph-sdk";
import { spawnServer } from "./harness.ts";
import { readSse } from "./sse.ts";

const CONFIG = resolve(import.meta.dir, "fixtures/run-graphs/langgraph.json");
const FAST_LEASES = { FRACTAL_RUN_LEASE_MS: "600", FRACTAL_RUN_SWEEP_MS: "200", FRACTAL_STREAM_HEARTBEAT_MS: "100" };

/** Runs `body` with the server args for a fresh data dir, removed afterwards. */
async function withDataDir(body: (args: string[]) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "fractal-durable-"));
  try {
    await body(["--config", CONFIG, "--data-dir", dataDir]);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Starts a `slow` run on a new thread and returns once a worker is executing it. */
async function startSlowRun(client: Client, steps: number, delayMs: number) {
  const thread = await client.threads.create();
  const run = await client.runs.create(thread.thread_id, "slow", {
    input: {},
    config: { configurable: { steps, delay_ms: delayMs } },
  });
  while ((await client.runs.get(thread.thread_id, run.run_id)).status !== "running") await Bun.sleep(20);
  return { threadId: thread.thread_id, runId: run.run_id };
}

/** Status and attempt of a run as the API reports them. */
async function runState(client: Client, threadId: string, runId: string) {
  const run = await client.runs.get(threadId, runId);
  return { status: run.status, attempt: (run as unknown as { attempt: number }).attempt };
}

describe("durable runs", () => {
  test("a run whose server is killed -9 mid-run is picked up again after restart and completes", async () => {
    await withDataDir(async (args) => {
      const first = await spawnServer({ args, env: FAST_LEASES });
      const { threadId, runId } = await startSlowRun(new Client({ apiUrl: first.url }), 10, 200);
      first.proc.kill("SIGKILL");
      await first.proc.exited;

      const second = await spawnServer({ args, env: FAST_LEASES });
      const client = new Client({ apiUrl: second.url });
      const values = (await client.runs.join(threadId, runId)) as { steps: number[] };
      expect(values.steps).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(await runState(client, threadId, runId)).toEqual({ status: "success", attempt: 2 });
      expect((await client.threads.get(threadId)).status).toBe("idle");
      // The restarted server's maintenance found the expired lease and put the run back in the queue.
      const metrics = await (await fetch(`${second.url}/metrics`)).text();
      expect(metrics).toContain('fractal_run_lease_expiries_total{result="requeued"} 1');
      second.proc.kill("SIGTERM");
      await second.proc.exited;
    });
  }, 90_000);

  test("SIGTERM lets a run in flight finish before the process exits (drain)", async () => {
    await withDataDir(async (args) => {
      const first = await spawnServer({ args, env: { FRACTAL_SHUTDOWN_DRAIN_MS: "20000" } });
      const { threadId, runId } = await startSlowRun(new Client({ apiUrl: first.url }), 6, 150);
      first.proc.kill("SIGTERM");
      expect(await first.proc.exited).toBe(0);

      const second = await spawnServer({ args });
      const client = new Client({ apiUrl: second.url });
      expect(await runState(client, threadId, runId)).toEqual({ status: "success", attempt: 1 });
      expect(((await client.threads.get(threadId)).values as { steps: number[] }).steps).toEqual([0, 1, 2, 3, 4, 5]);
      second.proc.kill("SIGTERM");
      await second.proc.exited;
    });
  }, 60_000);

  test("SIGTERM with open streams: a run that finishes in the drain streams to its end; one that does not ends with ServerShutdown", async () => {
    await withDataDir(async (args) => {
      const first = await spawnServer({ args, env: { FRACTAL_SHUTDOWN_DRAIN_MS: "1500" } });
      const client = new Client({ apiUrl: first.url });
      const short = await startSlowRun(client, 4, 150);
      const long = await startSlowRun(client, 40, 250);
      const stream = (run: { threadId: string; runId: string }) =>
        readSse(`${first.url}/threads/${run.threadId}/runs/${run.runId}/stream`, 30_000);
      const [shortStream, longStream] = [stream(short), stream(long)];
      await Bun.sleep(200);
      first.proc.kill("SIGTERM");
      expect(await first.proc.exited).toBe(0);

      const shortEvents = await shortStream;
      expect(shortEvents.some((e) => e.event === "error")).toBe(false);
      expect((shortEvents.at(-1)?.data as { steps: number[] } | undefined)?.steps).toEqual([0, 1, 2, 3]);
      const longEvents = await longStream;
      expect(longEvents.at(-1)).toMatchObject({ event: "error", data: { error: "ServerShutdown" } });
      expect(longEvents.filter((e) => e.event === "error").length).toBe(1);
    });
  }, 60_000);

  test("a run still going when the drain time is up goes back to the queue and completes after restart", async () => {
    await withDataDir(async (args) => {
      // A long lease: the run must come back because it was released, not because its lease expired.
      const env = { FRACTAL_SHUTDOWN_DRAIN_MS: "200", FRACTAL_RUN_LEASE_MS: "600000" };
      const first = await spawnServer({ args, env });
      const { threadId, runId } = await startSlowRun(new Client({ apiUrl: first.url }), 8, 250);
      first.proc.kill("SIGTERM");
      expect(await first.proc.exited).toBe(0);

      const second = await spawnServer({ args, env });
      const client = new Client({ apiUrl: second.url });
      // With the 10-minute lease, only the release lets this join return within the test's time.
      const values = (await client.runs.join(threadId, runId)) as { steps: number[] };
      expect(values.steps).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(await runState(client, threadId, runId)).toEqual({ status: "success", attempt: 2 });
      second.proc.kill("SIGTERM");
      await second.proc.exited;
    });
  }, 90_000);

  test("idle streams carry heartbeat comments", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "fractal-heartbeat-"));
    let server: Awaited<ReturnType<typeof spawnServer>> | undefined;
    try {
      server = await spawnServer({ args: ["--config", CONFIG, "--data-dir", dataDir], env: FAST_LEASES });
      const res = await fetch(`${server.url}/runs/stream`, {
        method: "POST",
        body: JSON.stringify({
          assistant_id: "slow",
          input: {},
          config: { configurable: { steps: 1, delay_ms: 700 } },
        }),
      });
      const text = await res.text();
      expect(text.match(/^: heartbeat$/gm)?.length ?? 0).toBeGreaterThanOrEqual(3);
      // The run's last event came after the heartbeats, and the stream then closed.
      expect(text.trimEnd().split("\n\n").at(-1)).toStartWith("event: values");
    } finally {
      // Also when an assertion failed: a server left behind keeps running after the suite.
      server?.proc.kill("SIGTERM");
      await server?.proc.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
