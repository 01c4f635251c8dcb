import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { Client } from "@langchain/langgraph-sdk";
import { expectStatus } from "./expect-status.ts";
import { createTestStorage, MODES, spawnServer, type TestServer, useTestServer } from "./harness.ts";

const CONFIG = resolve(import.meta.dir, "fixtures/run-graphs/langgraph.json");
const FAST = { FRACTAL_CRON_POLL_MS: "100" };
const EVERY_SECOND = "* * * * * *"; // the optional seconds field, for short tests
const quick = { input: {}, config: { configurable: { steps: 1, delay_ms: 1 } } };

/** The cron ticks behind a thread's runs (from run metadata), oldest first. */
async function ticks(client: Client, threadId: string): Promise<string[]> {
  const runs = await client.runs.list(threadId, { limit: 100 });
  return runs.map((r) => String((r.metadata as { cron_tick?: string }).cron_tick)).reverse();
}

for (const mode of MODES) {
  describe(`crons (${mode})`, () => {
    const current = useTestServer(mode, FAST, ["--config", CONFIG]);
    let server: TestServer;
    beforeAll(() => {
      server = current();
    });
    beforeEach(async () => server.truncate());

    test("create, get by search, count, patch and delete; bad input is refused", async () => {
      const crons = server.client.crons;
      const cron = await crons.create("slow", {
        schedule: "0 9 * * 1",
        timezone: "Europe/Paris",
        metadata: { team: "a" },
        ...quick,
      });
      expect(cron).toMatchObject({ schedule: "0 9 * * 1", timezone: "Europe/Paris", enabled: true, thread_id: null });
      expect(Date.parse(cron.next_run_date as string)).toBeGreaterThan(Date.now());
      const thread = await server.client.threads.create();
      const onThread = await crons.createForThread(thread.thread_id, "slow", { schedule: "0 0 1 1 *", ...quick });
      expect(onThread.thread_id).toBe(thread.thread_id);
      expect((await crons.search({ metadata: { team: "a" } })).map((c) => c.cron_id)).toEqual([cron.cron_id]);
      expect((await crons.search({ threadId: thread.thread_id })).map((c) => c.cron_id)).toEqual([onThread.cron_id]);
      expect(await crons.count()).toBe(2);
      const patched = (await crons.update(cron.cron_id, { schedule: "*/15 * * * *", enabled: false })) as unknown as {
        schedule: string;
        enabled: boolean;
      };
      expect(patched).toMatchObject({ schedule: "*/15 * * * *", enabled: false });
      // A payload-only patch replaces the run payload and keeps the settings.
      const repayloaded = (await crons.update(cron.cron_id, { input: { topic: "new" } })) as unknown as {
        schedule: string;
        enabled: boolean;
        payload: { input?: unknown };
        metadata: unknown;
      };
      expect(repayloaded).toMatchObject({ schedule: "*/15 * * * *", enabled: false, metadata: { team: "a" } });
      expect(repayloaded.payload.input).toEqual({ topic: "new" });
      expect(await crons.count({ assistantId: cron.assistant_id })).toBe(2);
      expect((await crons.search({ enabled: false })).length).toBe(1);
      await crons.delete(cron.cron_id);
      await expectStatus(crons.delete(cron.cron_id), 404);
      await expectStatus(crons.create("slow", { schedule: "not a cron" }), 422);
      await expectStatus(crons.create("slow", { schedule: "* * * * *", timezone: "Mars/Olympus" }), 422);
      await expectStatus(crons.create("no-such-graph", { schedule: "* * * * *" }), 404);
      await expectStatus(crons.createForThread(crypto.randomUUID(), "slow", { schedule: "* * * * *" }), 404);
      await expectStatus(crons.create("slow", { schedule: "* * * * *", webhook: "http://10.0.0.1/x" }), 422);
    });

    test("a thread cron fires each tick once, in order, and stops when disabled", async () => {
      const thread = await server.client.threads.create();
      const cron = await server.client.crons.createForThread(thread.thread_id, "slow", {
        schedule: EVERY_SECOND,
        multitaskStrategy: "enqueue",
        ...quick,
      });
      await Bun.sleep(2600);
      await server.client.crons.update(cron.cron_id, { enabled: false });
      await Bun.sleep(300);
      const fired = await ticks(server.client, thread.thread_id);
      expect(fired.length).toBeGreaterThanOrEqual(2);
      expect(new Set(fired).size).toBe(fired.length);
      expect([...fired].sort()).toEqual(fired);
      await Bun.sleep(1200);
      expect((await ticks(server.client, thread.thread_id)).length).toBe(fired.length);
    });

    test("a stateless cron makes a new thread per tick; on_run_completed keep leaves them", async () => {
      const before = await server.client.threads.count();
      const cron = await server.client.crons.create("slow", {
        schedule: EVERY_SECOND,
        onRunCompleted: "keep",
        ...quick,
      });
      await Bun.sleep(2300);
      await server.client.crons.delete(cron.cron_id);
      await Bun.sleep(300);
      expect((await server.client.threads.count()) - before).toBeGreaterThanOrEqual(2);
    });
  });
}

