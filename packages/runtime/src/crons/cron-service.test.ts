import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { defaultAssistantId } from "../default-assistants.ts";
import { createRunService } from "../runs/run-service.ts";
import { errorCode, type TestConfig, testConfig } from "../testing/engine.ts";
import { slowGraph } from "../testing/graphs.ts";
import { type CronService, createCronService, splitCronBody } from "./cron-service.ts";

// Each test opens a database of its own (a copy of a migrated one) first.
setDefaultTimeout(20_000);

let engine: TestConfig;
let crons: CronService;
beforeEach(async () => {
  engine = await testConfig({ graphs: { slow: slowGraph } });
  const runs = createRunService({ ...engine, defaultStrategy: "reject" });
  crons = createCronService(engine.storage, engine.graphs, runs);
});
afterEach(() => engine.close());

const codeOf = errorCode;

const request = (extra: Record<string, unknown> = {}) => ({
  assistant_id: "slow",
  kwargs: { stream_mode: ["values" as const], config: { configurable: { delay_ms: 1 } }, ...extra },
  metadata: {},
});

test("splits a request into the cron's settings and its ticks' payload, leaving out the assistant", () => {
  const split: unknown = splitCronBody({
    assistant_id: "a",
    schedule: "* * * * *",
    enabled: true,
    input: { x: 1 },
    webhook: "w",
  });
  expect(split).toEqual({
    settings: { schedule: "* * * * *", enabled: true },
    payload: { input: { x: 1 }, webhook: "w" },
  });
});

/** An authorize step for a cron on `run` (counting its calls). */
let authorized = 0;
const as =
  (run: ReturnType<typeof request>, asCaller = false) =>
  async () => {
    authorized++;
    return { settings: { schedule: "* * * * *" }, run, asCaller };
  };

test("create resolves a graph id to its assistant and checks the ticks' run by the run rules", async () => {
  const cron = await crons.create({ payload: {} }, as(request()));
  expect(cron.assistant_id).toBe(defaultAssistantId("slow"));
  authorized = 0;
  // The webhook URL and the thread are checked before the caller's authorization step.
  const webhook = crons.create({ webhook: "http://10.0.0.1/hook", payload: {} }, as(request()));
  expect(await codeOf(webhook)).toBe("validation_failed");
  const missingThread = crons.create({ thread_id: crypto.randomUUID(), payload: {} }, as(request()));
  expect(await codeOf(missingThread)).toBe("not_found");
  expect(authorized).toBe(0);
  const unknown = crons.create({ payload: {} }, as({ ...request(), assistant_id: "nope" }));
  expect(await codeOf(unknown)).toBe("not_found");
  expect(await engine.storage.crons.count({})).toBe(1);
});

test("as the caller, the authorized run config is stored; a patched config keeps who the ticks run as", async () => {
  const run = request({ config: { configurable: { delay_ms: 1, langgraph_auth_user_id: "u1" } } });
  const cron = await crons.create({ payload: {} }, as(run, true));
  expect(cron.payload.config).toEqual({ configurable: { delay_ms: 1, langgraph_auth_user_id: "u1" } });
  const patched = await crons.patch(
    cron.cron_id,
    { payload: { config: { configurable: { delay_ms: 5 } } } },
    async () => ({ settings: {}, stored: cron }),
  );
  expect(patched.payload.config).toEqual({ configurable: { delay_ms: 5, langgraph_auth_user_id: "u1" } });
  // A refused webhook never reaches the caller's authorization step.
  let reached = false;
  const refused = crons.patch(cron.cron_id, { webhook: "http://10.0.0.1/hook", payload: {} }, async () => {
    reached = true;
    return { settings: {}, stored: cron };
  });
  expect(await codeOf(refused)).toBe("validation_failed");
  expect(reached).toBe(false);
});

test("a filter's assistant_id may be a graph id; anything else but a uuid is a 422", () => {
  expect(crons.filter({ assistant_id: "slow" }).assistant_id).toBe(defaultAssistantId("slow"));
  const id = crypto.randomUUID();
  expect(crons.filter({ assistant_id: id }).assistant_id).toBe(id);
  expect(() => crons.filter({ assistant_id: "not-a-graph" })).toThrow(/neither an assistant id nor a graph id/);
});
