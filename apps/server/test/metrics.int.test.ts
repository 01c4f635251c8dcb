import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { Client } from "@langchain/langgraph-sdk";
import { MODES, type TestServer, useSpawned, useTestServer } from "./harness.ts";

const CONFIG = resolve(import.meta.dir, "fixtures/run-graphs/langgraph.json");

/** Prometheus text → `name{k="v",…}` (labels sorted) → value. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels = [...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, k, v]) => `${k}="${v}"`)
      .sort()
      .join(",");
    samples.set(labels ? `${match[1]}{${labels}}` : (match[1] as string), Number(match[3]));
  }
  return samples;
}

function startReceiver() {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(null, { status: 204 }) });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}

const receiver = startReceiver();
afterAll(() => receiver.stop());

for (const mode of MODES) {
  describe(`metrics (${mode})`, () => {
    const current = useTestServer(mode, { FRACTAL_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1" }, ["--config", CONFIG]);
    let server: TestServer;
    beforeAll(() => {
      server = current();
    });
    const scrape = async () => {
      const res = await fetch(`${server.url}/metrics`);
      expect(res.headers.get("content-type")).toStartWith("text/plain");
      return parse(await res.text());
    };
    const delta = (before: Map<string, number>, after: Map<string, number>, key: string) =>
      (after.get(key) ?? 0) - (before.get(key) ?? 0);

    test("after a known set of requests and runs the counters moved by exactly that much, model tokens included", async () => {
      const { client } = server;
      const thread = await client.threads.create();
      await client.runs.wait(thread.thread_id, "inspect", { input: {} }); // warm-up: graph loaded
      const before = await scrape();

      for (let i = 0; i < 3; i++) await client.runs.wait(null, "inspect", { input: {} });
      await client.runs.wait(thread.thread_id, "inspect", { input: {} });
      await client.runs.wait(thread.thread_id, "fails", { input: {} }).catch(() => undefined);
      // A model call that reports its usage (7 in, 3 out), with tracing off.
      await client.runs.wait(null, "traced", { input: { messages: [{ role: "user", content: "weather?" }] } });
      const hooked = await client.runs.create(thread.thread_id, "inspect", {
        input: {},
        webhook: `${receiver.url}/hook`,
      });
      await client.runs.join(thread.thread_id, hooked.run_id);
      expect((await fetch(`${server.url}/threads/${crypto.randomUUID()}`)).status).toBe(404);
      expect((await fetch(`${server.url}/no/such/route`)).status).toBe(404);
      // The webhook is sent in the background after the run ends.
      let after = await scrape();
      for (
        let i = 0;
        i < 100 && delta(before, after, 'fractal_webhook_deliveries_total{outcome="delivered"}') < 1;
        i++
      ) {
        await Bun.sleep(50);
        after = await scrape();
      }

      const d = (key: string) => delta(before, after, key);
      expect(d('fractal_runs_created_total{kind="stateless"}')).toBe(4);
      expect(d('fractal_runs_created_total{kind="stateful"}')).toBe(3);
      expect(d('fractal_runs_finished_total{status="success"}')).toBe(6);
      expect(d('fractal_runs_finished_total{status="error"}')).toBe(1);
      expect(d('fractal_run_duration_seconds_count{status="success"}')).toBe(6);
      expect(d('fractal_run_duration_seconds_count{status="error"}')).toBe(1);
      expect(d("fractal_run_queue_wait_seconds_count")).toBe(7);
      const tokens = (direction: string) =>
        d(`fractal_model_tokens_total{direction="${direction}",model="fixture-model",provider="fixture"}`);
      expect([tokens("input"), tokens("output")]).toEqual([7, 3]);
      expect(d('fractal_webhook_deliveries_total{outcome="delivered"}')).toBe(1);
      const http = (route: string, method: string, status: number) =>
        d(`fractal_http_requests_total{method="${method}",route="${route}",status="${status}"}`);
      expect(http("/runs/wait", "POST", 200)).toBe(4);
      expect(http("/threads/:thread_id/runs/wait", "POST", 200)).toBe(2);
      expect(http("/threads/:thread_id/runs", "POST", 200)).toBe(1);
      expect(http("/threads/:thread_id", "GET", 404)).toBe(1);
      expect(http("unmatched", "GET", 404)).toBe(1);
      expect(d('fractal_http_request_duration_seconds_count{method="POST",route="/runs/wait"}')).toBe(4);
      // Ids never become labels.
      for (const key of after.keys()) expect(key).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
      // Latency histograms moved; the queue is empty and nothing runs once the runs are done.
      expect(d('fractal_checkpoint_operation_duration_seconds_count{operation="put"}')).toBeGreaterThan(0);
      expect(d('fractal_checkpoint_operation_duration_seconds_count{operation="get_tuple"}')).toBeGreaterThan(0);
      expect(d('fractal_db_query_duration_seconds_count{operation="insert"}')).toBeGreaterThan(0);
      expect(after.get('fractal_runs{status="pending"}')).toBe(0);
      expect(after.get('fractal_runs{status="running"}')).toBe(0);
      expect(after.get("fractal_worker_slots_busy")).toBe(0);
      expect(after.get("fractal_run_stream_readers")).toBe(0);
      expect(after.get("fractal_worker_slots")).toBeGreaterThan(0);
      expect(after.get("process_resident_memory_bytes")).toBeGreaterThan(0);
    });

    test("an open event stream counts as an SSE client until it closes", async () => {
      const thread = await server.client.threads.create();
      const controller = new AbortController();
      const res = await fetch(`${server.url}/threads/${thread.thread_id}/stream`, { signal: controller.signal });
      expect(res.status).toBe(200);
      const reader = res.body?.getReader();
      await reader?.read(); // the stream's opening comment: it is open on the server
      expect((await scrape()).get("fractal_sse_clients")).toBe(1);
      controller.abort();
      let open = 1;
      for (let i = 0; i < 100 && open !== 0; i++) {
        await Bun.sleep(20);
        open = (await scrape()).get("fractal_sse_clients") ?? -1;
      }
      expect(open).toBe(0);
    });

    test("a run waiting in the queue shows as pending", async () => {
      const thread = await server.client.threads.create();
      const first = await server.client.runs.create(thread.thread_id, "slow", { input: { steps: [] } });
      const second = await server.client.runs.create(thread.thread_id, "inspect", {
        input: {},
        multitaskStrategy: "enqueue",
      });
      // A client following the running run's stream is one reader until it goes.
      const following = new AbortController();
      const stream = await fetch(`${server.url}/threads/${thread.thread_id}/runs/${first.run_id}/stream`, {
        signal: following.signal,
      });
      await stream.body?.getReader().read();
      const during = await scrape();
      expect(during.get('fractal_runs{status="pending"}')).toBe(1);
      expect(during.get('fractal_runs{status="running"}')).toBe(1);
      expect(during.get("fractal_worker_slots_busy")).toBe(1);
      expect(during.get("fractal_run_stream_readers")).toBe(1);
      following.abort();
      await server.client.runs.join(thread.thread_id, first.run_id);
      await server.client.runs.join(thread.thread_id, second.run_id);
    });
  });
}

describe("metrics across processes", () => {
  const spawned = useSpawned();

  test("the API process counts the runs it creates, the worker process those it executes", async () => {
    const env = { DATABASE_URL: await spawned.database(), N_JOBS_PER_WORKER: "4" };
    const api = await spawned.start({ env, args: ["--config", CONFIG, "--no-worker"] });
    const worker = await spawned.start({ command: "worker", env, args: ["--config", CONFIG, "--no-migrate"] });
    const scrapeOf = async (url: string) => parse(await (await fetch(`${url}/metrics`)).text());
    const [apiBefore, workerBefore] = [await scrapeOf(api.url), await scrapeOf(worker.url)];

    const client = new Client({ apiUrl: api.url });
    const thread = await client.threads.create();
    for (let i = 0; i < 3; i++) {
      const run = await client.runs.create(thread.thread_id, "inspect", { input: {} });
      await client.runs.join(thread.thread_id, run.run_id);
    }
    const [apiAfter, workerAfter] = [await scrapeOf(api.url), await scrapeOf(worker.url)];
    const d = (before: Map<string, number>, after: Map<string, number>, key: string) =>
      (after.get(key) ?? 0) - (before.get(key) ?? 0);
    expect(d(apiBefore, apiAfter, 'fractal_runs_created_total{kind="stateful"}')).toBe(3);
    expect(d(apiBefore, apiAfter, 'fractal_runs_finished_total{status="success"}')).toBe(0);
    expect(d(workerBefore, workerAfter, 'fractal_runs_finished_total{status="success"}')).toBe(3);
    expect(d(workerBefore, workerAfter, "fractal_run_queue_wait_seconds_count")).toBe(3);
    expect(d(workerBefore, workerAfter, 'fractal_runs_created_total{kind="stateful"}')).toBe(0);
    expect(
      d(
        apiBefore,
        apiAfter,
        'fractal_http_requests_total{method="POST",route="/threads/:thread_id/runs",status="200"}',
      ),
    ).toBe(3);
    expect(apiAfter.get("fractal_worker_slots")).toBe(0);
    expect(workerAfter.get("fractal_worker_slots")).toBe(4);
    // Both see the one database's queue.
    expect(apiAfter.get('fractal_runs{status="pending"}')).toBe(0);
    expect(workerAfter.get('fractal_runs{status="pending"}')).toBe(0);
  }, 90_000);
});
