import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const root = resolve(import.meta.dir, "../../..");
const work = mkdtempSync(join(tmpdir(), "fractal-published-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(cmd: string[], cwd: string): Promise<string> {
  const proc = Bun.spawn(cmd, { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}\n${out}\n${err}`);
  return out + err;
}

type Manifest = { name: string; dependencies: Record<string, string>; exports: unknown; files: string[] };

/** Builds a package, packs it, and unpacks the tarball into the project's node_modules. */
async function buildAndInstall(pkg: string, project: string): Promise<Manifest> {
  const dir = join(root, "packages", pkg);
  await run(["bun", "run", "build"], dir);
  const packed = await run(["bun", "pm", "pack", "--destination", work, "--quiet"], dir);
  const tarball = packed.trim().split("\n").at(-1)?.trim() as string;
  const target = join(project, "node_modules/@fractal", pkg);
  mkdirSync(target, { recursive: true });
  await run(["tar", "-xzf", resolve(work, tarball), "-C", target, "--strip-components=1"], work);
  return JSON.parse(readFileSync(join(target, "package.json"), "utf8")) as Manifest;
}

/** Third-party dependencies come from the workspace's install (there is no registry in tests). */
function linkDependency(name: string, fromPackage: string, project: string): void {
  const link = join(project, "node_modules", name);
  try {
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(realpathSync(join(root, "packages", fromPackage, "node_modules", name)), link);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

const CHECK_JS = `
import { catalog } from "@fractal/graphs/catalog";
import { createChatModel } from "@fractal/graphs/models";
import { createGraphRegistry } from "@fractal/runtime/registry";
import { AppError } from "@fractal/infra/errors";
import { openDatabase } from "@fractal/infra/storage/database";
import { createStorage } from "@fractal/infra/storage/storage";
import { MemorySaver } from "@langchain/langgraph";

const reply = await createChatModel("fake:pkg").invoke("hello");
const graphs = createGraphRegistry(catalog);
const research = await graphs.resolve("research-agent", { checkpointer: new MemorySaver(), config: {} });
const done = await research.invoke(
  { messages: [{ role: "user", content: "tea" }] },
  { configurable: { thread_id: "t", review_plan: false, max_steps: 1 } },
);
let refused = "";
try { graphs.validate("react-agent", { model: "nope:x" }); } catch (e) { refused = e instanceof AppError ? e.code : "other"; }
const database = await openDatabase({ kind: "pglite", dataDir: process.argv[2] });
const storage = await createStorage(database, { migrate: true });
const { thread } = await storage.threads.create({ thread_id: crypto.randomUUID(), metadata: { from: "package" } });
const found = await storage.threads.get(thread.thread_id);
await database.close();
console.log(JSON.stringify({ reply: reply.content, report: done.report, refused, metadata: found.metadata, runtime: process.release.name }));
`;

const CHECK_TS = `
import { createChatModel, type ModelOptions } from "@fractal/graphs/models";
import type { GraphRegistry } from "@fractal/runtime/registry";
import { AppError } from "@fractal/infra/errors";
const options: ModelOptions = { temperature: 0 };
export const model = createChatModel("fake:x", options);
export const code: string = new AppError("not_found", "x").code;
export type Registry = GraphRegistry;
`;

describe("published packages", () => {
  test("build, pack, and import from a clean project on Node, with types", async () => {
    const project = join(work, "project");
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    const infra = await buildAndInstall("infra", project);
    const graphs = await buildAndInstall("graphs", project);
    const runtime = await buildAndInstall("runtime", project);
    // workspace:* became a real version; tests and test helpers are not shipped.
    expect(graphs.dependencies["@fractal/infra"]).toBe("0.1.0");
    expect(runtime.dependencies["@fractal/infra"]).toBe("0.1.0");
    // The catalog is portable: it does not depend on the run engine.
    expect(Object.keys(graphs.dependencies)).not.toContain("@fractal/runtime");
    expect(readdirNames(join(project, "node_modules/@fractal/graphs/src"))).not.toContain("testing");
    for (const [manifest, pkg] of [
      [infra, "infra"],
      [graphs, "graphs"],
      [runtime, "runtime"],
    ] as const) {
      for (const name of Object.keys(manifest.dependencies)) {
        if (!name.startsWith("@fractal/")) linkDependency(name, pkg, project);
      }
    }

    writeFileSync(join(project, "check.mjs"), CHECK_JS);
    const printed = await run(["node", "check.mjs", join(work, "data")], project);
    expect(JSON.parse(printed.trim().split("\n").at(-1) as string)).toEqual({
      reply: "pkg: hello",
      report: "# tea\n\n## Background of tea\n\nYou said: Background of tea",
      refused: "validation_failed",
      metadata: { from: "package" },
      runtime: "node",
    });

    writeFileSync(join(project, "check.ts"), CHECK_TS);
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2023",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ["check.ts"],
      }),
    );
    await run(["node", join(root, "node_modules/typescript/bin/tsc"), "-p", "."], project);
  }, 180_000);
});

function readdirNames(dir: string): string[] {
  return [...new Bun.Glob("*").scanSync({ cwd: dir, onlyFiles: false })];
}