describe("crons across processes (postgres)", () => {
  const current = useTestServer("postgres", FAST, ["--config", CONFIG]);
  let second: Awaited<ReturnType<typeof spawnServer>> | undefined;
  afterAll(async () => {
    second?.proc.kill("SIGTERM");
    await second?.proc.exited;
  });

  test("two server processes on one database fire each tick exactly once", async () => {
    const first = current();
    second = await spawnServer({ env: { ...first.env, ...FAST }, args: ["--config", CONFIG] });
    const thread = await first.client.threads.create();
    const cron = await first.client.crons.createForThread(thread.thread_id, "slow", {
      schedule: EVERY_SECOND,
      multitaskStrategy: "enqueue",
      ...quick,
    });
    await Bun.sleep(3600);
    await new Client({ apiUrl: second.url }).crons.update(cron.cron_id, { enabled: false });
    await Bun.sleep(300);
    const fired = await ticks(first.client, thread.thread_id);
    expect(fired.length).toBeGreaterThanOrEqual(3);
    expect(new Set(fired).size).toBe(fired.length);
  });
});

for (const mode of MODES) {
  describe(`crons across a restart (${mode})`, () => {
    let dropStorage = async () => {};
    let server: Awaited<ReturnType<typeof spawnServer>> | undefined;
    afterAll(async () => {
      server?.proc.kill("SIGTERM");
      await server?.proc.exited;
      await dropStorage();
    });

    test("a cron keeps firing after a restart; the ticks missed while down fire once, not each", async () => {
      const storage = await createTestStorage(mode);
      const env = storage.env;
      dropStorage = storage.drop;
      const start = () => spawnServer({ env: { ...env, ...FAST }, args: ["--config", CONFIG] });
      server = await start();
      let client = new Client({ apiUrl: server.url });
      const thread = await client.threads.create();
      const cron = await client.crons.createForThread(thread.thread_id, "slow", {
        schedule: EVERY_SECOND,
        multitaskStrategy: "enqueue",
        ...quick,
      });
      await Bun.sleep(1600);
      server.proc.kill("SIGTERM");
      await server.proc.exited;
      const down = Date.now();
      await Bun.sleep(2500); // two or three ticks pass while nothing runs
      server = await start();
      const up = Date.now();
      client = new Client({ apiUrl: server.url });
      const beforeStop = (await ticks(client, thread.thread_id)).length;
      await Bun.sleep(2300);
      await client.crons.update(cron.cron_id, { enabled: false });
      await Bun.sleep(300);
      const fired = await ticks(client, thread.thread_id);
      expect(beforeStop).toBeGreaterThanOrEqual(1);
      expect(new Set(fired).size).toBe(fired.length);
      expect([...fired].sort()).toEqual(fired);
      // Fired after the restart: the one missed tick (scheduled while down) plus live ones.
      const afterRestart = fired.slice(beforeStop).map((t) => Date.parse(t));
      expect(afterRestart.length).toBeGreaterThanOrEqual(2);
      const missed = afterRestart.filter((t) => t < up - 1000);
      expect(missed).toHaveLength(1);
      expect(missed[0] as number).toBeLessThan(down + 1000);
      expect(afterRestart.filter((t) => t >= up - 1000).length).toBeGreaterThanOrEqual(1);
    }, 30_000);
  });
}
