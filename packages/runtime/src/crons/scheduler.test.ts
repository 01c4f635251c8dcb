import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { defaultAssistantId } from "../default-assistants.ts";
import type { CreateRunRequest, RunService } from "../runs/run-service.ts";
import { type TestConfig, testConfig } from "../testing/engine.ts";
import { slowGraph } from "../testing/graphs.ts";
import { createCronScheduler } from "./scheduler.ts";

// Each test opens a database of its own (a copy of a migrated one) before it waits on real timers.
setDefaultTimeout(20_000);

let engine: TestConfig;
beforeEach(async () => {
  engine = await testConfig({ graphs: { slow: slowGraph } });
});
afterEach(() => engine.close());

/** Records the runs the scheduler asks for; `fail` makes the first calls throw. */
function recordingRuns(fail = 0) {
  const calls: Array<{ threadId: string | undefined; request: CreateRunRequest }> = [];
  const runs = {
    async create(threadId: string | undefined, request: CreateRunRequest) {
      calls.push({ threadId, request });
      if (calls.length <= fail) throw new Error("the run service refused");
      return { run_id: crypto.randomUUID() };
    },
  } as unknown as RunService;
  return { runs, calls };
}

const everySecond = (extra: Record<string, unknown> = {}) =>
  engine.storage.crons.create({
    assistant_id: defaultAssistantId("slow"),
    schedule: "* * * * * *",
    payload: { input: { from: "cron" }, metadata: { team: "red" } },
    ...extra,
  });

test("a due cron fires a run per tick, with its payload and the cron's id and tick in the metadata", async () => {
  const cron = await everySecond();
  const { runs, calls } = recordingRuns();
  const scheduler = createCronScheduler({ storage: engine.storage, runs, logger: engine.logger, pollMs: 50 });
  scheduler.start();
  await Bun.sleep(2_300);
  await scheduler.stop();
  expect(calls.length).toBeGreaterThanOrEqual(1);
  expect(calls.length).toBeLessThanOrEqual(3);
  const first = calls[0]?.request;
  expect(first?.assistant_id).toBe(defaultAssistantId("slow"));
  expect(first?.kwargs.input).toEqual({ from: "cron" });
  expect(first?.metadata).toMatchObject({ team: "red", cron_id: cron.cron_id });
  // A stateless cron: each tick on a new thread, which is deleted when the run ends (the default).
  expect(calls[0]?.threadId).toBeUndefined();
  expect(first?.kwargs.on_completion).toBe("delete");
  const ticks = calls.map((c) => c.request.metadata?.cron_tick);
  expect(new Set(ticks).size).toBe(ticks.length);
});

test("two schedulers on one database fire each tick once", async () => {
  await everySecond();
  const a = recordingRuns();
  const b = recordingRuns();
  const schedulers = [a, b].map(({ runs }) =>
    createCronScheduler({ storage: engine.storage, runs, logger: engine.logger, pollMs: 20 }),
  );
  for (const s of schedulers) s.start();
  await Bun.sleep(2_300);
  for (const s of schedulers) await s.stop();
  const ticks = [...a.calls, ...b.calls].map((c) => String(c.request.metadata?.cron_tick));
  expect(ticks.length).toBeGreaterThanOrEqual(1);
  expect(new Set(ticks).size).toBe(ticks.length);
});

test("a disabled cron never fires; a tick whose run cannot start does not stop later ticks", async () => {
  await everySecond({ enabled: false });
  const enabled = await everySecond();
  const { runs, calls } = recordingRuns(1);
  const scheduler = createCronScheduler({ storage: engine.storage, runs, logger: engine.logger, pollMs: 50 });
  scheduler.start();
  await Bun.sleep(2_300);
  await scheduler.stop();
  expect(calls.every((c) => c.request.metadata?.cron_id === enabled.cron_id)).toBe(true);
  expect(calls.length).toBeGreaterThanOrEqual(2);
});
