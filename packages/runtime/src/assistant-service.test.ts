import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { AppError } from "@fractal/infra/errors";
import type { GraphSource } from "@fractal/infra/graph-context";
import { type AssistantService, createAssistantService } from "./assistant-service.ts";
import { errorCode, type TestConfig, testConfig } from "./testing/engine.ts";
import { slowGraph } from "./testing/graphs.ts";

// Each test opens a database of its own (a copy of a migrated one) first.
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
  authorized = 0;
  engine = await testConfig({ graphs: { checked } });
  assistants = createAssistantService(engine.storage, engine.graphs);
});
afterEach(() => engine.close());

/** An authorize step that lets everything through, counting its calls. */
let authorized = 0;
const allow = async <T>(input: T) => {
  authorized++;
  return input;
};

const codeOf = errorCode;

test("create checks the graph (404) and its settings (422) before anything is stored", async () => {
  expect(await codeOf(assistants.create({ assistant_id: crypto.randomUUID(), graph_id: "nope" }, allow))).toBe(
    "not_found",
  );
  const id = crypto.randomUUID();
  const refused = assistants.create(
    {
      assistant_id: id,
      graph_id: "checked",
      config: { configurable: { model: "x:y" } },
    },
    allow,
  );
  expect(await codeOf(refused)).toBe("validation_failed");
  expect(await engine.storage.assistants.find(id)).toBeUndefined();
  // Neither refusal reached the caller's authorization step.
  expect(authorized).toBe(0);
  const { assistant } = await assistants.create(
    { assistant_id: id, graph_id: "checked", context: { model: "fake:echo" } },
    async (input) => ({ ...input, metadata: { stamped: true } }),
  );
  expect(assistant.context).toEqual({ model: "fake:echo" });
  expect(assistant.metadata).toEqual({ stamped: true });
});

test("update checks the version it will write: given fields replace the stored ones", async () => {
  const id = crypto.randomUUID();
  await assistants.create(
    { assistant_id: id, graph_id: "checked", config: { configurable: { model: "fake:a" } } },
    allow,
  );
  const current = () => engine.storage.assistants.get(id);
  // The stored config stays when only the name changes; a bad new config is refused.
  expect((await assistants.update(id, { name: "renamed" }, current, allow)).name).toBe("renamed");
  const bad = assistants.update(id, { config: { configurable: { model: "openai:gpt" } } }, current, allow);
  expect(await codeOf(bad)).toBe("validation_failed");
  expect((await engine.storage.assistants.get(id)).config).toEqual({ configurable: { model: "fake:a" } });
  const before = authorized;
  expect(await codeOf(assistants.update(id, { graph_id: "nope" }, current, allow))).toBe("not_found");
  // An unknown graph is refused before the caller's authorization step.
  expect(authorized).toBe(before);
  // A new context is checked together with the stored config, whose configurable wins.
  const merged = await assistants.update(id, { context: { model: "openai:gpt" } }, current, allow);
  expect(merged.context).toEqual({ model: "openai:gpt" });
});

test("delete takes with it only the threads the predicate lets go", async () => {
  const id = crypto.randomUUID();
  await assistants.create({ assistant_id: id, graph_id: "checked" }, allow);
  const mine = crypto.randomUUID();
  const theirs = crypto.randomUUID();
  await engine.storage.threads.create({ thread_id: mine, metadata: { assistant_id: id, owner: "me" } });
  await engine.storage.threads.create({ thread_id: theirs, metadata: { assistant_id: id, owner: "them" } });
  await assistants.delete(id, (thread) => thread.metadata.owner === "me");
  expect(await engine.storage.assistants.find(id)).toBeUndefined();
  expect(await codeOf(engine.storage.threads.get(mine))).toBe("not_found");
  expect((await engine.storage.threads.get(theirs)).thread_id).toBe(theirs);
});
