import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "@fractal/infra/logger";
import ts from "typescript";
import type { GraphTypeSchemas, TypedGraph } from "./extract.ts";

/** Bumped when the extraction changes, so old cache entries are not read. */
const EXTRACTOR_VERSION = 1;

/** Schemas read from the TypeScript types of langgraph.json graphs, computed once in the background. */
export interface TypeSchemaService {
  /** The graph's typed schemas, waiting at most `waitMs` for the extraction; undefined if none (yet). */
  get(graphId: string, waitMs: number): Promise<GraphTypeSchemas | undefined>;
  close(): void;
}

export interface TypeSchemaOptions {
  graphs: TypedGraph[];
  /** Where results are kept between starts, keyed by the graph file's content. */
  cacheDir: string;
  logger: Logger;
}

function cacheKey(graph: TypedGraph): string | undefined {
  try {
    return createHash("sha256")
      .update(`${EXTRACTOR_VERSION}\0${ts.version}\0${graph.exportName}\0`)
      .update(readFileSync(graph.file))
      .digest("hex");
  } catch {
    return undefined;
  }
}

/**
 * Starts extracting at once on a worker thread (cached results are used without it). A request
 * never waits longer than it asks; until the schemas are ready it gets what the runtime knows.
 */
export function createTypeSchemaService(options: TypeSchemaOptions): TypeSchemaService {
  const { graphs, cacheDir, logger } = options;
  const ready = new Map<string, GraphTypeSchemas>();
  const missing: Array<TypedGraph & { key?: string }> = [];
  for (const graph of graphs) {
    const key = cacheKey(graph);
    try {
      if (key) ready.set(graph.graphId, JSON.parse(readFileSync(join(cacheDir, `${key}.json`), "utf8")));
      else missing.push(graph);
    } catch {
      missing.push({ ...graph, key });
    }
  }
  let worker: Worker | undefined;
  const done =
    missing.length === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const started = performance.now();
          worker = new Worker(new URL("./worker.ts", import.meta.url).href);
          worker.onmessage = (
            event: MessageEvent<{ ok: boolean; result?: Record<string, GraphTypeSchemas>; error?: string }>,
          ) => {
            if (!event.data.ok) logger.warn("type schema extraction failed", { error: event.data.error });
            for (const graph of missing) {
              const schemas = event.data.result?.[graph.graphId];
              if (!schemas) continue;
              ready.set(graph.graphId, schemas);
              if (graph.key) {
                try {
                  mkdirSync(cacheDir, { recursive: true });
                  writeFileSync(join(cacheDir, `${graph.key}.json`), JSON.stringify(schemas));
                } catch (error) {
                  logger.warn("could not cache type schemas", { error });
                }
              }
            }
            logger.info("type schemas ready", { graphs: missing.length, ms: Math.round(performance.now() - started) });
            worker?.terminate();
            worker = undefined;
            resolve();
          };
          worker.onerror = (event) => {
            logger.warn("type schema extraction failed", { error: event.message });
            worker?.terminate();
            worker = undefined;
            resolve();
          };
          worker.postMessage(missing.map(({ key: _, ...graph }) => graph));
        });
  return {
    async get(graphId, waitMs) {
      if (!ready.has(graphId) && graphs.some((g) => g.graphId === graphId)) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
        clearTimeout(timer);
      }
      return ready.get(graphId);
    },
    close() {
      worker?.terminate();
    },
  };
}
