import { beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { Client } from "@langchain/langgraph-sdk";
import { expectStatus } from "./expect-status.ts";
import { MODES, type TestServer, useTestServer } from "./harness.ts";

const CONFIG = resolve(import.meta.dir, "fixtures/run-graphs/langgraph.json");
const ALICE_KEY = "alice-key-0123456789abcdef";
const READER_KEY = "reader-key-0123456789abcdef";
// The reader's key is configured only as its hash, as an operator stores it.
const KEYS = [
  { identity: "alice", key: ALICE_KEY },
  {
    identity: "alice",
    display_name: "alice (read only)",
    key_sha256: createHash("sha256").update(READER_KEY).digest("hex"),
    permissions: ["threads:read", "threads:search"],
  },
  { identity: "bob", key: "bob-key-0123456789abcdef-bob" },
];

for (const mode of MODES) {
  describe(`auth: operator API keys over x-api-key (${mode})`, () => {
    const current = useTestServer(mode, { FRACTAL_AUTH: "api_key", FRACTAL_API_KEYS: JSON.stringify(KEYS) }, [
      "--config",
      CONFIG,
    ]);
    let server: TestServer;
    const as = (apiKey: string | null) => new Client({ apiUrl: server.url, apiKey });
    beforeAll(() => {
      server = current();
    });

    test("the SDK's apiKey option authenticates; each key acts as its identity", async () => {
      const alice = as(ALICE_KEY);
      const thread = await alice.threads.create({ metadata: { topic: "keys" } });
      expect(thread.metadata).toMatchObject({ owner: "alice" });
      const values = (await alice.runs.wait(thread.thread_id, "inspect", { input: {} })) as { steps: number[] };
      expect(values.steps).toEqual([1, 2]);
      // Another identity's key sees nothing of alice's.
      await expectStatus(as("bob-key-0123456789abcdef-bob").threads.get(thread.thread_id), 404);
    });

    test("a key's permissions limit it: the read-only key reads but may not write", async () => {
      const thread = await as(ALICE_KEY).threads.create();
      const reader = as(READER_KEY);
      expect((await reader.threads.get(thread.thread_id)).thread_id).toBe(thread.thread_id);
      expect((await reader.threads.search()).map((t) => t.thread_id)).toContain(thread.thread_id);
      await expectStatus(reader.threads.create(), 403);
      await expectStatus(reader.runs.wait(thread.thread_id, "inspect", { input: {} }), 403);
      await expectStatus(reader.threads.delete(thread.thread_id), 403);
    });

    test("a wrong key or none is a 401; public paths stay open", async () => {
      const wrong = await fetch(`${server.url}/threads/search`, {
        method: "POST",
        headers: { "x-api-key": "not-a-key", accept: "application/json" },
      });
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toEqual({
        error: "unauthorized",
        message: "invalid api key",
        request_id: expect.any(String),
      });
      const none = await fetch(`${server.url}/threads/search`, { method: "POST" });
      expect(none.status).toBe(401);
      expect(await none.text()).toBe(`missing x-api-key (request_id: ${none.headers.get("x-request-id")})`);
      expect((await fetch(`${server.url}/ok`)).status).toBe(200);
    });
  });
}
