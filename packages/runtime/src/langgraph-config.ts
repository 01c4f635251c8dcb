import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseEnv } from "node:util";
import type { OnHandler } from "@fractal/infra/auth/handler-policy";
import type { GraphContext, GraphSource } from "@fractal/infra/graph-context";
import type { ProviderSettings } from "@fractal/infra/providers";
import type { StoreIndex } from "@fractal/infra/storage/store-vectors";
import { Graph } from "@langchain/langgraph";
import { z } from "zod";
import { createEmbeddings } from "./embeddings.ts";

/** The subset of `langgraph.json` (the `langgraph dev` format) this runtime reads. */
export const langGraphConfigSchema = z
  .object({
    graphs: z.record(z.string(), z.string().min(1)).default({}),
    env: z.union([z.string(), z.record(z.string(), z.string())]).optional(),
    dependencies: z.array(z.string()).optional(),
    store: z.unknown().optional(),
    auth: z.unknown().optional(),
    http: z.unknown().optional(),
    /** Generative UI: name → a module whose default export maps component names to components. */
    ui: z.record(z.string(), z.string().min(1)).optional(),
  })
  .loose();

export type LangGraphConfig = z.infer<typeof langGraphConfigSchema>;

export class GraphLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GraphLoadError";
  }
}

/** Reads and validates a langgraph.json; paths inside it resolve against its folder. */
export function readLangGraphConfig(path: string): { config: LangGraphConfig; baseDir: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new GraphLoadError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = langGraphConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new GraphLoadError(`invalid ${path}: ${issues}`);
  }
  return { config: parsed.data, baseDir: dirname(resolve(path)) };
}

/** The environment a config asks for: an inline map or a .env file path. The caller applies it. */
export function configEnv(config: LangGraphConfig, baseDir: string): Record<string, string> {
  if (config.env === undefined) return {};
  if (typeof config.env !== "string") return config.env;
  const file = isAbsolute(config.env) ? config.env : resolve(baseDir, config.env);
  try {
    return parseEnv(readFileSync(file, "utf8")) as Record<string, string>;
  } catch (error) {
    throw new GraphLoadError(`cannot read env file ${file}: ${(error as Error).message}`, { cause: error });
  }
}

const storeIndexSchema = z.object({
  dims: z.number().int().min(1).max(16_000),
  embed: z.string().min(1),
  fields: z.array(z.string().min(1)).min(1).optional(),
});

/**
 * Loads `store.index`. `embed` is a `provider:model` string (see createEmbeddings) or a path to a
 * TS/JS export, `./file.ts:name`, that is a function or an object with `embedDocuments`.
 */
export async function loadStoreIndex(
  config: LangGraphConfig,
  baseDir: string,
  providers: ProviderSettings = {},
): Promise<StoreIndex | undefined> {
  const index = (config.store as { index?: unknown } | undefined)?.index;
  if (index === undefined || index === null) return undefined;
  const parsed = storeIndexSchema.safeParse(index);
  if (!parsed.success) {
    throw new GraphLoadError(
      `store.index in langgraph.json is invalid: ${parsed.error.issues[0]?.message ?? "bad value"}`,
    );
  }
  const { dims, embed, fields } = parsed.data;
  if (!embed.startsWith(".") && !isAbsolute(embed)) {
    try {
      return { dims, fields: fields ?? ["$"], embed: createEmbeddings(embed, dims, providers) };
    } catch (error) {
      throw new GraphLoadError(`store.index.embed ${(error as Error).message}`, { cause: error });
    }
  }
  const target = await importExport(embed, baseDir, "store.index.embed");
  const call =
    typeof target === "function"
      ? (texts: string[]) => Promise.resolve((target as (t: string[]) => number[][] | Promise<number[][]>)(texts))
      : typeof (target as { embedDocuments?: unknown })?.embedDocuments === "function"
        ? (texts: string[]) => (target as { embedDocuments(t: string[]): Promise<number[][]> }).embedDocuments(texts)
        : undefined;
  if (!call) throw new GraphLoadError(`store.index.embed '${embed}' is neither a function nor an Embeddings object`);
  return { dims, fields: fields ?? ["$"], embed: call };
}

/** `./file.ts:exportName` (default export when no name) as an absolute file and an export name. */
export function splitSpec(spec: string, baseDir: string): { file: string; exportName: string } {
  const split = spec.lastIndexOf(":");
  const hasExport = split > 1; // not a Windows drive letter
  return {
    file: resolve(baseDir, hasExport ? spec.slice(0, split) : spec),
    exportName: hasExport ? spec.slice(split + 1) : "default",
  };
}

/** The file and export of every graph the config names, without importing them. */
export function configGraphExports(
  config: LangGraphConfig,
  baseDir: string,
): Array<{ graphId: string; file: string; exportName: string }> {
  return Object.entries(config.graphs).map(([graphId, spec]) => ({ graphId, ...splitSpec(spec, baseDir) }));
}

