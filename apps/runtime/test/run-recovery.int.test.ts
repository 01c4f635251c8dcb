import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@langchain/langgraph-sdk";
import { spawnServer } from "./harness.ts";

const CONFIG = resolve(import.meta.dir, "fixtures/run-graphs/langgraph.json");
const FAST_LEASES = { FRACTAL_RUN_LEASE_MS: "600", FRACTAL_RUN_SWEEP_MS: "200", FRACTAL_STREAM_HEARTBEAT_MS: "100" };

describe("durable runs", () => {
  test("a run whose server is killed -9 mid-run is picked up again after restart and completes", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "fractal-recovery-"));
    try {
      const first = await spawnServer({ args: ["--config", CONFIG, "--data-dir", dataDir], env: FAST_LEASES });
      let client = new Client({ apiUrl: first.url });
      const thread = await client.threads.create();
      const run = await client.runs.create(thread.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 10, delay_ms: 200 } },
      });
      while ((await client.runs.get(thread.thread_id, run.run_id)).status !== "running") await Bun.sleep(50);
      first.proc.kill("SIGKILL");
      await first.proc.exited;

      const second = await spawnServer({ args: ["--config", CONFIG, "--data-dir", dataDir], env: FAST_LEASES });
      client = new Client({ apiUrl: second.url });
      const values = (await client.runs.join(thread.thread_id, run.run_id)) as { steps: number[] };
      expect(values.steps).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const after = await client.runs.get(thread.thread_id, run.run_id);
      expect(after.status).toBe("success");
      expect((after as unknown as { attempt: number }).attempt).toBe(2);
      expect((await client.threads.get(thread.thread_id)).status).toBe("idle");
      second.proc.kill("SIGTERM");
      await second.proc.exited;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  test("SIGTERM lets a run in flight finish before the process exits (drain)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "fractal-drain-"));
    try {
      const args = ["--config", CONFIG, "--data-dir", dataDir];
      const first = await spawnServer({ args, env: { FRACTAL_SHUTDOWN_DRAIN_MS: "20000" } });
      let client = new Client({ apiUrl: first.url });
      const thread = await client.threads.create();
      const run = await client.runs.create(thread.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 6, delay_ms: 150 } },
      });
      while ((await client.runs.get(thread.thread_id, run.run_id)).status !== "running") await Bun.sleep(20);
      first.proc.kill("SIGTERM");
      expect(await first.proc.exited).toBe(0);

      const second = await spawnServer({ args });
      client = new Client({ apiUrl: second.url });
      const after = await client.runs.get(thread.thread_id, run.run_id);
      expect(after.status).toBe("success");
      expect((after as unknown as { attempt: number }).attempt).toBe(1);
      expect(((await client.threads.get(thread.thread_id)).values as { steps: number[] }).steps).toEqual([
        0, 1, 2, 3, 4, 5,
      ]);
      second.proc.kill("SIGTERM");
      await second.proc.exited;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  test("a run still going when the drain time is up goes back to the queue and completes after restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "fractal-release-"));
    try {
      const args = ["--config", CONFIG, "--data-dir", dataDir];
      // A long lease: the run must come back because it was released, not because its lease expired.
      const env = { FRACTAL_SHUTDOWN_DRAIN_MS: "200", FRACTAL_RUN_LEASE_MS: "600000" };
      const first = await spawnServer({ args, env });
      let client = new Client({ apiUrl: first.url });
      const thread = await client.threads.create();
      const run = await client.runs.create(thread.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 8, delay_ms: 250 } },
      });
      while ((await client.runs.get(thread.thread_id, run.run_id)).status !== "running") await Bun.sleep(20);
      first.proc.kill("SIGTERM");
      expect(await first.proc.exited).toBe(0);

      const second = await spawnServer({ args, env });
      client = new Client({ apiUrl: second.url });
      // With the 10-minute lease, only the release lets this join return within the test's time.
      const values = (await client.runs.join(thread.thread_id, run.run_id)) as { steps: number[] };
      expect(values.steps).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      const after = await client.runs.get(thread.thread_id, run.run_id);
      expect(after.status).toBe("success");
      expect((after as unknown as { attempt: number }).attempt).toBe(2);
      second.proc.kill("SIGTERM");
      await second.proc.exited;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  test("idle streams carry heartbeat comments", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "fractal-heartbeat-"));
    try {
      const server = await spawnServer({ args: ["--config", CONFIG, "--data-dir", dataDir], env: FAST_LEASES });
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
      expect(text).toContain("event: end");
      server.proc.kill("SIGTERM");
      await server.proc.exited;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
