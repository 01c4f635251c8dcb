#!/usr/bin/env bun
/**
 * Runs bench/run-bench.ts against each mode in turn, on the same machine in the same run, and prints
 * one JSON line per mode (`"mode": …`):
 *   embedded  `fractal serve` on a fresh embedded database;
 *   postgres  `fractal serve` on a fresh database created on BENCH_DATABASE_URL (or DATABASE_URL);
 *   js-dev    the LangGraph JS dev server (`langgraph dev`, in memory) serving the same graphs.
 * A mode whose prerequisite is missing is skipped with a message. BENCH_MODES picks modes
 * (comma-separated); every other BENCH_* option is passed to run-bench.ts. BENCH_OTLP=1 traces the
 * fractal modes to a collector stub started here (OTLP/HTTP), adding `spans_received` to their lines.
 *   BENCH_DATABASE_URL=postgres://… bun bench/compare.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "@fractal/infra/testing/free-port";
import { waitForOk } from "@fractal/infra/testing/wait-for-ok";
import pg from "pg";

const root = resolve(import.meta.dir, "..");
const config = join(import.meta.dir, "langgraph.json");
const devCli = join(root, "packages/graphs/node_modules/@langchain/langgraph-cli/dist/cli/cli.mjs");
const modes = (process.env.BENCH_MODES ?? "embedded,postgres,js-dev").split(",");
const databaseUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
const say = (msg: string) => process.stderr.write(`compare: ${msg}\n`);

/** With BENCH_OTLP=1: a collector stand-in that only counts the spans it is sent. */
let spansReceived = 0;
const collector =
  process.env.BENCH_OTLP === "1"
    ? Bun.serve({
        port: 0,
        hostname: "127.0.0.1",
        async fetch(request) {
          const body = (await request.json()) as { resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[] };
          for (const r of body.resourceSpans ?? [])
            for (const s of r.scopeSpans ?? []) spansReceived += s.spans?.length ?? 0;
          return Response.json({});
        },
      })
    : undefined;
const tracing = collector
  ? { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}` }
  : { OTEL_EXPORTER_OTLP_ENDPOINT: undefined };

/** Starts a server, benchmarks it, stops it; the bench's JSON line with the mode in front. */
async function benchOne(mode: string, argv: string[], env: Record<string, string | undefined>, cwd: string) {
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = Bun.spawn(
    argv.map((a) => a.replace("{port}", String(port))),
    { cwd, env: { ...process.env, ...env }, stdout: "ignore", stderr: "ignore" },
  );
  try {
    await waitForOk(url, server, mode);
    say(`${mode}: server on ${url} (pid ${server.pid})`);
    const bench = Bun.spawn(["bun", join(import.meta.dir, "run-bench.ts"), url], {
      env: { ...process.env, BENCH_PID: String(server.pid), ...(mode === "js-dev" ? jsDevOptions() : {}) },
      stdout: "pipe",
      stderr: "inherit",
    });
    const [out, code] = await Promise.all([new Response(bench.stdout).text(), bench.exited]);
    if (code !== 0) throw new Error(`run-bench.ts failed on ${mode} (exit ${code})`);
    const figures = JSON.parse(out.trim().split("\n").at(-1) as string);
    server.kill("SIGTERM");
    await server.exited; // its last spans are flushed at shutdown
    const traced = collector && mode !== "js-dev" ? { tracing: "otlp", spans_received: spansReceived } : {};
    spansReceived = 0;
    console.log(JSON.stringify({ mode, ...traced, ...figures }));
  } finally {
    server.kill("SIGTERM");
    await server.exited;
  }
}

/** The dev server runs a few runs a second: no 11,000-run memory soak there unless asked for. */
function jsDevOptions(): Record<string, string> {
  return { BENCH_SOAK: process.env.BENCH_JS_DEV_SOAK ?? "0" };
}

const fractal = ["bun", join(root, "apps/server/src/cli.ts"), "serve", "--port", "{port}", "--config", config];
const quiet = {
  LOG_LEVEL: "error",
  DATABASE_URL: undefined,
  POSTGRES_URI: undefined,
  REDIS_URL: undefined,
  ...tracing,
};

for (const mode of modes) {
  if (mode === "embedded") {
    const dataDir = mkdtempSync(join(tmpdir(), "fractal-bench-"));
    try {
      await benchOne(mode, [...fractal, "--data-dir", dataDir], quiet, root);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  } else if (mode === "postgres") {
    if (!databaseUrl) {
      say("postgres: skipped (set BENCH_DATABASE_URL or DATABASE_URL)");
      continue;
    }
    const name = `fractal_bench_${process.pid}`;
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const url = new URL(databaseUrl);
    url.pathname = `/${name}`;
    try {
      await benchOne(mode, fractal, { ...quiet, DATABASE_URL: url.toString() }, root);
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  } else if (mode === "js-dev") {
    if (!(await Bun.file(devCli).exists()) || !Bun.which("node")) {
      say("js-dev: skipped (needs node and @langchain/langgraph-cli, a dev dependency of packages/graphs)");
      continue;
    }
    const work = mkdtempSync(join(tmpdir(), "fractal-bench-js-dev-"));
    const argv = ["node", devCli, "dev", "--port", "{port}", "--host", "127.0.0.1", "--no-browser", "--no-reload"];
    try {
      await benchOne(mode, [...argv, "--config", config], { LANGSMITH_TRACING: "false", NO_COLOR: "1" }, work);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  } else {
    say(`${mode}: unknown mode (embedded, postgres, js-dev)`);
  }
}
collector?.stop(true);
