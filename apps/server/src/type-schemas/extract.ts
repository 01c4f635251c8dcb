import { dirname, join } from "node:path";
import ts from "typescript";
import * as TJS from "typescript-json-schema";

type JsonSchema = Record<string, unknown>;

/** A graph export to read types from: `file` (absolute) and the export's name. */
export interface TypedGraph {
  graphId: string;
  file: string;
  exportName: string;
}

/** JSON schemas derived from a graph's TypeScript types (null where a type could not be read). */
export interface TypeSchemas {
  state: JsonSchema | null;
  input: JsonSchema | null;
  output: JsonSchema | null;
  config: JsonSchema | null;
}

/** A graph's schemas and those of the subgraphs found in its source, by namespace. */
export interface GraphTypeSchemas extends TypeSchemas {
  subgraphs: Record<string, TypeSchemas>;
}

/**
 * Type helpers, written once into every probe: a factory's result, a builder's compiled graph, and
 * state with message classes kept as `BaseMessage` (so a message field is one shared definition
 * instead of each subclass inlined).
 */
const HELPERS = `
import type { BaseMessage as __BaseMessage } from "@langchain/core/messages";
import type { CompiledStateGraph as __Compiled, StateDefinition as __Definition, StateType as __StateOf } from "@langchain/langgraph";
type __Unfactory<T> = T extends (...args: any[]) => infer R ? Awaited<R> : Awaited<T>;
type __Graph<T> = __Unfactory<T> extends { compile(...args: any[]): infer C } ? C : __Unfactory<T>;
type __IsAny<T> = 0 extends 1 & T ? true : false;
type __IsMessage<T> = [T] extends [__BaseMessage] ? true : false;
type __Plain<T> = __IsAny<T> extends true ? T
  : T extends Array<infer E> ? (__IsMessage<E> extends true ? __BaseMessage[] : __Plain<E>[])
  : __IsMessage<T> extends true ? __BaseMessage
  : T extends (...args: any[]) => any ? never
  : T extends object ? { [K in keyof T]: __Plain<T[K]> } : T;
type __State<G> = G extends __Compiled<infer S, any, any, any, any, any, any, any, any, any> ? S
  : G extends { "~OutputType": infer O } ? O : never;
type __Input<G> = G extends { "~InputType": infer I } ? I : never;
type __Output<G> = G extends { "~OutputType": infer O } ? O : never;
type __Config<G> = G extends { builder: { _configSchema?: infer C } }
  ? Exclude<C, undefined> extends __Definition ? __StateOf<Exclude<C, undefined>> : never : never;
`;

const KINDS = ["State", "Input", "Output", "Config"] as const;

/** A subgraph found in a graph's source: its namespace and a type expression for it. */
interface FoundSubgraph {
  namespace: string;
  typeExpr: string;
}

/** `x.compile(…)` and `x` both name the graph `x`; anything else is not followed. */
function graphTarget(node: ts.Expression): ts.Identifier | undefined {
  if (ts.isIdentifier(node)) return node;
  if (
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    node.expression.name.text === "compile" &&
    ts.isIdentifier(node.expression.expression)
  ) {
    return node.expression.expression;
  }
  return undefined;
}

/**
 * Subgraphs of a graph from its source: each `.addNode("name", g)` or `.addNode("name", g.compile())`
 * where `g` is declared in the same file, followed into `g`'s own nodes (`parent|child`). Nodes
 * given any other way are not seen; their subgraphs fall back to what the runtime knows.
 */
