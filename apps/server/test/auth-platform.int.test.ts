// Custom auth written in the common Platform pattern (fixtures/auth-platform/auth.ts): owner filters
// on threads and assistants, teammates may read, a reader who may not write, identity-bound store
// namespaces, and a create_run handler that edits the run's metadata.
import { beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { Client } from "@langchain/langgraph-sdk";
import { expectStatus } from "./expect-status.ts";
import { MODES, type TestServer, useTestServer } from "./harness.ts";

const CONFIG = resolve(import.meta.dir, "fixtures/auth-platform/langgraph.json");

async function errorOf(promise: Promise<unknown>): Promise<{ status?: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { status?: number; message: string };
  }
  throw new Error("expected the call to fail");
}

for (const mode of MODES) {
  describe(`custom auth in the Platform pattern (${mode})`, () => {
    const current = useTestServer(mode, {}, ["--config", CONFIG]);
    let server: TestServer;
    const as = (key: string) => new Client({ apiUrl: server.url, defaultHeaders: { "x-api-key": key } });
    beforeAll(() => {
      server = current();
    });

    test("runs on one's own thread with a system assistant or a graph id: every kind of run", async () => {
      const alice = as("key-alice");
      const thread = await alice.threads.create();
      const slow = { config: { configurable: { steps: 2, delay_ms: 20 } } };
      // The graph id, and the system assistant's own id: neither is hidden by the assistants filter.
      const system = await alice.assistants.search({ graphId: "inspect", metadata: { created_by: "system" } });
      expect(system).toHaveLength(0);
      const waited = (await alice.runs.wait(thread.thread_id, "inspect", { input: {} })) as { steps: number[] };
      expect(waited.steps).toEqual([1, 2]);
      const streamed: string[] = [];
      for await (const e of alice.runs.stream(thread.thread_id, "slow", { input: {}, ...slow })) streamed.push(e.event);
      expect(streamed).toContain("values");
      const background = await alice.runs.create(thread.thread_id, "slow", { input: {}, ...slow });
      const joined = await alice.runs.join(thread.thread_id, background.run_id);
      expect((joined as { steps: number[] }).steps.length).toBeGreaterThan(0);
      const again = await alice.runs.create(thread.thread_id, "slow", { input: {}, ...slow });
      const events: string[] = [];
      for await (const e of alice.runs.joinStream(thread.thread_id, again.run_id)) events.push(e.event);
      expect(events[0]).toBe("metadata");
      const long = await alice.runs.create(thread.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 50, delay_ms: 50 } },
      });
      await alice.runs.cancel(thread.thread_id, long.run_id, true);
      expect((await alice.runs.get(thread.thread_id, long.run_id)).status).toBe("interrupted");
      const stateless = (await alice.runs.wait(null, "inspect", { input: {} })) as { steps: number[] };
      expect(stateless.steps).toEqual([1, 2]);
    });

    test("the create_run handler's metadata edit and filter stamp go on the run", async () => {
      const alice = as("key-alice");
      const thread = await alice.threads.create();
      const run = await alice.runs.create(thread.thread_id, "inspect", { input: {}, metadata: { mine: 1 } });
      expect(run.metadata).toMatchObject({ mine: 1, run_by: "alice", owner: "alice" });
      await alice.runs.join(thread.thread_id, run.run_id);
      // Bob's run on alice's thread does not pass the create_run filter.
      await expectStatus(as("key-bob").runs.create(thread.thread_id, "inspect", { input: {} }), 404);
    });

    test("a reader reads a teammate's state and history but may not run or copy: copying is a create", async () => {
      const alice = as("key-alice");
      const reader = as("key-reader");
      const thread = await alice.threads.create();
      await alice.runs.wait(thread.thread_id, "inspect", { input: {} });
      expect(thread.metadata).toMatchObject({ owner: "alice", team: "red" });
      expect(((await reader.threads.getState(thread.thread_id)).values as { steps: number[] }).steps).toEqual([1, 2]);
      expect((await reader.threads.getHistory(thread.thread_id)).length).toBeGreaterThan(1);
      expect(await errorOf(reader.threads.copy(thread.thread_id))).toMatchObject({
        status: 403,
        message: expect.stringMatching(/^HTTP 403: readers may not create threads \(request_id: [\w-]+\)$/),
      });
      await expectStatus(reader.runs.wait(thread.thread_id, "inspect", { input: {} }), 403);
      // Another team does not see it at all.
      await expectStatus(as("key-bob").threads.getState(thread.thread_id), 404);
      // Alice may copy; the copy is hers as the create handler stamps it.
      const copy = await alice.threads.copy(thread.thread_id);
      expect(copy.metadata).toMatchObject({ owner: "alice", team: "red" });
      expect(((await alice.threads.getState(copy.thread_id)).values as { steps: number[] }).steps).toEqual([1, 2]);
    });

    test("store namespaces must hold the caller's identity", async () => {
      const alice = as("key-alice");
      await alice.store.putItem(["notes", "alice"], "k", { v: 1 });
      expect((await alice.store.getItem(["notes", "alice"], "k"))?.value).toEqual({ v: 1 });
      await expectStatus(as("key-bob").store.getItem(["notes", "alice"], "k"), 403);
      await expectStatus(alice.store.putItem(["notes", "bob"], "k", { v: 2 }), 403);
    });
  });
}
