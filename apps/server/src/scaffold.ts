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
function register(catalogSource: string, name: string, factory: string): string {
  if (catalogSource.includes(`"${name}":`) || new RegExp(`\\b${name}:`).test(catalogSource)) {
    throw new ScaffoldError(`graph '${name}' is already in the catalog`);
  }
  const source = `./catalog/${name}/graph.ts`;
  const importLine = `import { ${factory} } from "${source}";`;
  const close = catalogSource.lastIndexOf("};");
  const lines = catalogSource.slice(0, close).split("\n");
  // The catalog's own imports, kept in the order biome sorts them (by source).
  const catalogImports = lines.flatMap((line, index) => {
    const from = /^import .* from "(\.\/catalog\/[^"]+)";$/.exec(line)?.[1];
    return from ? [{ index, from }] : [];
  });
  if (catalogImports.length === 0 || close < 0) {
    throw new ScaffoldError("catalog.ts does not look as expected; add the entry by hand");
  }
  const after = catalogImports.find((entry) => entry.from > source);
  const at = after ? after.index : (catalogImports.at(-1)?.index as number) + 1;
  lines.splice(at, 0, importLine);
  return `${lines.join("\n")}  "${name}": ${factory},\n${catalogSource.slice(close)}`;
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
  return [...files.map(([path]) => path), catalogPath];
}
