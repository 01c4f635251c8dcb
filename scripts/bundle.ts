#!/usr/bin/env bun
/**
 * Builds what the container image ships, into one folder (default dist/fractal):
 *   fractal.js         the CLI and server, every dependency bundled in (target bun)
 *   pglite-worker.js   the embedded database's thread, beside it (the server starts it by that name)
 *   node_modules/      only the embedded database's packages, which load their WebAssembly and
 *                      extension files from beside their own code and so cannot be bundled
 *   package.json       name, version, and `bin`
 * Run it with `bun run bundle [--out DIR]`; start the result with `bun DIR/fractal.js serve`.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";

const root = resolve(import.meta.dir, "..");
const { values } = parseArgs({ args: process.argv.slice(2), options: { out: { type: "string" } } });
const out = resolve(values.out ?? join(root, "dist/fractal"));
const say = (line: string) => process.stderr.write(`bundle: ${line}\n`);

/** Packages that stay files on disk (they read their .wasm/.data/.tar.gz next to their code). */
const EXTERNAL = ["@electric-sql/pglite", "@electric-sql/pglite-pgvector"];
const external = EXTERNAL.flatMap((name) => [name, `${name}/*`]);

async function build(entry: string, naming: string) {
  const result = await Bun.build({
    entrypoints: [join(root, entry)],
    outdir: out,
    naming,
    target: "bun",
    external,
    minify: { syntax: true, whitespace: false, identifiers: false },
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error(`bundling ${entry} failed`);
  }
  const size = result.outputs.reduce((n, o) => n + o.size, 0);
  say(`${naming} (${(size / 1e6).toFixed(1)} MB)`);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
say(`building into ${out}`);
await build("apps/server/src/cli.ts", "fractal.js");
await build("packages/infra/src/storage/pglite-worker.ts", "pglite-worker.js");

// The external packages, resolved as the infra package resolves them, copied without source maps.
const infraDir = join(root, "packages/infra");
for (const name of EXTERNAL) {
  const manifest = Bun.resolveSync(`${name}/package.json`, infraDir);
  const target = join(out, "node_modules", name);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(dirname(manifest), target, {
    recursive: true,
    dereference: true,
    filter: (source) => !source.endsWith(".map") && !source.includes(`${name}/node_modules`),
  });
  say(`copied ${name}`);
}

const server = JSON.parse(readFileSync(join(root, "apps/server/package.json"), "utf8")) as { version: string };
writeFileSync(
  join(out, "package.json"),
  `${JSON.stringify({ name: "fractal-agents-runtime", version: server.version, private: true, type: "module", bin: { fractal: "fractal.js" } }, null, 2)}\n`,
);
if (!existsSync(join(out, "fractal.js"))) throw new Error("no fractal.js was written");
say(`done: bun ${join(out, "fractal.js")} serve`);
