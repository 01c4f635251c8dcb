import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { AppError } from "@fractal/infra/errors";
import type { GraphSource } from "@fractal/infra/graph-context";
import { type AssistantService, createAssistantService } from "./assistant-service.ts";
import { type TestConfig, testConfig } from "./testing/engine.ts";
import { slowGraph } from "./testing/graphs.ts";

// Each test opens an in-memory database (about 2 s) first.
setDefaultTimeout(20_000);

/** The slow graph, refusing any `model` that is not `fake:*` (as catalog graphs check theirs). */
const checked = Object.assign(() => slowGraph, {
  validateSettings(settings: Record<string, unknown>) {
    if (settings.model !== undefined && !String(settings.model).startsWith("fake:")) {
      throw new AppError("validation_failed", `model '${settings.model}' is not served`);
    }
  },
}) as GraphSource;

let engine: TestConfig;
let assistants: AssistantService;
beforeEach(async () => {
  engine = await testConfig({ graphs: { checked } });
  assistants = createAssistantService(engine.storage, engine.graphs);
});
afterEach(() => engine.close());

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: { code?: string }) => error.code,
  );

test("create checks the graph (404) and its settings (422) before anything is stored", async () => {
  expect(await codeOf(assistants.create({ assistant_id: crypto.randomUUID(), graph_id: "nope" }))).toBe("not_found");
  const id = crypto.randomUUID();
  const refused = assistants.create({
    assistant_id: id,
    graph_id: "checked",
    config: { configurable: { model: "x:y" } },
  });
  expect(await codeOf(refused)).toBe("validation_failed");
  expect(await engine.storage.assistants.find(id)).toBeUndefined();
  const { assistant } = await assistants.create({
    assistant_id: id,
    graph_id: "checked",
    context: { model: "fake:echo" },
  });
  expect(assistant.context).toEqual({ model: "fake:echo" });
});

test("update checks the version it will write: given fields replace the stored ones", async () => {
  const id = crypto.randomUUID();
  await assistants.create({ assistant_id: id, graph_id: "checked", config: { configurable: { model: "fake:a" } } });
  const current = () => engine.storage.assistants.get(id);
  // The stored config stays when only the name changes; a bad new config is refused.
  expect((await assistants.update(id, { name: "renamed" }, current)).name).toBe("renamed");
  const bad = assistants.update(id, { config: { configurable: { model: "openai:gpt" } } }, current);
  expect(await codeOf(bad)).toBe("validation_failed");
  expect((await engine.storage.assistants.get(id)).config).toEqual({ configurable: { model: "fake:a" } });
  expect(await codeOf(assistants.update(id, { graph_id: "nope" }, current))).toBe("not_found");
  // A new context is checked together with the stored config, whose configurable wins.
  const merged = await assistants.update(id, { context: { model: "openai:gpt" } }, current);
  expect(merged.context).toEqual({ model: "openai:gpt" });
});

test("delete takes with it only the threads the predicate lets go", async () => {
  const id = crypto.randomUUID();
  await assistants.create({ assistant_id: id, graph_id: "checked" });
  const mine = crypto.randomUUID();
  const theirs = crypto.randomUUID();
  await engine.storage.threads.create({ thread_id: mine, metadata: { assistant_id: id, owner: "me" } });
  await engine.storage.threads.create({ thread_id: theirs, metadata: { assistant_id: id, owner: "them" } });
  await assistants.delete(id, (thread) => thread.metadata.owner === "me");
  expect(await engine.storage.assistants.find(id)).toBeUndefined();
  expect(await codeOf(engine.storage.threads.get(mine))).toBe("not_found");
  expect((await engine.storage.threads.get(theirs)).thread_id).toBe(theirs);
});
