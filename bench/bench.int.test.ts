import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type ServerProcess, spawnServer } from "../apps/server/test/harness.ts";

// A smoke run of the benchmark (tiny counts, no thresholds) so the script cannot rot: it must
// drive a server and print one JSON line holding every figure.
const dataDir = mkdtempSync(join(tmpdir(), "fractal-bench-smoke-"));
let server: ServerProcess | undefined;
afterAll(async () => {
  server?.proc.kill("SIGTERM");
  await server?.proc.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

test("bench/run-bench.ts prints one JSON line with every figure", async () => {
  server = await spawnServer({
    args: ["--config", resolve(import.meta.dir, "langgraph.json"), "--data-dir", dataDir],
    env: { DATABASE_URL: "", POSTGRES_URI: "" },
  });
  const bench = Bun.spawn(["bun", resolve(import.meta.dir, "run-bench.ts"), server.url], {
    env: { ...process.env, BENCH_RUNS: "12", BENCH_TURNS: "12", BENCH_SAMPLES: "3", BENCH_CONCURRENCY: "2" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, code] = await Promise.all([new Response(bench.stdout).text(), bench.exited]);
  expect(code).toBe(0);
  const lines = out.trim().split("\n");
  expect(lines.length).toBe(1);
  const figures = JSON.parse(lines[0] as string);
  const rss = figures.memory?.rss_end_mb as number;
  expect(rss).toBeGreaterThan(10);
  expect(figures).toMatchObject({
    storage: "pglite",
    stateless_wait: { runs_per_s: expect.any(Number), p50_ms: expect.any(Number), p95_ms: expect.any(Number) },
    stream: { first_event_p50_ms: expect.any(Number), first_token_p50_ms: expect.any(Number) },
    thread_growth: { growth: expect.any(Number) },
    chat_history_growth: { growth: expect.any(Number) },
    background: { background_runs_per_s: expect.any(Number) },
    memory: { rss_start_mb: expect.any(Number), rss_end_mb: expect.any(Number) },
  });
}, 120_000);