/** Imports `./file.ts:exportName` (default export when no name) relative to the config. */
async function importExport(spec: string, baseDir: string, what: string): Promise<unknown> {
  const { file, exportName } = splitSpec(spec, baseDir);
  let module: Record<string, unknown>;
  try {
    module = await import(file);
  } catch (error) {
    throw new GraphLoadError(`failed to load ${what} from ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (!(exportName in module) || module[exportName] === undefined) {
    throw new GraphLoadError(
      `failed to load ${what} from ${file}: no export named '${exportName}' (exports: ${Object.keys(module).join(", ") || "none"})`,
    );
  }
  return module[exportName];
}

/**
 * Imports every graph named by the config (`./file.ts:exportName`; default export when no name).
 * An exported function is a graph factory in the LangGraph convention: it receives the run's
 * config (`{configurable, ...}`, the assistant's merged with the run's), not our GraphContext.
 */
export async function loadConfigGraphs(config: LangGraphConfig, baseDir: string): Promise<Record<string, GraphSource>> {
  const graphs: Record<string, GraphSource> = {};
  for (const [graphId, spec] of Object.entries(config.graphs)) {
    const source = (await importExport(spec, baseDir, `graph '${graphId}'`)) as GraphSource;
    graphs[graphId] =
      typeof source === "function" && !(source instanceof Graph)
        ? (ctx: GraphContext) => (source as (config: unknown) => unknown)(ctx.config)
        : source;
  }
  return graphs;
}

/** The `ui` entries with their files resolved against the config's folder. */
export function configUi(config: LangGraphConfig, baseDir: string): Record<string, string> {
  return Object.fromEntries(Object.entries(config.ui ?? {}).map(([name, file]) => [name, resolve(baseDir, file)]));
}

/** User auth from `auth.path`: an `authenticate` handler and `on` handlers by event. */
export interface CustomAuth {
  authenticate?: (request: Request) => unknown;
  handlers: Record<string, OnHandler>;
}

/**
 * Loads `auth.path` (`./file.ts:export`). The export is an `Auth` from `@langchain/langgraph-sdk/auth`
 * (read through its handler cache), or a plain `{ authenticate, on: { "threads:create": fn, … } }`.
 */
export async function loadAuth(config: LangGraphConfig, baseDir: string): Promise<CustomAuth | undefined> {
  const path = (config.auth as { path?: unknown } | undefined)?.path;
  if (path === undefined || path === null) return undefined;
  if (typeof path !== "string" || path.length === 0)
    throw new GraphLoadError("auth.path in langgraph.json must be a string");
  const target = (await importExport(path, baseDir, "auth.path")) as Record<string, unknown> | undefined;
  const cache = target?.["~handlerCache"] as
    | { authenticate?: unknown; callbacks?: Record<string, unknown> }
    | undefined;
  const authenticate = cache ? cache.authenticate : target?.authenticate;
  const on = (cache ? cache.callbacks : target?.on) ?? {};
  if (authenticate !== undefined && typeof authenticate !== "function") {
    throw new GraphLoadError(`auth.path '${path}': authenticate is not a function`);
  }
  const handlers: Record<string, OnHandler> = {};
  for (const [event, handler] of Object.entries(on as Record<string, unknown>)) {
    if (typeof handler !== "function")
      throw new GraphLoadError(`auth.path '${path}': on['${event}'] is not a function`);
    handlers[event] = handler as OnHandler;
  }
  return { authenticate: authenticate as CustomAuth["authenticate"], handlers };
}

const httpSchema = z
  .object({
    app: z.string().min(1).optional(),
    configurable_headers: z
      .object({ include: z.array(z.string()).default([]), exclude: z.array(z.string()).default([]) })
      .optional(),
  })
  .loose();

/** A web app as `http.app` may export it: anything with a fetch handler (a Hono app). */
export interface UserApp {
  fetch: (request: Request, ...rest: never[]) => Response | Promise<Response>;
}

export interface HttpSettings {
  /** The user's app, mounted before the built-in routes. */
  app?: UserApp;
  /** Request headers copied into a run's `config.configurable` (glob patterns, case-insensitive). */
  configurableHeaders: { include: string[]; exclude: string[] };
}

/** Loads the `http` block: `app` (`./file.ts:export`) and `configurable_headers`. */
export async function loadHttp(config: LangGraphConfig, baseDir: string): Promise<HttpSettings> {
  const parsed = httpSchema.safeParse(config.http ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `http.${i.path.join(".")}: ${i.message}`).join("; ");
    throw new GraphLoadError(`invalid langgraph.json: ${issues}`);
  }
  const headers = parsed.data.configurable_headers ?? { include: [], exclude: [] };
  if (!parsed.data.app) return { configurableHeaders: headers };
  const app = (await importExport(parsed.data.app, baseDir, "http.app")) as UserApp | undefined;
  if (typeof app?.fetch !== "function") {
    throw new GraphLoadError(`http.app '${parsed.data.app}' is not a web app (a Hono app with a fetch handler)`);
  }
  return { app, configurableHeaders: headers };
}
