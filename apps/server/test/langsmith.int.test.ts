import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@langchain/langgraph-sdk";
import { spawnServer } from "./harness.ts";

const CONFIG = resolve(import.meta.dir, "fixtures/run-graphs/langgraph.json");

/** A stand-in LangSmith API: records each request's method, path and API key. */
const received: Array<{ path: string; key: string | null; body: string }> = [];
const langsmith = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(request) {
    const body = new TextDecoder().decode(await request.arrayBuffer());
    received.push({ path: new URL(request.url).pathname, key: request.headers.get("x-api-key"), body });
    return Response.json({});
  },
});
afterAll(() => langsmith.stop(true));

const traced = { input: { messages: [{ role: "user", content: "weather?" }] } };

/** Runs `traced` on a fresh server with `env`; waits up to `settleMs` for `until` before stopping it. */
async function runOn(env: Record<string, string>, until: () => boolean = () => false, settleMs = 2_000) {
  const dataDir = mkdtempSync(join(tmpdir(), "fractal-langsmith-"));
  const server = await spawnServer({ env, args: ["--config", CONFIG, "--data-dir", dataDir] });
  try {
    const client = new Client({ apiUrl: server.url });
    const thread = await client.threads.create();
    await client.runs.wait(thread.thread_id, "traced", traced);
    // LangSmith's client sends in the background, in batches.
    for (let waited = 0; waited < settleMs && !until(); waited += 50) await Bun.sleep(50);
    return thread.thread_id;
  } finally {
    server.proc.kill("SIGTERM");
    await server.proc.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe("LangSmith", () => {
  test("with the LangSmith variables set, runs are traced there (by LangChain's own client)", async () => {
    const threadId = await runOn(
      {
        LANGSMITH_TRACING: "true",
        LANGSMITH_ENDPOINT: `http://127.0.0.1:${langsmith.port}`,
        LANGSMITH_API_KEY: "ls-test-key",
      },
      () => received.some((r) => r.path.startsWith("/runs") && r.body.includes("lookup")),
      15_000,
    );
    const posts = received.filter((r) => r.path.startsWith("/runs"));
    expect(posts.length).toBeGreaterThan(0);
    expect(posts.every((r) => r.key === "ls-test-key")).toBe(true);
    expect(posts.map((r) => r.body).join("")).toContain(threadId);
  }, 60_000);

  test("off by default: with an endpoint and a key but tracing not turned on, nothing is sent", async () => {
    received.length = 0;
    await runOn({
      LANGSMITH_TRACING: "",
      LANGCHAIN_TRACING_V2: "",
      LANGSMITH_ENDPOINT: `http://127.0.0.1:${langsmith.port}`,
      LANGSMITH_API_KEY: "ls-test-key",
    });
    expect(received.filter((r) => r.path.startsWith("/runs"))).toEqual([]);
  }, 60_000);
});
