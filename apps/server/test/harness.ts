import { afterAll, beforeAll } from "bun:test";
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { migratedDataDir } from "@fractal/infra/storage/testing/pglite";
import { createTestDatabase, requireTestPostgresUrl } from "@fractal/infra/storage/testing/postgres";
import { Client } from "@langchain/langgraph-sdk";
import type { Subprocess } from "bun";

const CLI = resolve(import.meta.dir, "../src/cli.ts");

export type Mode = "embedded" | "postgres";

/** Both storage modes: every API suite runs against each. Postgres needs a URL (test:all provides one). */
export const MODES: Mode[] = ["embedded", "postgres"];

export interface ServerProcess {
  url: string;
  proc: Subprocess;
  output(): string;
}

/**
 * Starts `fractal serve` (or `fractal worker`) on a free port and waits for its "serving on" line.
 * The test's REDIS_URL is not passed on: a server uses Redis only when the test says so in `env`.
 */
export async function spawnServer(options: {
  env?: Record<string, string>;
  args?: string[];
  cwd?: string;
  timeoutMs?: number;
  command?: "serve" | "worker";
  /** The CLI to start (default: this checkout's source; a bundle's fractal.js). */
  cli?: string;
}): Promise<ServerProcess> {
  const command = options.command ?? "serve";
  const proc = Bun.spawn(
    ["bun", options.cli ?? CLI, command, "--port", "0", "--host", "127.0.0.1", ...(options.args ?? [])],
    {
      cwd: options.cwd,
      env: {
        ...process.env,
        REDIS_URL: "",
        REDIS_URI: "",
        LOG_LEVEL: "warn",
        FRACTAL_TEST_ROUTES: "true",
        ...options.env,
      },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  let out = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) out += decoder.decode(chunk);
  };
  void collect(proc.stdout as ReadableStream<Uint8Array>);
  void collect(proc.stderr as ReadableStream<Uint8Array>);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    const match = out.match(/serving on (http:\/\/\S+)/);
    if (match?.[1]) return { url: match[1], proc, output: () => out };
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}:\n${out}`);
    await Bun.sleep(50);
  }
  proc.kill("SIGKILL");
  throw new Error(`server did not start in time:\n${out}`);
}

/** Runs the CLI to completion and returns its exit code and output. */
export async function runCli(args: string[], env: Record<string, string> = {}, cwd?: string) {
  const proc = Bun.spawn(["bun", CLI, ...args], {
    cwd,
    env: { ...process.env, REDIS_URL: "", REDIS_URI: "", LOG_LEVEL: "warn", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

export interface TestServer {
  mode: Mode;
  url: string;
  client: Client;
  /** Storage env of this server (data dir or database URL), for restarts. */
  env: Record<string, string>;
  truncate(): Promise<void>;
  stop(): Promise<void>;
  /** Everything the server printed so far. */
  output(): string;
}

/** Storage of its own for a server: the env that selects it, and how to remove it. */
export async function createTestStorage(mode: Mode): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (mode === "embedded") {
    // A copy of a migrated directory: a fresh one costs each server PGlite's initdb.
    const dir = await migratedDataDir();
    return {
      env: { FRACTAL_DATA_DIR: dir, DATABASE_URL: "", POSTGRES_URI: "" },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const db = await createTestDatabase(requireTestPostgresUrl());
  return { env: { DATABASE_URL: db.url }, drop: db.drop };
}

/** A server in the given mode with storage of its own (temp data dir, or a fresh Postgres database). */
export async function startTestServer(
  mode: Mode,
  extraEnv: Record<string, string> = {},
  args: string[] = [],
): Promise<TestServer> {
  const { env, drop: cleanup } = await createTestStorage(mode);
  const server = await spawnServer({ env: { ...env, ...extraEnv }, args });
  const client = new Client({ apiUrl: server.url });
  return {
    mode,
    url: server.url,
    client,
    env,
    output: server.output,
    truncate: async () => {
      const res = await fetch(`${server.url}/internal/truncate`, {
        method: "POST",
        body: JSON.stringify({ runs: true, threads: true, assistants: true, checkpointer: true, store: true }),
      });
      if (!res.ok) throw new Error(`truncate failed: ${res.status} ${await res.text()}`);
    },
    stop: async () => {
      server.proc.kill("SIGTERM");
      await server.proc.exited;
      await cleanup();
    },
  };
}

/** Sends a raw request (for cases the SDK cannot express) and returns status and JSON body. */
export async function rawRequest(
  url: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = { "content-type": "application/json" },
): Promise<{ status: number; body: unknown }> {
  // Error bodies are JSON only for clients that ask for it (the SDK gets the message and request id as text).
  const res = await fetch(`${url}${path}`, { method, body, headers: { accept: "application/json", ...headers } });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {}
  return { status: res.status, body: parsed };
}

/**
 * Registers hooks that start a server for the enclosing describe block and stop it afterwards;
 * returns a getter, valid inside tests.
 */
export function useTestServer(
  mode: Mode,
  extraEnv: Record<string, string> = {},
  args: string[] = [],
): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer(mode, extraEnv, args);
  }, 90_000);
  afterAll(async () => server?.stop());
  return () => {
    if (!server) throw new Error("test server not started");
    return server;
  };
}

/**
 * Processes and PostgreSQL databases a test file starts itself (split API/worker setups): every
 * process is killed and every database dropped after the file.
 */
export function useSpawned() {
  const processes: ServerProcess[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const p of processes) p.proc.kill("SIGKILL");
    await Promise.all(processes.map((p) => p.proc.exited));
    for (const cleanup of cleanups) await cleanup();
  });
  return {
    /** A fresh database on the test PostgreSQL; its URL. */
    async database(): Promise<string> {
      const db = await createTestDatabase(requireTestPostgresUrl());
      cleanups.push(db.drop);
      return db.url;
    },
    async start(options: Parameters<typeof spawnServer>[0]): Promise<ServerProcess> {
      const p = await spawnServer(options);
      processes.push(p);
      return p;
    },
  };
}
