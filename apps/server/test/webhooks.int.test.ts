import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { resolve } from "node:path";
import { MODES, type TestServer, useTestServer } from "./harness.ts";

const CONFIG = resolve(import.meta.dir, "fixtures/run-graphs/langgraph.json");
const SECRET = "test-secret";

interface Received {
  path: string;
  body: Record<string, unknown>;
  signature: string | null;
  raw: string;
}

/** A webhook receiver on loopback: records requests; `/flaky…` fails twice, `/down…` always. */
function startReceiver() {
  const received: Received[] = [];
  const hits = new Map<string, number>();
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const path = new URL(request.url).pathname;
      const raw = await request.text();
      const n = (hits.get(path) ?? 0) + 1;
      hits.set(path, n);
      if (path.startsWith("/down") || (path.startsWith("/flaky") && n <= 2)) return new Response("no", { status: 500 });
      received.push({ path, raw, body: JSON.parse(raw), signature: request.headers.get("x-fractal-signature") });
      return new Response(null, { status: 204 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, received, hits, stop: () => server.stop(true) };
}

const receiver = startReceiver();
afterAll(() => receiver.stop());

for (const mode of MODES) {
  describe(`webhooks (${mode})`, () => {
    const current = useTestServer(
      mode,
      {
        FRACTAL_WEBHOOK_SECRET: SECRET,
        FRACTAL_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
        FRACTAL_WEBHOOK_MAX_ATTEMPTS: "3",
        FRACTAL_WEBHOOK_RETRY_BASE_MS: "50",
      },
      ["--config", CONFIG],
    );
    let server: TestServer;
    beforeAll(() => {
      server = current();
    });

    type Delivery = { status: string; attempts: number; last_status: number | null; last_error: string | null };
    const deliveries = async (runId: string) =>
      (await (await fetch(`${server.url}/internal/webhooks/${runId}`)).json()) as Delivery[];
    const settled = async (runId: string) => {
      for (let i = 0; i < 100; i++) {
        const [d] = await deliveries(runId);
        if (d && d.status !== "pending") return d;
        await Bun.sleep(50);
      }
      return (await deliveries(runId))[0];
    };

    test("a run's end is POSTed to its webhook with status and values, signed with the secret", async () => {
      const thread = await server.client.threads.create();
      const path = `/ok-${mode}`;
      const run = await server.client.runs.create(thread.thread_id, "slow", {
        input: {},
        config: { configurable: { steps: 2, delay_ms: 5 } },
        webhook: `${receiver.url}${path}`,
      });
      await server.client.runs.join(thread.thread_id, run.run_id);
      expect(await settled(run.run_id)).toMatchObject({ status: "delivered", attempts: 1, last_status: 204 });
      const got = receiver.received.find((r) => r.path === path);
      expect(got?.body).toMatchObject({
        run_id: run.run_id,
        thread_id: thread.thread_id,
        status: "success",
        values: { steps: [0, 1] },
      });
      expect(got?.signature).toBe(
        `sha256=${createHmac("sha256", SECRET)
          .update(got?.raw ?? "")
          .digest("hex")}`,
      );
    });

    test("a failing endpoint is retried with backoff until it answers; the run did not wait for it", async () => {
      const thread = await server.client.threads.create();
      const path = `/flaky-${mode}`;
      const run = await server.client.runs.create(thread.thread_id, "fails", {
        input: {},
        webhook: `${receiver.url}${path}`,
      });
      await server.client.runs.join(thread.thread_id, run.run_id);
      // The run has ended while its webhook is still being retried (two failures, 50 ms then 100 ms apart).
      expect((await server.client.runs.get(thread.thread_id, run.run_id)).status).toBe("error");
      expect((await deliveries(run.run_id))[0]?.status).toBe("pending");
      expect(await settled(run.run_id)).toMatchObject({ status: "delivered", attempts: 3, last_status: 204 });
      expect(receiver.received.find((r) => r.path === path)?.body).toMatchObject({
        run_id: run.run_id,
        status: "error",
        error: { message: "boom in node" },
      });
    });

    test("attempts are bounded: a dead endpoint ends failed after the last one", async () => {
      const path = `/down-${mode}`;
      const run = await server.client.runs.create(null, "slow", {
        input: {},
        config: { configurable: { steps: 1, delay_ms: 1 } },
        webhook: `${receiver.url}${path}`,
      });
      expect(await settled(run.run_id)).toMatchObject({ status: "failed", attempts: 3, last_status: 500 });
      await Bun.sleep(300);
      expect(receiver.hits.get(path)).toBe(3);
    });

    test("a relative webhook goes to this server itself", async () => {
      const run = await server.client.runs.create(null, "slow", {
        input: {},
        config: { configurable: { steps: 1, delay_ms: 1 } },
        webhook: "/store/items/search",
      });
      // The store search answers the run payload (no namespace_prefix) with 200: delivered in-process.
      expect(await settled(run.run_id)).toMatchObject({ status: "delivered", last_status: 200 });
    });

    test("SSRF guard: private, loopback and non-http targets outside the allowlist are refused (422)", async () => {
      for (const webhook of [
        "http://10.0.0.5/hook",
        "http://localhost:9/hook",
        "ftp://127.0.0.1/x",
        "http://[::1]/x",
      ]) {
        const res = await fetch(`${server.url}/runs`, {
          method: "POST",
          body: JSON.stringify({ assistant_id: "slow", input: {}, webhook }),
          headers: { accept: "application/json" },
        });
        expect([webhook, res.status]).toEqual([webhook, 422]);
        expect(((await res.json()) as { message: string }).message).toMatch(/webhook/);
      }
    });
  });
}
