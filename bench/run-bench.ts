#!/usr/bin/env bun
/**
 * Drives a running server through the official SDK and prints one JSON line of figures.
 * It starts nothing: serve first with the benchmark graphs (bench/compare.ts does it for every mode), e.g.
 *   bun run fractal serve --port 8300 --config bench/langgraph.json
 *   bun bench/run-bench.ts http://127.0.0.1:8300
 * Options (env): BENCH_RUNS (stateless wait runs, 400), BENCH_BACKGROUND (background runs, 400),
 * BENCH_CONCURRENCY (8), BENCH_TURNS (chat turns on one thread, 200), BENCH_SAMPLES (streams timed
 * for the first event, 50), BENCH_SOAK ("1000,10000": stateless runs before the first and the second
 * memory reading; "0" skips it), BENCH_IDLE_S (seconds idle after the soak before a last memory
 * reading, 10), BENCH_PID (read memory from /proc for this process tree instead of the server's
 * /metrics).
 */
import { Client } from "@langchain/langgraph-sdk";
import { pool } from "./pool.ts";
import { treeRssMb } from "./rss.ts";

const url = process.argv[2] ?? process.env.FRACTAL_URL ?? "http://127.0.0.1:2024";
const runs = Number(process.env.BENCH_RUNS ?? 400);
const background = Number(process.env.BENCH_BACKGROUND ?? 400);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const turns = Number(process.env.BENCH_TURNS ?? 200);
const samples = Number(process.env.BENCH_SAMPLES ?? 50);
const soak = (process.env.BENCH_SOAK ?? "1000,10000").split(",").map(Number);
const idleSeconds = Number(process.env.BENCH_IDLE_S ?? 10);
const pid = process.env.BENCH_PID ? Number(process.env.BENCH_PID) : undefined;
const client = new Client({ apiUrl: url, callerOptions: { maxConcurrency: 64, maxRetries: 0 } });

const pct = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const round = (x: number) => Math.round(x * 10) / 10;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const progress = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
const userTurn = (i: number) => ({ messages: [{ role: "user", content: `turn ${i}` }] });

async function statelessRuns(count: number) {
  return pool(count, concurrency, async () => {
    const t = performance.now();
    const values = (await client.runs.wait(null, "trivial", { input: { count: 0 } })) as { count: number };
    if (values.count !== 2) throw new Error(`unexpected result ${JSON.stringify(values)}`);
    return performance.now() - t;
  });
}

async function statelessWait() {
  progress(`stateless runs/wait: ${runs} runs at concurrency ${concurrency}`);
  await statelessRuns(20); // warm-up
  const started = performance.now();
  const latencies = await statelessRuns(runs);
  const seconds = (performance.now() - started) / 1000;
  return { runs_per_s: round(runs / seconds), p50_ms: round(pct(latencies, 50)), p95_ms: round(pct(latencies, 95)) };
}

/** Time to the first event and the first token of a streamed chat run, each on a new thread. */
async function streamOnThread() {
  progress(`runs/stream on a new thread (values + messages-tuple): ${samples} runs`);
  const firstEvents: number[] = [];
  const firstTokens: number[] = [];
  for (let i = -3; i < samples; i++) {
    const thread = await client.threads.create();
    const t = performance.now();
    let event: number | undefined;
    let token: number | undefined;
    for await (const e of client.runs.stream(thread.thread_id, "chat", {
      input: userTurn(0),
      streamMode: ["values", "messages-tuple"],
    })) {
      event ??= performance.now() - t;
      if (e.event === "messages" && token === undefined) token = performance.now() - t;
    }
    if (token === undefined) throw new Error("the chat run streamed no token");
    if (i >= 0) {
      firstEvents.push(event as number);
      firstTokens.push(token);
    }
  }
  return {
    first_event_p50_ms: round(pct(firstEvents, 50)),
    first_event_p95_ms: round(pct(firstEvents, 95)),
    first_token_p50_ms: round(pct(firstTokens, 50)),
    first_token_p95_ms: round(pct(firstTokens, 95)),
  };
}

