// The catalog is portable: the official LangGraph dev server (`langgraph dev` from
// @langchain/langgraph-cli) serves it from this package's own langgraph.json, and each graph runs
// once through the official SDK. Nothing of fractal's engine is involved.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "@fractal/infra/testing/free-port";
import { waitForOk } from "@fractal/infra/testing/wait-for-ok";
import { Client } from "@langchain/langgraph-sdk";
import type { Subprocess } from "bun";

const pkg = resolve(import.meta.dir, "..");
const cli = join(pkg, "node_modules/@langchain/langgraph-cli/dist/cli/cli.mjs");
let server: Subprocess;
let output = "";
let url = "";
let work = "";

beforeAll(async () => {
  // The dev server keeps its state in its working directory: a throwaway one.
  work = mkdtempSync(join(tmpdir(), "fractal-langgraph-dev-"));
  const port = freePort();
  url = `http://127.0.0.1:${port}`;
  server = Bun.spawn(
    [
      "node",
      cli,
      "dev",
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      "--no-browser",
      "--no-reload",
      "--config",
      join(pkg, "langgraph.json"),
    ],
    { cwd: work, env: { ...process.env, LANGSMITH_TRACING: "false", NO_COLOR: "1" }, stdout: "pipe", stderr: "pipe" },
  );
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) output += new TextDecoder().decode(chunk);
  };
  void collect(server.stdout as ReadableStream<Uint8Array>);
  void collect(server.stderr as ReadableStream<Uint8Array>);
  await waitForOk(url, server, "langgraph dev", 120_000, () => `:\n${output}`);
}, 150_000);

afterAll(async () => {
  server?.kill("SIGTERM");
  await server?.exited;
  if (work) rmSync(work, { recursive: true, force: true });
});

type Message = { type?: string; content?: unknown };

async function runOnce(graphId: string, configurable: Record<string, unknown> = {}) {
  const client = new Client({ apiUrl: url });
  const thread = await client.threads.create();
  const values = (await client.runs.wait(thread.thread_id, graphId, {
    input: { messages: [{ role: "user", content: "tea" }] },
    config: { configurable },
  })) as { messages?: Message[]; report?: string };
  const [run] = await client.runs.list(thread.thread_id);
  return { values, status: run?.status };
}

test("langgraph dev serves the catalog's graphs from its own langgraph.json", async () => {
  const assistants = await new Client({ apiUrl: url }).assistants.search({ limit: 100 });
  expect(assistants.map((a) => a.graph_id).sort()).toEqual(["agent", "react-agent", "research-agent"]);
});

test("each catalog graph runs once under langgraph dev", async () => {
  const agent = await runOnce("agent");
  expect(agent.status).toBe("success");
  expect(agent.values.messages?.at(-1)).toMatchObject({ type: "ai", content: "You said: tea" });

  const react = await runOnce("react-agent");
  expect(react.status).toBe("success");
  expect(react.values.messages?.at(-1)).toMatchObject({ type: "ai", content: "You said: tea" });

  const research = await runOnce("research-agent", { review_plan: false, max_steps: 1 });
  expect(research.status).toBe("success");
  expect(research.values.report).toBe("# tea\n\n## Background of tea\n\nYou said: Background of tea");
}, 60_000);
