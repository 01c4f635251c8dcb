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
