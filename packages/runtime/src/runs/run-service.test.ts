import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import type { MultitaskStrategy, RunStatus } from "@fractal/infra/storage/runs";
import { errorCode, runStatus, type TestConfig, testConfig } from "../testing/engine.ts";
import { reviewGraph, slowGraph } from "../testing/graphs.ts";
import { createRunService, type RunService } from "./run-service.ts";
import { createWorker, type Worker } from "./worker.ts";

// Each test opens a database of its own (a copy of a migrated one) before it waits on real timers.
setDefaultTimeout(20_000);

let engine: TestConfig;
let worker: Worker;
let runs: RunService;
beforeEach(async () => {
  engine = await testConfig({ graphs: { slow: slowGraph, review: reviewGraph } });
  worker = createWorker({ ...engine, concurrency: 4, pollMs: 20 });
  worker.start();
  runs = createRunService({ ...engine, defaultStrategy: "reject", dispatcher: worker });
});
afterEach(async () => {
  await worker.stop(0);
  await engine.close();
});

const slow = (threadId: string, delayMs: number, multitask_strategy?: MultitaskStrategy) =>
  runs.create(threadId, {
    assistant_id: "slow",
    kwargs: { input: {}, stream_mode: ["values"], config: { configurable: { delay_ms: delayMs } } },
    multitask_strategy,
    if_not_exists: "create",
  });

const statusOf = async (threadId: string, runId: string) => (await engine.storage.runs.get(threadId, runId)).status;

const until = (threadId: string, runId: string, wanted: RunStatus[], ms?: number) =>
  runStatus(engine.storage, { thread_id: threadId, run_id: runId }, wanted, ms);

test("reject: a second run on a busy thread is a 409, the first goes on", async () => {
  const threadId = crypto.randomUUID();
  const first = await slow(threadId, 500);
  const refused = await errorCode(slow(threadId, 10, "reject"));
  expect(refused).toBe("conflict");
  expect(await until(threadId, first.run_id, ["success"])).toBe("success");
});

test("enqueue: the second run waits pending and runs after the first", async () => {
  const threadId = crypto.randomUUID();
  const first = await slow(threadId, 300);
  const second = await slow(threadId, 10, "enqueue");
  expect(await statusOf(threadId, second.run_id)).toBe("pending");
  expect(await until(threadId, second.run_id, ["success"])).toBe("success");
  expect(await statusOf(threadId, first.run_id)).toBe("success");
  expect((await engine.storage.threads.get(threadId)).values).toEqual({ steps: 2 });
});

test("interrupt: the active run ends interrupted and the new one runs", async () => {
  const threadId = crypto.randomUUID();
  const first = await slow(threadId, 5_000);
  expect(await until(threadId, first.run_id, ["running"])).toBe("running");
  const second = await slow(threadId, 10, "interrupt");
  expect(await until(threadId, second.run_id, ["success"])).toBe("success");
  expect(await statusOf(threadId, first.run_id)).toBe("interrupted");
});

test("rollback: the active run is deleted and the new one runs", async () => {
  const threadId = crypto.randomUUID();
  const first = await slow(threadId, 5_000);
  expect(await until(threadId, first.run_id, ["running"])).toBe("running");
  const second = await slow(threadId, 10, "rollback");
  expect(await until(threadId, second.run_id, ["success"])).toBe("success");
  const gone = await engine.storage.runs.find(first.run_id);
  expect(gone).toBeUndefined();
});

test("resume: a run interrupted for review continues with the resume value", async () => {
  const threadId = crypto.randomUUID();
  const asked = await runs.create(threadId, {
    assistant_id: "review",
    kwargs: { input: {}, stream_mode: ["values"] },
    if_not_exists: "create",
  });
  await runs.join(asked.run_id);
  const thread = await engine.storage.threads.get(threadId);
  expect(thread.status).toBe("interrupted");
  expect(JSON.stringify(thread.interrupts)).toContain("approve?");

  const resumed = await runs.create(threadId, {
    assistant_id: "review",
    kwargs: { command: { resume: "yes" }, stream_mode: ["values"] },
  });
  expect(await runs.result(resumed.run_id, threadId)).toEqual({ answer: "yes" });
  expect((await engine.storage.threads.get(threadId)).status).toBe("idle");
});

test("an unknown assistant or graph id is a 404 naming it", async () => {
  const error = await runs.create(undefined, { assistant_id: "nope", kwargs: { stream_mode: ["values"] } }).then(
    () => undefined,
    (e: { code?: string; message?: string }) => e,
  );
  expect(error?.code).toBe("not_found");
  expect(error?.message).toContain("'nope'");
});

test("check applies the run rules without creating a run: webhook policy, assistant visibility", async () => {
  const webhook = await errorCode(
    runs.check({ assistant_id: "slow", kwargs: { stream_mode: ["values"], webhook: "http://127.0.0.1:9/hook" } }),
  );
  expect(webhook).toBe("validation_failed");
  expect(() => runs.checkWebhook("http://10.0.0.1/hook")).toThrow();
  expect(() => runs.checkWebhook("https://example.com/hook")).not.toThrow();
  const hidden = await errorCode(
    runs.check({
      assistant_id: "slow",
      kwargs: { stream_mode: ["values"] },
      assistant_access: [{ owner: "someone-else" }],
    }),
  );
  expect(hidden).toBe("not_found");
  expect((await runs.check({ assistant_id: "slow", kwargs: { stream_mode: ["values"] } })).graph_id).toBe("slow");
  expect(await engine.storage.runs.activeIds({ status: "all" })).toEqual([]);
});
