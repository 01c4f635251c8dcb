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
  expect(await check.json()).toEqual({ ok: false, db: "unavailable" });
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