/** Per-turn latency of `turns` sequential chat turns on one thread; the final state must hold them all. */
async function longThread() {
  progress(`long thread: ${turns} chat turns on one thread`);
  // Warm-up on another thread, so the first turns measured are not the server's first chat runs.
  const scratch = await client.threads.create();
  for (let i = 0; i < 5; i++) await client.runs.wait(scratch.thread_id, "chat", { input: userTurn(i) });
  const thread = await client.threads.create();
  const latencies: number[] = [];
  for (let i = 0; i < turns; i++) {
    const t = performance.now();
    await client.runs.wait(thread.thread_id, "chat", { input: userTurn(i) });
    latencies.push(performance.now() - t);
  }
  const t = performance.now();
  const state = await client.threads.getState<{ messages: unknown[] }>(thread.thread_id);
  const stateMs = performance.now() - t;
  const history = await client.threads.getHistory(thread.thread_id, { limit: 10 });
  if (state.values.messages.length !== 2 * turns)
    throw new Error(`the thread holds ${state.values.messages.length} messages, not ${2 * turns}`);
  if (history.length !== Math.min(10, 2 * turns + 1)) throw new Error(`history gave ${history.length} entries`);
  const window = Math.max(1, Math.floor(turns / 20));
  const first = mean(latencies.slice(0, window));
  const last = mean(latencies.slice(-window));
  return {
    turns,
    messages: state.values.messages.length,
    turn_first_ms: round(first),
    turn_last_ms: round(last),
    growth: Math.round((last / first) * 100) / 100,
    state_read_ms: round(stateMs),
  };
}

async function backgroundJoin() {
  progress(`background create + join: ${background} runs on ${concurrency} threads`);
  const threads = await pool(concurrency, concurrency, () => client.threads.create());
  const started = performance.now();
  await pool(background, concurrency, async (i) => {
    const thread = threads[i % concurrency] as { thread_id: string };
    const run = await client.runs.create(thread.thread_id, "trivial", {
      input: { count: 0 },
      multitaskStrategy: "enqueue",
    });
    await client.runs.join(thread.thread_id, run.run_id);
  });
  return { runs_per_s: round(background / ((performance.now() - started) / 1000)) };
}

/** The server's resident memory in MB: its process tree (BENCH_PID), else its /metrics. */
async function rssMb(): Promise<number> {
  if (pid !== undefined) return treeRssMb(pid);
  const text = await (await fetch(`${url}/metrics`)).text();
  const bytes = Number(/^process_resident_memory_bytes (\d+)/m.exec(text)?.[1]);
  return round(bytes / 1e6);
}

/** RSS after `soak[0]` more stateless runs, then after `soak[1]` more: a leak shows as growth. */
async function memorySoak() {
  const [first = 0, more = 0] = soak;
  if (first <= 0) return {};
  progress(`memory: ${first} stateless runs, then ${more} more`);
  await statelessRuns(first);
  const afterFirst = await rssMb();
  await statelessRuns(more);
  const afterMore = await rssMb();
  // Then idle: what a server that had a busy spell holds (the embedded thread is recycled when idle).
  progress(`memory: ${idleSeconds} s idle`);
  await Bun.sleep(idleSeconds * 1000);
  return {
    [`rss_after_${first}_mb`]: afterFirst,
    [`rss_after_${first + more}_mb`]: afterMore,
    soak_ratio: Math.round((afterMore / afterFirst) * 100) / 100,
    [`rss_after_${idleSeconds}s_idle_mb`]: await rssMb(),
  };
}

const info = (await (await fetch(`${url}/info`)).json()) as { storage?: string; version?: string };
const rssStart = await rssMb();
// The long thread first: the throughput phases leave cleanup work (deleted temporary threads) behind.
const long_thread = await longThread();
const stream = await streamOnThread();
const stateless_wait = await statelessWait();
const backgroundFigures = await backgroundJoin();
const rssAfterBench = await rssMb();
const result = {
  url,
  storage: info.storage ?? null,
  version: info.version ?? null,
  concurrency,
  stateless_wait,
  stream,
  long_thread,
  background: backgroundFigures,
  memory: { rss_start_mb: rssStart, rss_after_bench_mb: rssAfterBench, ...(await memorySoak()) },
};
console.log(JSON.stringify(result));
