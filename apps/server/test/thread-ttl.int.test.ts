import { beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { expectStatus } from "./expect-status.ts";
import { MODES, type TestServer, useTestServer } from "./harness.ts";

const CONFIG = resolve(import.meta.dir, "fixtures/run-graphs/langgraph.json");
const TTL = 0.01; // minutes: 600 ms
// 3 s: the thread must outlive a run and a check first, which took past 600 ms on a busy machine.
const RUN_TTL = 0.05;

for (const mode of MODES) {
  describe(`thread TTL (${mode})`, () => {
    const current = useTestServer(mode, { FRACTAL_RUN_SWEEP_MS: "100" }, ["--config", CONFIG]);
    let server: TestServer;
    beforeAll(() => {
      server = current();
    });

    const checkpointRows = async (threadId: string) =>
      ((await (await fetch(`${server.url}/internal/checkpoints/${threadId}`)).json()) as { rows: number }).rows;

    /** Waits until the thread is gone (or the time is up). */
    const gone = async (threadId: string, ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until) {
        const res = await fetch(`${server.url}/threads/${threadId}`);
        if (res.status === 404) return true;
        await Bun.sleep(100);
      }
      return false;
    };

    test("an expired thread is deleted with its runs and checkpoints; one without a TTL stays", async () => {
      const doomed = await server.client.threads.create({ ttl: { ttl: RUN_TTL, strategy: "delete" } });
      const kept = await server.client.threads.create();
      const run = await server.client.runs.create(doomed.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 1, delay_ms: 10 } },
      });
      await server.client.runs.join(doomed.thread_id, run.run_id);
      await server.client.runs.wait(kept.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 1, delay_ms: 10 } },
      });
      expect(await checkpointRows(doomed.thread_id)).toBeGreaterThan(0);
      expect(await gone(doomed.thread_id, 10_000)).toBe(true);
      await expectStatus(server.client.runs.get(doomed.thread_id, run.run_id), 404);
      expect(await checkpointRows(doomed.thread_id)).toBe(0);
      expect((await server.client.threads.get(kept.thread_id)).thread_id).toBe(kept.thread_id);
      expect(await checkpointRows(kept.thread_id)).toBeGreaterThan(0);
    });

    test("activity restarts the TTL; a patch can set one", async () => {
      const thread = await server.client.threads.create({ ttl: { ttl: TTL, strategy: "delete" } });
      for (let i = 0; i < 4; i++) {
        await Bun.sleep(300);
        await server.client.threads.update(thread.thread_id, { metadata: { touch: i } });
      }
      expect((await server.client.threads.get(thread.thread_id)).metadata).toMatchObject({ touch: 3 });
      const later = await server.client.threads.create();
      await server.client.threads.update(later.thread_id, { ttl: { ttl: TTL, strategy: "delete" } });
      expect(await gone(thread.thread_id, 10_000)).toBe(true);
      expect(await gone(later.thread_id, 10_000)).toBe(true);
    });

    test("a running run on an expired thread is cancelled first; then the thread goes, nothing left", async () => {
      const thread = await server.client.threads.create({ ttl: { ttl: TTL, strategy: "delete" } });
      const run = await server.client.runs.create(thread.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 2000, delay_ms: 50 } },
      });
      // The run would take 100 s: the thread can only be gone this soon if the run was cancelled.
      expect(await gone(thread.thread_id, 15_000)).toBe(true);
      await expectStatus(server.client.runs.get(thread.thread_id, run.run_id), 404);
      await Bun.sleep(300);
      expect(await checkpointRows(thread.thread_id)).toBe(0);
    });

    test("ttl must be positive, and only the delete strategy is served", async () => {
      for (const ttl of [{ ttl: 0 }, { ttl: -1 }, { ttl: 5, strategy: "keep_latest" }]) {
        const res = await fetch(`${server.url}/threads`, { method: "POST", body: JSON.stringify({ ttl }) });
        expect(res.status).toBe(422);
      }
    });
  });
}

for (const mode of MODES) {
  describe(`thread TTL default (${mode})`, () => {
    const current = useTestServer(mode, { FRACTAL_RUN_SWEEP_MS: "100", FRACTAL_THREAD_TTL_MINUTES: String(TTL) });

    test("FRACTAL_THREAD_TTL_MINUTES gives threads created without a ttl one; an explicit ttl wins", async () => {
      const server = current();
      const defaulted = await server.client.threads.create();
      const explicit = await server.client.threads.create({ ttl: { ttl: 60, strategy: "delete" } });
      const until = performance.now() + 10_000;
      while (performance.now() < until && (await fetch(`${server.url}/threads/${defaulted.thread_id}`)).status !== 404)
        await Bun.sleep(100);
      await expectStatus(server.client.threads.get(defaulted.thread_id), 404);
      expect((await server.client.threads.get(explicit.thread_id)).thread_id).toBe(explicit.thread_id);
    });
  });
}

for (const mode of MODES) {
  describe(`thread TTL without a worker (${mode})`, () => {
    // An API-only process: it executes no runs, but the maintenance jobs still run in it.
    const current = useTestServer(mode, { FRACTAL_RUN_SWEEP_MS: "100", N_JOBS_PER_WORKER: "0" });

    test("a process with no worker still deletes expired threads", async () => {
      const server = current();
      const doomed = await server.client.threads.create({ ttl: { ttl: TTL, strategy: "delete" } });
      const until = performance.now() + 10_000;
      while (performance.now() < until && (await fetch(`${server.url}/threads/${doomed.thread_id}`)).status !== 404)
        await Bun.sleep(100);
      await expectStatus(server.client.threads.get(doomed.thread_id), 404);
    });
  });
}
