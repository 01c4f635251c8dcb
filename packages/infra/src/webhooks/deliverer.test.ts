import { afterAll, afterEach, beforeAll, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { createHmac } from "node:crypto";
import { rmSync } from "node:fs";
import { createNoopLogger } from "../logger.ts";
import { type Database, openDatabase } from "../storage/database.ts";
import { createStorage, type Storage } from "../storage/storage.ts";
import { migratedDataDir } from "../storage/testing/pglite.ts";
import type { Delivery } from "../storage/webhook-deliveries.ts";
import { createDeliverer, type DelivererOptions } from "./deliverer.ts";

// Each test opens a database of its own (a copy of a migrated one) before it waits on real timers.
setDefaultTimeout(20_000);

// An endpoint on loopback whose answers the tests script: it records what it receives.
let answers: number[] = [];
const received: Array<{ body: string; signature: string | null }> = [];
let endpoint: ReturnType<typeof Bun.serve>;
beforeAll(() => {
  endpoint = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      received.push({ body: await request.text(), signature: request.headers.get("x-fractal-signature") });
      return new Response(null, { status: answers.shift() ?? 200 });
    },
  });
});
afterAll(() => endpoint.stop(true));

let database: Database;
let storage: Storage;
let dataDir: string;
beforeEach(async () => {
  dataDir = await migratedDataDir("fractal-deliverer-");
  database = await openDatabase({ kind: "pglite", dataDir });
  storage = await createStorage(database, { migrate: true });
  answers = [];
  received.length = 0;
});
afterEach(async () => {
  await database.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const url = () => `http://127.0.0.1:${endpoint.port}/hook`;

function deliverer(options: Partial<DelivererOptions> = {}) {
  return createDeliverer({
    deliveries: storage.webhooks,
    policy: { allowedHosts: ["127.0.0.1"] },
    logger: createNoopLogger(),
    localFetch: () => Promise.resolve(new Response(null, { status: 404 })),
    maxAttempts: 3,
    retryBaseMs: 20,
    pollMs: 10,
    ...options,
  });
}

async function deliveryOf(runId: string, settled: (d: Delivery) => boolean): Promise<Delivery> {
  for (let i = 0; i < 300; i++) {
    const [delivery] = await storage.webhooks.forRun(runId);
    if (delivery && settled(delivery)) return delivery;
    await Bun.sleep(10);
  }
  throw new Error("the delivery did not settle");
}

async function enqueue(target: string, payload: unknown = { status: "success" }) {
  const runId = crypto.randomUUID();
  await storage.webhooks.enqueue({ run_id: runId, thread_id: crypto.randomUUID(), url: target, payload });
  return runId;
}

test("delivers the payload once, signed with HMAC-SHA256 when a secret is set", async () => {
  const runId = await enqueue(url(), { run_id: "r", status: "success" });
  const sender = deliverer({ secret: "s3cret" });
  sender.start();
  const delivery = await deliveryOf(runId, (d) => d.status !== "pending");
  await sender.stop();
  expect(delivery).toMatchObject({ status: "delivered", attempts: 1, last_status: 200 });
  expect(received).toHaveLength(1);
  const body = received[0]?.body as string;
  expect(JSON.parse(body)).toEqual({ run_id: "r", status: "success" });
  expect(received[0]?.signature).toBe(`sha256=${createHmac("sha256", "s3cret").update(body).digest("hex")}`);
});

test("retries a failing endpoint with backoff until it answers 2xx", async () => {
  answers = [500, 503];
  const runId = await enqueue(url());
  const sender = deliverer();
  sender.start();
  const delivery = await deliveryOf(runId, (d) => d.status !== "pending");
  await sender.stop();
  expect(delivery).toMatchObject({ status: "delivered", attempts: 3 });
  expect(received).toHaveLength(3);
});

test("gives up after maxAttempts, keeping the last status", async () => {
  answers = [500, 500, 500, 500];
  const runId = await enqueue(url());
  const sender = deliverer({ maxAttempts: 2 });
  sender.start();
  const delivery = await deliveryOf(runId, (d) => d.status !== "pending");
  await Bun.sleep(100);
  await sender.stop();
  expect(delivery).toMatchObject({ status: "failed", attempts: 2, last_status: 500 });
  expect(received).toHaveLength(2);
});

test("a URL the policy refuses is never requested", async () => {
  const runId = await enqueue(url());
  const sender = deliverer({ policy: { allowedHosts: [] }, maxAttempts: 1 });
  sender.start();
  const delivery = await deliveryOf(runId, (d) => d.status !== "pending");
  await sender.stop();
  expect(delivery.status).toBe("failed");
  expect(delivery.last_error).toMatch(/127\.0\.0\.1|private|loopback|not allowed/i);
  expect(received).toHaveLength(0);
});

test("a relative URL goes to this server in-process", async () => {
  const local: string[] = [];
  const runId = await enqueue("/hooks/done");
  const sender = deliverer({
    localFetch: async (request) => {
      local.push(`${request.method} ${new URL(request.url).pathname}`);
      return new Response(null, { status: 204 });
    },
  });
  sender.kick();
  const delivery = await deliveryOf(runId, (d) => d.status !== "pending");
  await sender.stop();
  expect(delivery.status).toBe("delivered");
  expect(local).toEqual(["POST /hooks/done"]);
});
