import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseEnv } from "node:util";
import { z } from "zod";
import type { GraphSource } from "./registry.ts";

/** The subset of `langgraph.json` (the `langgraph dev` format) this runtime reads. */
export const langGraphConfigSchema = z
  .object({
    graphs: z.record(z.string(), z.string().min(1)).default({}),
    env: z.union([z.string(), z.record(z.string(), z.string())]).optional(),
    dependencies: z.array(z.string()).optional(),
    store: z.unknown().optional(),
    auth: z.unknown().optional(),
    http: z.unknown().optional(),
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

/** Imports every graph named by the config (`./file.ts:exportName`; default export when no name). */
export async function loadConfigGraphs(config: LangGraphConfig, baseDir: string): Promise<Record<string, GraphSource>> {
  const graphs: Record<string, GraphSource> = {};
  for (const [graphId, spec] of Object.entries(config.graphs)) {
    const split = spec.lastIndexOf(":");
    const hasExport = split > 1; // not a Windows drive letter
    const file = resolve(baseDir, hasExport ? spec.slice(0, split) : spec);
    const exportName = hasExport ? spec.slice(split + 1) : "default";
    let module: Record<string, unknown>;
    try {
      module = await import(file);
    } catch (error) {
      throw new GraphLoadError(`failed to load graph '${graphId}' from ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (!(exportName in module) || module[exportName] === undefined) {
      throw new GraphLoadError(
        `failed to load graph '${graphId}' from ${file}: no export named '${exportName}' (exports: ${Object.keys(module).join(", ") || "none"})`,
      );
    }
    graphs[graphId] = module[exportName] as GraphSource;
  }
  return graphs;
}
