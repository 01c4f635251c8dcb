#!/usr/bin/env bun
/**
 * Drives a running server through the official SDK and prints one JSON line of figures.
 * It starts nothing: serve first with the benchmark graphs, e.g.
 *   bun run fractal serve --port 8300 --config bench/langgraph.json
 *   bun bench/run-bench.ts http://127.0.0.1:8300
 * Options (env): BENCH_RUNS (stateless wait runs, 400), BENCH_CONCURRENCY (8), BENCH_TURNS (100),
 * BENCH_SAMPLES (streams timed for the first event, 50). The server's resident memory is read from its
 * /metrics before and after.
 */
import { Client } from "@langchain/langgraph-sdk";
import { pool } from "./pool.ts";

const url = process.argv[2] ?? process.env.FRACTAL_URL ?? "http://127.0.0.1:2024";
const runs = Number(process.env.BENCH_RUNS ?? 400);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const turns = Number(process.env.BENCH_TURNS ?? 100);
const samples = Number(process.env.BENCH_SAMPLES ?? 50);
const client = new Client({ apiUrl: url, callerOptions: { maxConcurrency: 64, maxRetries: 0 } });

const pct = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const round = (x: number) => Math.round(x * 10) / 10;
const progress = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

async function statelessWait() {
  progress(`stateless runs/wait: ${runs} runs at concurrency ${concurrency}`);
  await pool(20, concurrency, () => client.runs.wait(null, "trivial", { input: { count: 0 } })); // warm-up
  const started = performance.now();
  const latencies = await pool(runs, concurrency, async () => {
    const t = performance.now();
    const values = (await client.runs.wait(null, "trivial", { input: { count: 0 } })) as { count: number };
    if (values.count !== 2) throw new Error(`unexpected result ${JSON.stringify(values)}`);
    return performance.now() - t;
  });
  const seconds = (performance.now() - started) / 1000;
  return { runs_per_s: round(runs / seconds), p50_ms: round(pct(latencies, 50)), p95_ms: round(pct(latencies, 95)) };
}

async function firstEvent() {
  progress(`runs/stream: time to first event and first token over ${samples} runs`);
  const firstEvents: number[] = [];
  const firstTokens: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    let gotEvent = false;
    for await (const e of client.runs.stream(null, "agent", {
      input: { messages: [{ role: "user", content: "one two three four five" }] },
      streamMode: "messages-tuple",
    })) {
      if (!gotEvent) {
        firstEvents.push(performance.now() - t);
        gotEvent = true;
      }
      if (e.event === "messages") {
        firstTokens.push(performance.now() - t);
        break;
      }
    }
  }
  return {
    first_event_p50_ms: round(pct(firstEvents, 50)),
    first_event_p95_ms: round(pct(firstEvents, 95)),
    first_token_p50_ms: round(pct(firstTokens, 50)),
  };
}

/** Per-turn latency on one thread: the trivial graph (checkpoints only) or the chat agent (history grows). */
async function growth(graph: "trivial" | "agent") {
  progress(`${graph}: latency growth over ${turns} turns on one thread`);
  const input = (i: number) =>
    graph === "trivial" ? { count: 0 } : { messages: [{ role: "user", content: `turn ${i}` }] };
  // Warm-up on another thread, so the first turns measured are not the server's first runs.
  const scratch = await client.threads.create();
  for (let i = 0; i < 10; i++) await client.runs.wait(scratch.thread_id, graph, { input: input(i) });
  const thread = await client.threads.create();
  const latencies: number[] = [];
  for (let i = 0; i < turns; i++) {
    const t = performance.now();
    await client.runs.wait(thread.thread_id, graph, { input: input(i) });
    latencies.push(performance.now() - t);
  }
  const window = Math.max(1, Math.floor(turns / 10));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(latencies.slice(1, window + 1));
  const last = mean(latencies.slice(-window));
  return { turn_first_ms: round(first), turn_last_ms: round(last), growth: round((last / first) * 100) / 100 };
}

async function backgroundJoin() {
  const count = Math.floor(runs / 2);
  progress(`background create + join: ${count} runs at concurrency ${concurrency}`);
  const threads = await pool(concurrency, concurrency, () => client.threads.create());
  const started = performance.now();
  await pool(count, concurrency, async (i) => {
    const thread = threads[i % concurrency] as { thread_id: string };
    const run = await client.runs.create(thread.thread_id, "trivial", {
      input: { count: 0 },
      multitaskStrategy: "enqueue",
    });
    await client.runs.join(thread.thread_id, run.run_id);
  });
  return { background_runs_per_s: round(count / ((performance.now() - started) / 1000)) };
}

/** The server's resident memory in MB, from its /metrics. */
async function rssMb(): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const bytes = Number(/^process_resident_memory_bytes (\d+)/m.exec(text)?.[1]);
  return round(bytes / 1e6);
}

const info = (await (await fetch(`${url}/info`)).json()) as { storage: string; version: string };
const rssStart = await rssMb();
// Growth first: the throughput phases leave cleanup work (deleted temporary threads) behind them.
const threadGrowth = await growth("trivial");
const chatGrowth = await growth("agent");
const result = {
  url,
  storage: info.storage,
  version: info.version,
  concurrency,
  stateless_wait: await statelessWait(),
  stream: await firstEvent(),
  thread_growth: threadGrowth,
  chat_history_growth: chatGrowth,
  background: await backgroundJoin(),
  memory: { rss_start_mb: rssStart, rss_end_mb: await rssMb() },
};
console.log(JSON.stringify(result));
