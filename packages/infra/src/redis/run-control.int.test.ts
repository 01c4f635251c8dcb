import { afterAll, describe, expect, test } from "bun:test";
import { testRedis } from "../testing/redis.ts";
import { eventually } from "../testing/run-event-log-contract.ts";
import type { RedisConnections } from "./connection.ts";
import { createRedisRunControl } from "./run-control.ts";
import { createSubscriptions } from "./subscriptions.ts";

const opened: RedisConnections[] = [];
afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
});

async function processControl(keyPrefix: string) {
  const connections = await testRedis();
  opened.push(connections);
  const control = createRedisRunControl({
    redis: connections.commands,
    subscriptions: createSubscriptions(connections.subscriber),
    keyPrefix,
  });
  await control.ready;
  return control;
}

describe("run control over Redis", () => {
  test("created, cancel and state signals reach every process once, the sender's own listeners included", async () => {
    const prefix = `test-${crypto.randomUUID()}`;
    const [api, workerA, workerB] = [
      await processControl(prefix),
      await processControl(prefix),
      await processControl(prefix),
    ];
    const heard: string[] = [];
    for (const [name, control] of [
      ["api", api],
      ["a", workerA],
      ["b", workerB],
    ] as const) {
      control.onCreated((run) => heard.push(`${name} created ${run.run_id}`));
      control.onCancel((runId, action) => heard.push(`${name} cancel ${runId} ${action}`));
      control.onStateUpdated((threadId) => heard.push(`${name} state ${threadId}`));
    }
    api.created({ run_id: "r1", thread_id: "t1", status: "pending" });
    workerA.cancel("r1", "rollback");
    workerB.stateUpdated("t1");
    await eventually(() => heard.length === 9, "nine deliveries");
    await Bun.sleep(50);
    expect(heard.sort()).toEqual(
      [
        "api created r1",
        "a created r1",
        "b created r1",
        "api cancel r1 rollback",
        "a cancel r1 rollback",
        "b cancel r1 rollback",
        "api state t1",
        "a state t1",
        "b state t1",
      ].sort(),
    );
  });

  test("processes on another key prefix hear nothing", async () => {
    const sender = await processControl(`test-${crypto.randomUUID()}`);
    const other = await processControl(`test-${crypto.randomUUID()}`);
    let heard = 0;
    other.onCreated(() => heard++);
    sender.created({ run_id: "r", thread_id: "t", status: "pending" });
    await Bun.sleep(100);
    expect(heard).toBe(0);
  });
});
