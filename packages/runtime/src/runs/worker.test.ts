import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import type { RunStatus } from "@fractal/infra/storage/runs";
import { defaultAssistantId } from "../default-assistants.ts";
import { createMaintenance } from "../maintenance.ts";
import { runStatus, type TestConfig, testConfig } from "../testing/engine.ts";
import { slowGraph, watchedGraph } from "../testing/graphs.ts";
import { createWorker, type Worker } from "./worker.ts";

// Each test opens a database of its own (a copy of a migrated one) before it waits on real timers.
setDefaultTimeout(20_000);

let engine: TestConfig;
let watched: ReturnType<typeof watchedGraph>;
const workers: Worker[] = [];
beforeEach(async () => {
  watched = watchedGraph();
  engine = await testConfig({ graphs: { slow: slowGraph, watched: watched.graph } });
});
afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.stop(0);
  await engine.close();
});

function startWorker(
  options: { leaseMs?: number; heartbeatMs?: number; runTimeoutMs?: number; concurrency?: number } = {},
): Worker {
  const worker = createWorker({ ...engine, concurrency: 2, pollMs: 20, ...options });
  workers.push(worker);
  worker.start();
  return worker;
}

async function queueRun(delayMs: number, graphId = "slow") {
  const threadId = crypto.randomUUID();
  const { run } = await engine.storage.runs.create({
    run_id: crypto.randomUUID(),
    thread_id: threadId,
    assistant_id: defaultAssistantId(graphId),
    kwargs: { input: {}, stream_mode: ["values"], config: { configurable: { delay_ms: delayMs } } },
    multitask_strategy: "enqueue",
    if_not_exists: "create",
  });
  return run;
}

const statusOf = async (run: { thread_id: string; run_id: string }) =>
  (await engine.storage.runs.get(run.thread_id, run.run_id)).status;

const until = (run: { thread_id: string; run_id: string }, wanted: RunStatus[], ms?: number) =>
  runStatus(engine.storage, run, wanted, ms);

async function eventNames(runId: string): Promise<string[]> {
  const names: string[] = [];
  for await (const event of engine.events.read(runId)) names.push(event.event);
  return names;
}

test("claims a queued run and executes it: success, the thread keeps its values, the events end", async () => {
  const run = await queueRun(10);
  startWorker();
  expect(await until(run, ["success", "error"])).toBe("success");
  const thread = await engine.storage.threads.get(run.thread_id);
  expect(thread.status).toBe("idle");
  expect(thread.values).toEqual({ steps: 1 });
  const names = await eventNames(run.run_id);
  expect(names[0]).toBe("metadata");
  expect(names).toContain("values");
});

test("renews its lease while a run executes, so the lease sweep leaves the run alone", async () => {
  const run = await queueRun(900);
  startWorker({ leaseMs: 200, heartbeatMs: 50 });
  expect(await until(run, ["running"])).toBe("running");
  const maintenance = createMaintenance({ ...engine });
  let requeued = 0;
  for (let i = 0; i < 6; i++) {
    await Bun.sleep(100);
    requeued += (await maintenance.runOnce()).leases;
  }
  expect(requeued).toBe(0);
  expect(await until(run, ["success", "error"])).toBe("success");
  expect((await engine.storage.runs.get(run.thread_id, run.run_id)).attempt).toBe(1);
});

test("a run past its time limit is aborted and ends timeout with a RunTimeout error event", async () => {
  const run = await queueRun(5_000);
  startWorker({ runTimeoutMs: 100 });
  expect(await until(run, ["timeout", "success", "error"])).toBe("timeout");
  expect((await engine.storage.threads.get(run.thread_id)).status).toBe("error");
  const errors: unknown[] = [];
  for await (const event of engine.events.read(run.run_id)) if (event.event === "error") errors.push(event.data);
  expect(errors).toContainEqual(expect.objectContaining({ error: "RunTimeout" }));
});

test("a cancel signal aborts a running run: interrupted", async () => {
  const run = await queueRun(5_000);
  startWorker();
  expect(await until(run, ["running"])).toBe("running");
  engine.control.cancel(run.run_id, "interrupt");
  expect(await until(run, ["interrupted", "success", "error"])).toBe("interrupted");
});

test("a cancel signal that comes before the worker starts the run (claimed, answer not yet back) is applied at start", async () => {
  const run = await queueRun(5_000);
  // The signal comes while the claim's answer is on its way (another process cancelled right after the
  // claim committed); the stored flag is not read again before the next heartbeat, 30 s away.
  const claim = engine.storage.runs.claim.bind(engine.storage.runs);
  engine.storage.runs.claim = async (workerId, leaseMs) => {
    const claimed = await claim(workerId, leaseMs);
    if (claimed) engine.control.cancel(claimed.run_id, "interrupt");
    return claimed;
  };
  startWorker({ leaseMs: 90_000, heartbeatMs: 30_000 });
  expect(await until(run, ["interrupted", "success", "error"], 3_000)).toBe("interrupted");
});

