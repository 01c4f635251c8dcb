import { rmSync } from "node:fs";
import type { GraphSource } from "@fractal/infra/graph-context";
import { createNoopLogger, type Logger } from "@fractal/infra/logger";
import { createLocalRunControl, type RunControl } from "@fractal/infra/run-control";
import { createRunEventLog, type RunEventLog } from "@fractal/infra/run-events";
import { openDatabase } from "@fractal/infra/storage/database";
import type { RunStatus } from "@fractal/infra/storage/runs";
import { createStorage, type Storage } from "@fractal/infra/storage/storage";
import { migratedDataDir } from "@fractal/infra/storage/testing/pglite";
import { ensureDefaultAssistants } from "../default-assistants.ts";
import { createGraphRegistry, type GraphRegistry } from "../registry.ts";

/** What the engine's parts are built from, on an embedded database of their own. */
export interface TestConfig {
  storage: Storage;
  events: RunEventLog;
  control: RunControl;
  logger: Logger;
  graphs: GraphRegistry;
  close(): Promise<void>;
}

/**
 * The one setup for the engine's unit tests: embedded PGlite with the schema applied (a temporary
 * directory), an event
 * log, local run control, a silent logger, and a registry of `graphs` (each with its default
 * assistant, as on a server).
 */
export async function testConfig(options: { graphs?: Record<string, GraphSource> } = {}): Promise<TestConfig> {
  // A copy of a migrated directory opens in about a second; a new in-memory database runs initdb.
  const dataDir = await migratedDataDir("fractal-engine-");
  const database = await openDatabase({ kind: "pglite", dataDir });
  const storage = await createStorage(database, { migrate: true });
  const graphs = createGraphRegistry(options.graphs ?? {});
  await ensureDefaultAssistants(storage.assistants, graphs.ids(), {});
  const events = createRunEventLog({ retainMs: 60_000 });
  return {
    storage,
    events,
    control: createLocalRunControl(),
    logger: createNoopLogger(),
    graphs,
    async close() {
      events.dispose();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The code a promise rejects with (`not_found`, `validation_failed`, …); undefined when it resolves. */
export function errorCode(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: { code?: string }) => error.code,
  );
}

/** Polls a run until its status is one of `wanted` (or `ms` pass); returns the last status seen. */
export async function runStatus(
  storage: Storage,
  run: { thread_id: string; run_id: string },
  wanted: RunStatus[],
  ms = 10_000,
): Promise<RunStatus> {
  const end = performance.now() + ms;
  let status = (await storage.runs.get(run.thread_id, run.run_id)).status;
  while (!wanted.includes(status) && performance.now() < end) {
    await Bun.sleep(20);
    status = (await storage.runs.get(run.thread_id, run.run_id)).status;
  }
  return status;
}
