import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { StateGraph } from "@langchain/langgraph";
import { z } from "zod";
import { defaultAssistantId } from "./default-assistants.ts";
import { createMaintenance } from "./maintenance.ts";
import { type TestConfig, testConfig } from "./testing/engine.ts";

// Each test opens a database of its own (a copy of a migrated one) before it waits on real timers.
setDefaultTimeout(20_000);

const noop = new StateGraph(z.object({ n: z.number().default(0) }))
  .addNode("step", () => ({ n: 1 }))
  .addEdge("__start__", "step")
  .compile();

let engine: TestConfig;
beforeEach(async () => {
  engine = await testConfig({ graphs: { noop } });
});
afterEach(() => engine.close());

const maintenanceOf = (maxAttempts = 3) => createMaintenance({ ...engine, maxAttempts });

async function queueRun(threadId: string) {
  await engine.storage.threads.create({ thread_id: threadId });
  const { run } = await engine.storage.runs.create({
    run_id: crypto.randomUUID(),
    thread_id: threadId,
    assistant_id: defaultAssistantId("noop"),
    kwargs: {},
    multitask_strategy: "enqueue",
  });
  return run;
}

test("a run whose worker stopped (lease expired) goes back to the queue, then ends error past maxAttempts", async () => {
  const run = await queueRun(crypto.randomUUID());
  expect((await engine.storage.runs.claim("gone-worker", 1))?.run_id).toBe(run.run_id);
  await Bun.sleep(20);
  const maintenance = maintenanceOf(2);
  expect(await maintenance.runOnce()).toEqual({ leases: 1, store_items: 0, threads: 0, vacuumed: true });
  expect((await engine.storage.runs.get(run.thread_id, run.run_id)).status).toBe("pending");
  // A live lease is left alone.
  expect((await engine.storage.runs.claim("live-worker", 60_000))?.run_id).toBe(run.run_id);
  expect((await maintenance.runOnce()).leases).toBe(0);
  expect((await engine.storage.runs.get(run.thread_id, run.run_id)).status).toBe("running");
  // Expired again: the second attempt was the last one.
  await engine.storage.runs.release("live-worker", run.run_id);
  expect((await engine.storage.runs.claim("gone-again", 1))?.run_id).toBe(run.run_id);
  await Bun.sleep(20);
  expect((await maintenance.runOnce()).leases).toBe(1);
  expect((await engine.storage.runs.get(run.thread_id, run.run_id)).status).toBe("error");
});

test("expired store items are deleted; items without a TTL or not yet expired stay", async () => {
  const { store } = engine.storage;
  await store.putItem(["m"], "old", { v: 1 }, 0.0001);
  await store.putItem(["m"], "forever", { v: 2 });
  await store.putItem(["m"], "later", { v: 3 }, 60);
  await Bun.sleep(50);
  expect((await maintenanceOf().runOnce()).store_items).toBe(1);
  const keys = (await store.search(["m"], { limit: 10 })).map((item) => item.key).sort();
  expect(keys).toEqual(["forever", "later"]);
});

test("an expired thread is deleted; one with an active run has the run cancelled first, and goes next pass", async () => {
  const { threads } = engine.storage;
  const idle = crypto.randomUUID();
  await threads.create({ thread_id: idle, ttl_minutes: 0.0001 });
  const busy = crypto.randomUUID();
  const run = await queueRun(busy);
  await threads.patch(busy, { ttl_minutes: 0.0001 });
  const kept = crypto.randomUUID();
  await threads.create({ thread_id: kept, ttl_minutes: 60 });
  await Bun.sleep(50);

  const maintenance = maintenanceOf();
  expect((await maintenance.runOnce()).threads).toBe(1);
  expect(await threads.get(idle).catch((e: { code?: string }) => e.code)).toBe("not_found");
  // The pending run was cancelled; the thread waits for the next pass.
  expect((await engine.storage.runs.get(busy, run.run_id)).status).not.toBe("pending");
  expect((await threads.get(busy)).thread_id).toBe(busy);
  expect((await maintenance.runOnce()).threads).toBe(1);
  expect(await threads.get(busy).catch((e: { code?: string }) => e.code)).toBe("not_found");
  expect((await threads.get(kept)).thread_id).toBe(kept);
});

test("start() runs the jobs on its interval and stop() waits for the pass in progress", async () => {
  const idle = crypto.randomUUID();
  await engine.storage.threads.create({ thread_id: idle, ttl_minutes: 0.0001 });
  const maintenance = createMaintenance({ ...engine, intervalMs: 20 });
  maintenance.start();
  let code: string | undefined;
  for (let i = 0; i < 100 && code !== "not_found"; i++) {
    await Bun.sleep(20);
    code = await engine.storage.threads.get(idle).then(
      () => undefined,
      (e: { code?: string }) => e.code,
    );
  }
  await maintenance.stop();
  expect(code).toBe("not_found");
});

test("the embedded database is vacuumed on the first pass, then once per vacuumEveryMs", async () => {
  // A pass on a loaded CI machine can take past 200 ms (the VACUUM of a file-backed database with it).
  const maintenance = createMaintenance({ ...engine, vacuumEveryMs: 2_000 });
  expect((await maintenance.runOnce()).vacuumed).toBe(true);
  expect((await maintenance.runOnce()).vacuumed).toBe(false);
  await Bun.sleep(2_100);
  expect((await maintenance.runOnce()).vacuumed).toBe(true);
});