function findSubgraphs(source: ts.SourceFile, root: string): FoundSubgraph[] {
  const declarations = new Map<string, ts.Expression>();
  const visitDeclarations = (node: ts.Node) => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      declarations.set(node.name.text, node.initializer);
    }
    ts.forEachChild(node, visitDeclarations);
  };
  visitDeclarations(source);
  const found: FoundSubgraph[] = [];
  const walk = (name: string, prefix: string, seen: Set<string>) => {
    const init = declarations.get(name);
    if (!init || seen.has(name)) return;
    const inner = new Set(seen).add(name);
    const visit = (node: ts.Node) => {
      if (
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        node.expression.name.text === "addNode" &&
        node.arguments.length >= 2 &&
        ts.isStringLiteralLike(node.arguments[0] as ts.Expression)
      ) {
        const target = graphTarget(node.arguments[1] as ts.Expression);
        if (target && declarations.has(target.text)) {
          const namespace = `${prefix}${(node.arguments[0] as ts.StringLiteralLike).text}`;
          found.push({ namespace, typeExpr: `typeof ${target.text}` });
          walk(target.text, `${namespace}|`, inner);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(init);
    // `const graph = builder.compile()`: the nodes were added to `builder`.
    const compiled = graphTarget(init);
    if (compiled) walk(compiled.text, prefix, inner);
  };
  walk(root, "", new Set());
  return found;
}

/**
 * The probe for one graph: a copy of its source (so its local subgraph variables are in scope) with
 * the helpers and one exported type per schema appended. The root graph is read through an import
 * of the original module, which also covers default exports.
 */
function probeSource(graph: TypedGraph, index: number, original: string, subgraphs: FoundSubgraph[]): string {
  const lines = [original, HELPERS, `import type * as __self${index} from ${JSON.stringify(graph.file)};`];
  const targets = [`(typeof __self${index})[${JSON.stringify(graph.exportName)}]`, ...subgraphs.map((s) => s.typeExpr)];
  targets.forEach((target, t) => {
    for (const kind of KINDS)
      lines.push(`export type __${kind}_${index}_${t} = __Plain<__${kind}<__Graph<${target}>>>;`);
  });
  return lines.join("\n");
}

/** `import("/abs/path", {with: …}).Name` → `Name`: definitions keep the names a reader knows. */
const IMPORT_PREFIX = /import\("[^"]*"(?:,\s*\{[^)]*\})?\)\./g;

function shortName(name: string): string {
  return decodeURIComponent(name).replace(IMPORT_PREFIX, "");
}

/** Renames definitions (and the `$ref`s to them) to their short, unencoded names. */
function tidy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(tidy);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (key === "$ref" && typeof inner === "string")
      out[key] = `#/definitions/${shortName(inner.replace("#/definitions/", ""))}`;
    else if (key === "definitions" && inner && typeof inner === "object") {
      const defs: Record<string, unknown> = {};
      for (const [name, def] of Object.entries(inner as Record<string, unknown>)) defs[shortName(name)] ??= tidy(def);
      out[key] = defs;
    } else out[key] = tidy(inner);
  }
  return out;
}

/** An object schema with no properties says nothing a client can use. */
function useful(schema: JsonSchema | null): JsonSchema | null {
  if (!schema) return null;
  const properties = schema.properties as Record<string, unknown> | undefined;
  return properties && Object.keys(properties).length > 0 ? schema : null;
}

/**
 * Reads the state, input, output and config types of graphs from their TypeScript sources, with one
 * compiler program for all of them, and turns them into JSON schemas (typescript-json-schema).
 * Slow (seconds): run it off the request path. The probes are virtual files beside each graph, so
 * imports resolve from the graph's own folder; nothing is written to disk.
 */
export function extractTypeSchemas(graphs: TypedGraph[]): Record<string, GraphTypeSchemas> {
  if (graphs.length === 0) return {};
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    allowJs: true,
    allowImportingTsExtensions: true,
    jsx: ts.JsxEmit.ReactJSX,
  };
  const host = ts.createCompilerHost(options);
  const probes = new Map<string, string>();
  const found: FoundSubgraph[][] = [];
  graphs.forEach((graph, i) => {
    const original = host.readFile(graph.file) ?? "";
    const parsed = ts.createSourceFile(graph.file, original, ts.ScriptTarget.ES2022, true);
    const subgraphs = findSubgraphs(parsed, graph.exportName);
    found.push(subgraphs);
    probes.set(join(dirname(graph.file), `__fractal_types_${i}__.mts`), probeSource(graph, i, original, subgraphs));
  });
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (file, language, ...rest) => {
    const probe = probes.get(file);
    return probe !== undefined ? ts.createSourceFile(file, probe, language) : getSourceFile(file, language, ...rest);
  };
  host.fileExists = (file) => probes.has(file) || fileExists(file);
  host.readFile = (file) => probes.get(file) ?? readFile(file);
  const program = ts.createProgram([...probes.keys()], options, host);
  const generator = TJS.buildGenerator(program, { required: true, ignoreErrors: true, uniqueNames: false });
  const read = (symbol: string) => {
    try {
      return useful(tidy(generator?.getSchemaForSymbol(symbol)) as JsonSchema);
    } catch {
      return null;
    }
  };
  const schemasOf = (i: number, t: number): TypeSchemas => ({
    state: read(`__State_${i}_${t}`),
    input: read(`__Input_${i}_${t}`),
    output: read(`__Output_${i}_${t}`),
    config: read(`__Config_${i}_${t}`),
  });
  const results: Record<string, GraphTypeSchemas> = {};
  graphs.forEach((graph, i) => {
    const subgraphs: Record<string, TypeSchemas> = {};
    (found[i] ?? []).forEach((s, k) => {
      subgraphs[s.namespace] = schemasOf(i, k + 1);
    });
    results[graph.graphId] = { ...schemasOf(i, 0), subgraphs };
  });
  return results;
}
