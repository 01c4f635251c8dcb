import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { Client } from "@langchain/langgraph-sdk";
import { MODES, type TestServer, useSpawned, useTestServer } from "./harness.ts";
import { type CollectedSpan, startCollector } from "./otlp-collector.ts";

const CONFIG = resolve(import.meta.dir, "fixtures/run-graphs/langgraph.json");
const collector = startCollector();
afterAll(() => collector.stop());

const hex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");

/** A caller's own span: the server's spans must continue its trace. */
function callerContext() {
  const traceId = hex(16);
  const spanId = hex(8);
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

const children = (spans: CollectedSpan[], parent: CollectedSpan) =>
  spans.filter((s) => s.parentSpanId === parent.spanId);
const only = (spans: CollectedSpan[], name: string) => {
  const found = spans.filter((s) => s.name === name);
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0] as CollectedSpan;
};

/** Checks the tree under a run span: queue wait and execution; nodes; the model call and the tool call. */
async function expectRunTree(traceId: string, run: CollectedSpan) {
  // The run span ends last; give the batch that carries it a moment to arrive whole.
  await collector.waitFor((s) => s.traceId === traceId && s.name === "execute_tool lookup");
  const trace = collector.spans.filter((s) => s.traceId === traceId);
  const [queueWait, execute] = ["queue_wait", "execute"].map((name) => only(children(trace, run), name));
  expect(queueWait).toBeDefined();
  const nodes = children(trace, execute as CollectedSpan);
  expect(nodes.map((s) => s.name).sort()).toEqual(["node ask", "node tools"]);
  const ask = only(nodes, "node ask");
  expect(ask.attributes["langgraph.node"]).toBe("ask");
  const chat = only(children(trace, ask), "chat fixture-model");
  expect(chat.attributes).toMatchObject({
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "fixture",
    "gen_ai.request.model": "fixture-model",
    "gen_ai.response.model": "fixture-model-2026",
    "gen_ai.usage.input_tokens": 7,
    "gen_ai.usage.output_tokens": 3,
  });
  const tool = only(children(trace, only(nodes, "node tools")), "execute_tool lookup");
  expect(tool.attributes).toMatchObject({
    "gen_ai.operation.name": "execute_tool",
    "gen_ai.tool.name": "lookup",
    "gen_ai.tool.call.id": "call-1",
  });
  // Nothing of the conversation is copied into spans.
  expect(JSON.stringify(trace)).not.toContain("Oslo");
}

for (const mode of MODES) {
  describe(`tracing (${mode})`, () => {
    const current = useTestServer(mode, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, LOG_LEVEL: "info" }, [
      "--config",
      CONFIG,
    ]);
    let server: TestServer;
    beforeAll(() => {
      server = current();
    });

    test("a run's spans form one tree under the request that created it, continuing the caller's trace", async () => {
      const caller = callerContext();
      const client = new Client({ apiUrl: server.url, defaultHeaders: { traceparent: caller.traceparent } });
      const thread = await client.threads.create();
      const values = (await client.runs.wait(thread.thread_id, "traced", {
        input: { messages: [{ role: "user", content: "weather in Oslo?" }] },
      })) as { messages: unknown[] };
      expect(values.messages).toHaveLength(3);

      const request = await collector.waitFor(
        (s) => s.traceId === caller.traceId && s.name === "POST /threads/:thread_id/runs/wait",
      );
      expect(request.parentSpanId).toBe(caller.spanId);
      expect(request.attributes).toMatchObject({
        "http.request.method": "POST",
        "http.route": "/threads/:thread_id/runs/wait",
        "http.response.status_code": 200,
      });
      const run = await collector.waitFor((s) => s.traceId === caller.traceId && s.name === "run traced");
      expect(run.parentSpanId).toBe(request.spanId);
      expect(run.attributes).toMatchObject({
        "fractal.thread.id": thread.thread_id,
        "fractal.graph.id": "traced",
        "fractal.run.status": "success",
      });
      expect(run.service).toBe("fractal-agents-runtime");
      await expectRunTree(caller.traceId, run);
      // The run's log lines carry the trace id.
      const finished = server
        .output()
        .split("\n")
        .find((line) => line.includes('"run finished"') && line.includes(String(run.attributes["fractal.run.id"])));
      expect(finished).toContain(`"trace_id":"${caller.traceId}"`);
    }, 60_000);

    test("a failing run's span is marked failed", async () => {
      const caller = callerContext();
      const client = new Client({ apiUrl: server.url, defaultHeaders: { traceparent: caller.traceparent } });
      await client.runs.wait(null, "fails", { input: {} }).catch(() => undefined);
      const run = await collector.waitFor((s) => s.traceId === caller.traceId && s.name === "run fails");
      expect(run.status?.code).toBe(2); // ERROR
      expect(run.attributes["fractal.run.status"]).toBe("error");
    }, 60_000);
  });
}

describe("tracing across processes", () => {
  const spawned = useSpawned();

  test("a run created on an API process and executed by a worker process is one trace", async () => {
    const env = { DATABASE_URL: await spawned.database(), OTEL_EXPORTER_OTLP_ENDPOINT: collector.url };
    const api = await spawned.start({ env, args: ["--config", CONFIG, "--no-worker"] });
    await spawned.start({ command: "worker", env, args: ["--config", CONFIG, "--no-migrate"] });

    const caller = callerContext();
    const client = new Client({ apiUrl: api.url, defaultHeaders: { traceparent: caller.traceparent } });
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.thread_id, "traced", {
      input: { messages: [{ role: "user", content: "weather in Oslo?" }] },
    });
    await client.runs.join(thread.thread_id, run.run_id);

    const request = await collector.waitFor(
      (s) => s.traceId === caller.traceId && s.name === "POST /threads/:thread_id/runs",
    );
    expect(request.role).toBe("api");
    const runSpan = await collector.waitFor((s) => s.traceId === caller.traceId && s.name === "run traced");
    expect(runSpan.role).toBe("worker");
    expect(runSpan.parentSpanId).toBe(request.spanId);
    expect(runSpan.attributes["fractal.run.id"]).toBe(run.run_id);
    await expectRunTree(caller.traceId, runSpan);
  }, 90_000);
});
