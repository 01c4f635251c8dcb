import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

/** A graph id for the catalog: lower-case words joined by dashes. */
const GRAPH_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export class ScaffoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScaffoldError";
  }
}

function pascal(name: string): string {
  return name
    .split("-")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

function graphFile(name: string, factory: string, settings: string): string {
  return `import type { GraphContext } from "@fractal/infra/graph-context";
import { type BaseMessage, SystemMessage } from "@langchain/core/messages";
import { END, MessagesZodMeta, START, StateGraph } from "@langchain/langgraph";
import { registry } from "@langchain/langgraph/zod";
import { z } from "zod";
import { configurableOf, modelFields, parseSettings, settingsModel, ui } from "../model-settings.ts";

/** What assistants and runs may set (\`config.configurable\`); served as the config schema. */
export const ${settings} = z.looseObject({
  ...modelFields,
  instructions: z
    .string()
    .default("Answer briefly.")
    .meta(ui({ type: "textarea", default: "Answer briefly.", description: "Sent before the conversation" })),
});

const State = z.object({
  messages: z
    .custom<BaseMessage[]>()
    .default(() => [])
    .register(registry, MessagesZodMeta),
});

/** ${name}: the configured model answers the conversation after the instructions. */
export function ${factory}(ctx: GraphContext) {
  return new StateGraph(State, ${settings})
    .addNode("respond", async (state, config) => {
      const configurable = configurableOf(config);
      const settings = parseSettings(${settings}, configurable, "${name}");
      const model = settingsModel(settings, configurable, ctx.providers);
      const reply = await model.invoke([new SystemMessage(settings.instructions), ...state.messages], config);
      return { messages: [reply] };
    })
    .addEdge(START, "respond")
    .addEdge("respond", END)
    .compile({ checkpointer: ctx.checkpointer, store: ctx.store, name: "${name}" });
}

/** Checked when an assistant or run is created: bad settings are a 422 then. */
${factory}.validateSettings = (values: Record<string, unknown>) => {
  parseSettings(${settings}, values, "${name}");
};
`;
}

function testFile(name: string, factory: string): string {
  return `import { describe, expect, test } from "bun:test";
import { HumanMessage } from "@langchain/core/messages";
import { MemorySaver } from "@langchain/langgraph";
import { ${factory} } from "./graph.ts";

const run = (configurable: Record<string, unknown>, text: string) =>
  ${factory}({ checkpointer: new MemorySaver(), config: {} }).invoke(
    { messages: [new HumanMessage(text)] },
    { configurable: { thread_id: crypto.randomUUID(), ...configurable } },
  );

describe("${name}", () => {
  test("the offline model answers the last message", async () => {
    const result = await run({ model: "fake:${name}" }, "hello");
    expect(result.messages.at(-1)?.content).toBe("${name}: hello");
  });

  test("a scripted reply (what a test uses instead of a real model)", async () => {
    const result = await run({ fake_script: ["Scripted."] }, "hi");
    expect(result.messages.at(-1)?.content).toBe("Scripted.");
  });

  test("bad settings are refused before a run", () => {
    expect(() => ${factory}.validateSettings({ model: "nope:x" })).toThrow(/unknown model provider/);
  });
});
`;
}

/** Adds the import and the catalog entry, keeping the file's order: imports first, entries last. */
/** Adds `import { factory } from "./catalog/<name>/graph.ts"` among a file's catalog imports, in biome's order. */
function addCatalogImport(source: string, name: string, factory: string, file: string): string {
  const from = `./catalog/${name}/graph.ts`;
  const lines = source.split("\n");
  const imports = lines.flatMap((line, index) => {
    const at = /^import .* from "(\.\/catalog\/[^"]+)";$/.exec(line)?.[1];
    return at ? [{ index, from: at }] : [];
  });
  if (imports.length === 0) throw new ScaffoldError(`${file} does not look as expected; add the graph by hand`);
  const after = imports.find((entry) => entry.from > from);
  lines.splice(after ? after.index : (imports.at(-1)?.index as number) + 1, 0, `import { ${factory} } from "${from}";`);
  return lines.join("\n");
}

function register(catalogSource: string, name: string, factory: string): string {
  if (catalogSource.includes(`"${name}":`) || new RegExp(`\\b${name}:`).test(catalogSource)) {
    throw new ScaffoldError(`graph '${name}' is already in the catalog`);
  }
  const close = catalogSource.lastIndexOf("};");
  if (close < 0) throw new ScaffoldError("catalog.ts does not look as expected; add the entry by hand");
  const withEntry = `${catalogSource.slice(0, close)}  "${name}": ${factory},\n${catalogSource.slice(close)}`;
  return addCatalogImport(withEntry, name, factory, "catalog.ts");
}

/** portable.ts exports the graph compiled for any LangGraph server; langgraph.json serves that export. */
function registerPortable(portableSource: string, config: string, name: string, factory: string, exported: string) {
  const withExport = `${addCatalogImport(portableSource, name, factory, "portable.ts").trimEnd()}\nexport const ${exported} = ${factory}(context());\n`;
  const parsed = JSON.parse(config) as { graphs: Record<string, string> };
  parsed.graphs[name] = `./src/portable.ts:${exported}`;
  return { portable: withExport, config: `${JSON.stringify(parsed, null, 2)}\n` };
}

/**
 * Writes a new catalog graph under `<graphsSrc>/catalog/<name>/` (graph and test) and registers it
 * in `<graphsSrc>/catalog.ts`. Reports each file through `progress`.
 */
export function scaffoldGraph(name: string, graphsSrc: string, progress: (line: string) => void): string[] {
  if (!GRAPH_NAME.test(name)) {
    throw new ScaffoldError(`'${name}' is not a graph name: use lower-case words joined by dashes (e.g. support-bot)`);
  }
  const catalogPath = join(graphsSrc, "catalog.ts");
  if (!existsSync(catalogPath)) throw new ScaffoldError(`no catalog at ${catalogPath}`);
  const dir = join(graphsSrc, "catalog", name);
  if (existsSync(dir)) throw new ScaffoldError(`${dir} already exists`);
  const factory = `create${pascal(name)}Graph`;
  const settings = `${name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())}Settings`;
  const updated = register(readFileSync(catalogPath, "utf8"), name, factory);
  // The package's portable entry and langgraph.json, so `langgraph dev` serves the graph too.
  const portablePath = join(graphsSrc, "portable.ts");
  const configPath = join(graphsSrc, "..", "langgraph.json");
  const portable =
    existsSync(portablePath) && existsSync(configPath)
      ? registerPortable(
          readFileSync(portablePath, "utf8"),
          readFileSync(configPath, "utf8"),
          name,
          factory,
          name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
        )
      : undefined;
  mkdirSync(dir, { recursive: true });
  const files: Array<[string, string]> = [
    [join(dir, "graph.ts"), graphFile(name, factory, settings)],
    [join(dir, "graph.test.ts"), testFile(name, factory)],
  ];
  for (const [path, content] of files) {
    writeFileSync(path, content);
    progress(`created ${relative(process.cwd(), path)}`);
  }
  writeFileSync(catalogPath, updated);
  progress(`registered '${name}' in ${relative(process.cwd(), catalogPath)}`);
  if (!portable) return [...files.map(([path]) => path), catalogPath];
  writeFileSync(portablePath, portable.portable);
  writeFileSync(configPath, portable.config);
  progress(`exported it from ${relative(process.cwd(), portablePath)} for ${relative(process.cwd(), configPath)}`);
  return [...files.map(([path]) => path), catalogPath, portablePath, configPath];
}
