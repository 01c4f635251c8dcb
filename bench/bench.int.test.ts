import { expect, test } from "bun:test";
import { resolve } from "node:path";

// A smoke run of the side-by-side benchmark (tiny counts, no thresholds) so the scripts cannot rot:
// bench/compare.ts must start each mode, drive it with bench/run-bench.ts and print one JSON line
// per mode holding every figure. PostgreSQL joins when TEST_DATABASE_URL is set; the JS dev server
// when node and @langchain/langgraph-cli are there (compare.ts says so when it skips one).
const databaseUrl = process.env.TEST_DATABASE_URL;
const modes = ["embedded", ...(databaseUrl ? ["postgres"] : []), "js-dev"];

test("bench/compare.ts prints one JSON line per mode with every figure", async () => {
  const bench = Bun.spawn(["bun", resolve(import.meta.dir, "compare.ts")], {
    env: {
      ...process.env,
      BENCH_MODES: modes.join(","),
      BENCH_DATABASE_URL: databaseUrl ?? "",
      BENCH_RUNS: "12",
      BENCH_BACKGROUND: "8",
      BENCH_TURNS: "6",
      BENCH_SAMPLES: "3",
      BENCH_CONCURRENCY: "2",
      BENCH_SOAK: "10,20",
      BENCH_JS_DEV_SOAK: "4,4",
      BENCH_IDLE_S: "0",
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(bench.stdout).text(),
    new Response(bench.stderr).text(),
    bench.exited,
  ]);
  expect(code, err).toBe(0);
  const lines = out
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  const skippedJsDev = err.includes("js-dev: skipped");
  if (skippedJsDev) console.log("bench smoke: the JS dev server is not available here; its mode was skipped");
  expect(lines.map((line) => line.mode)).toEqual(modes.filter((m) => m !== "js-dev" || !skippedJsDev));
  for (const figures of lines) {
    const { memory, long_thread: longThread } = figures;
    // Read before toMatchObject: Bun's asymmetric matchers may replace the values they match.
    expect(memory.rss_after_bench_mb).toBeGreaterThan(10);
    expect(memory.soak_ratio).toBeGreaterThan(0);
    expect(memory.rss_after_0s_idle_mb).toBeGreaterThan(10);
    expect(longThread.messages).toBe(12);
    expect(figures).toMatchObject({
      stateless_wait: { runs_per_s: expect.any(Number), p50_ms: expect.any(Number), p95_ms: expect.any(Number) },
      stream: { first_event_p50_ms: expect.any(Number), first_token_p50_ms: expect.any(Number) },
      long_thread: { growth: expect.any(Number), turn_first_ms: expect.any(Number), state_read_ms: expect.any(Number) },
      background: { runs_per_s: expect.any(Number) },
      memory: { rss_start_mb: expect.any(Number) },
    });
  }
}, 240_000);
