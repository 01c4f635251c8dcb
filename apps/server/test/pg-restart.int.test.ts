// A real PostgreSQL stop and start under a running server (the outage test cuts a proxy; this one
// stops the server itself, which disconnects every client with admin_shutdown): requests answer
// 503 with Retry-After meanwhile, /ok?check_db=1 reports it, and after the start everything works
// again with the data written before the outage intact.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type PgCluster, startPgCluster } from "@fractal/infra/storage/testing/pg-cluster";
import { Client } from "@langchain/langgraph-sdk";
import { type ServerProcess, spawnServer } from "./harness.ts";

let cluster: PgCluster;
let server: ServerProcess;
beforeAll(async () => {
  cluster = await startPgCluster();
  server = await spawnServer({ env: { DATABASE_URL: cluster.url, LOG_LEVEL: "info" } });
}, 90_000);
afterAll(async () => {
  server?.proc.kill("SIGTERM");
  await server?.proc.exited;
  await cluster?.destroy();
});

test("PostgreSQL stopped and started: 503 + Retry-After while down, then recovery with the data intact", async () => {
  const client = new Client({ apiUrl: server.url });
  const thread = await client.threads.create({ metadata: { before: "outage" } });
  const search = () =>
    fetch(`${server.url}/threads/search`, { method: "POST", body: "{}", headers: { accept: "application/json" } });
  expect((await search()).status).toBe(200);

  await cluster.stop();
  const during = [await search(), await search(), await search()];
  expect(during.map((r) => r.status)).toEqual([503, 503, 503]);
  expect(during[0]?.headers.get("retry-after")).toBe("5");
  expect(((await (during[1] as Response).json()) as { message: string }).message).toMatch(/unavailable/);
  const check = await fetch(`${server.url}/ok?check_db=1`);
  expect(check.status).toBe(503);
  expect(await check.json()).toEqual({ ok: false, db: "unavailable", request_id: check.headers.get("x-request-id") });
  expect(server.output().match(/"msg":"database unavailable/g)?.length).toBe(1);

  await cluster.start();
  let status = 0;
  for (let i = 0; i < 100 && status !== 200; i++) {
    status = (await search()).status;
    if (status !== 200) await Bun.sleep(100);
  }
  expect(status).toBe(200);
  expect((await client.threads.get(thread.thread_id)).metadata).toMatchObject({ before: "outage" });
  const after = await client.threads.create();
  expect((await client.threads.get(after.thread_id)).thread_id).toBe(after.thread_id);
  expect(await (await fetch(`${server.url}/ok?check_db=1`)).json()).toEqual({ ok: true, db: "ok" });
}, 90_000);

test("PostgreSQL restarted under an API process and a worker process (events over LISTEN/NOTIFY): both reconnect and go on, no restart", async () => {
  const own = await startPgCluster();
  // A worker that would look for runs only every 20 s by itself: runs after the restart go through
  // fast only if the LISTEN connection is back.
  const env = { DATABASE_URL: own.url, FRACTAL_WORKER_POLL_MS: "20000", LOG_LEVEL: "info" };
  const api = await spawnServer({ env, args: ["--no-worker"] });
  const worker = await spawnServer({ command: "worker", env, args: ["--no-migrate"] });
  try {
    const client = new Client({ apiUrl: api.url });
    const ask = async () => {
      const started = performance.now();
      const values = (await client.runs.wait(null, "agent", {
        input: { messages: [{ role: "user", content: "tea" }] },
      })) as { messages: { content: string }[] };
      return { reply: values.messages.at(-1)?.content, ms: performance.now() - started };
    };
    await Bun.sleep(500);
    expect((await ask()).reply).toBe("You said: tea");

    await own.stop();
    await Bun.sleep(1000);
    await own.start();
    for (const p of [api, worker]) {
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        status = (await fetch(`${p.url}/ok?check_db=1`)).status;
        if (status !== 200) await Bun.sleep(100);
      }
      expect(status).toBe(200);
    }
    // Each process says when its LISTEN connection is back (its backoff may outlast the pool's).
    for (const p of [api, worker]) {
      for (let i = 0; i < 200 && !p.output().includes("LISTEN connection back"); i++) await Bun.sleep(50);
      expect(p.output()).toContain("LISTEN connection back");
    }
    const after = await ask();
    expect(after.reply).toBe("You said: tea");
    expect(after.ms).toBeLessThan(5_000);
    expect(api.proc.exitCode).toBeNull();
    expect(worker.proc.exitCode).toBeNull();
  } finally {
    for (const p of [api, worker]) p.proc.kill("SIGKILL");
    await Promise.all([api.proc.exited, worker.proc.exited]);
    await own.destroy();
  }
}, 120_000);