test("a cancel flag in the database (another process's request) reaches the worker through its heartbeat", async () => {
  const run = await queueRun(5_000);
  startWorker({ leaseMs: 300, heartbeatMs: 50 });
  expect(await until(run, ["running"])).toBe("running");
  // Only the stored flag: no in-process signal.
  await engine.storage.runs.cancel([run.run_id], "interrupt");
  expect(await until(run, ["interrupted", "success", "error"], 5_000)).toBe("interrupted");
});

test("stop() lets runs in flight finish within the drain time", async () => {
  const run = await queueRun(300);
  const worker = startWorker();
  expect(await until(run, ["running"])).toBe("running");
  await worker.stop(5_000);
  expect(await statusOf(run)).toBe("success");
});

test("stop() hands a run that outlasts the drain time back to the queue", async () => {
  const run = await queueRun(5_000);
  const worker = startWorker();
  expect(await until(run, ["running"])).toBe("running");
  const began = performance.now();
  await worker.stop(100);
  expect(performance.now() - began).toBeLessThan(3_000);
  expect(await statusOf(run)).toBe("pending");
  // Another worker picks it up again.
  startWorker();
  expect(await until(run, ["running", "success"])).not.toBe("pending");
});

/** Holds back the heartbeats of one worker (its lease lapses meanwhile) until released. */
function holdHeartbeats() {
  const heartbeat = engine.storage.runs.heartbeat.bind(engine.storage.runs);
  let held: string | undefined;
  engine.storage.runs.heartbeat = async (workerId, runIds, leaseMs) => {
    while (held === workerId) await Bun.sleep(10);
    return heartbeat(workerId, runIds, leaseMs);
  };
  return {
    hold: (worker: Worker) => {
      held = worker.id;
    },
    release: () => {
      held = undefined;
    },
  };
}

async function eventually(check: () => boolean | Promise<boolean>, ms = 3_000): Promise<boolean> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    if (await check()) return true;
    await Bun.sleep(10);
  }
  return check();
}

/** Lets the run's lease lapse while its worker's heartbeats are held, and requeues it. */
async function lapse(worker: Worker, heartbeats: ReturnType<typeof holdHeartbeats>) {
  heartbeats.hold(worker);
  await Bun.sleep(300);
  expect((await createMaintenance({ ...engine }).runOnce()).leases).toBe(1);
}

const attemptOf = async (run: { thread_id: string; run_id: string }) =>
  (await engine.storage.runs.get(run.thread_id, run.run_id)).attempt;

test("a run whose lapsed lease another worker took stops here at the next heartbeat; the new claim finishes it", async () => {
  const run = await queueRun(1_500, "watched");
  const heartbeats = holdHeartbeats();
  const first = startWorker({ leaseMs: 200, heartbeatMs: 50, concurrency: 1 });
  expect(await until(run, ["running"])).toBe("running");
  await lapse(first, heartbeats);
  const second = startWorker({ leaseMs: 200, heartbeatMs: 50 });
  expect(await eventually(async () => (await attemptOf(run)) === 2)).toBe(true);
  heartbeats.release();
  // The held heartbeat goes through, finds the run no longer the first worker's, and stops it.
  expect(await eventually(() => first.active() === 0, 1_000)).toBe(true);
  expect(second.active()).toBe(1);
  expect(watched.seen.running).toBe(1);
  expect(await until(run, ["success", "error"])).toBe("success");
  expect(await attemptOf(run)).toBe(2);
  expect((await engine.storage.threads.get(run.thread_id)).values).toEqual({ steps: 1 });
});

test("a worker that claims again a run it still executes (its lease lapsed) stops the old attempt first", async () => {
  const run = await queueRun(1_000, "watched");
  const heartbeats = holdHeartbeats();
  const worker = startWorker({ leaseMs: 200, heartbeatMs: 50 });
  expect(await until(run, ["running"])).toBe("running");
  await lapse(worker, heartbeats);
  // It has a free slot, so it claims the requeued run itself.
  expect(await eventually(async () => (await attemptOf(run)) === 2)).toBe(true);
  heartbeats.release();
  expect(await eventually(() => watched.seen.started === 2)).toBe(true);
  await Bun.sleep(200);
  // One execution at a time, and the new attempt is the one the worker holds (and renews).
  expect(worker.active()).toBe(1);
  expect(await until(run, ["success", "error"])).toBe("success");
  expect(watched.seen.most).toBe(1);
  expect(await attemptOf(run)).toBe(2);
});
