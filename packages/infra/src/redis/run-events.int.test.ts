import { afterAll, describe, expect, test } from "bun:test";
import { testRedis } from "../testing/redis.ts";
import { describeRunEventLog, describeSharedRunEventLog, eventually } from "../testing/run-event-log-contract.ts";
import type { RedisConnections } from "./connection.ts";
import { createRedisRunEventLog, type RedisRunEventLogOptions } from "./run-events.ts";
import { createSubscriptions } from "./subscriptions.ts";

const opened: RedisConnections[] = [];
afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
});

/** One log as one process holds it: its own two connections. */
async function processLog(options: Partial<RedisRunEventLogOptions> = {}, name?: string) {
  const connections = await testRedis(name);
  opened.push(connections);
  const log = createRedisRunEventLog({
    redis: connections.commands,
    subscriptions: createSubscriptions(connections.subscriber),
    ...options,
  });
  return { log, connections };
}

describeRunEventLog("redis", async (options) => (await processLog(options)).log);
describeSharedRunEventLog("redis", async () => (await processLog()).log);

describe("run event log over Redis, across processes", () => {
  test("events written while a reader's subscription is down arrive after it reconnects, once each", async () => {
    const writer = await processLog();
    const name = `reader-${crypto.randomUUID().slice(0, 8)}`;
    const reader = await processLog({}, name);
    const id = crypto.randomUUID();
    const seen: unknown[] = [];
    const reading = (async () => {
      for await (const e of reader.log.read(id)) seen.push(e.data);
    })();
    await eventually(() => reader.log.stats().readers === 1, "the reader");
    writer.log.append(id, "e", 0);
    await eventually(() => seen.length === 1, "the first event");
    // Drop the reader's subscriber connection; ioredis reconnects and resubscribes by itself.
    const list = String(await writer.connections.commands.call("CLIENT", "LIST"));
    const line = list.split("\n").find((l) => l.includes(`name=${name}-subscriber`));
    const killed = Number(/id=(\d+)/.exec(line ?? "")?.[1]);
    expect(killed).toBeGreaterThan(0);
    await writer.connections.commands.call("CLIENT", "KILL", "ID", String(killed));
    for (let i = 1; i < 20; i++) writer.log.append(id, "e", i);
    writer.log.close(id);
    await reading;
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(reader.connections.health()).toBe("ready");
  });
});
