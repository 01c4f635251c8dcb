import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, extname, join } from "node:path";
import { renderSource } from "./render-source.ts";

/** One file of a graph's UI bundle, served at `/ui/{graph}/{name}`. */
export interface UiFile {
  name: string;
  contents: Uint8Array;
  type: string;
}

/** Modules the host page lends the bundle (through `globalThis[Symbol.for("LGUI_REQUIRE")]`). */
const SHARED = [
  "react",
  "react-dom",
  "react-dom/client",
  "react/jsx-runtime",
  "@langchain/langgraph-sdk",
  "@langchain/langgraph-sdk/*",
];

/** The global a bundle defines: `__LGUI_<name>`, with characters a JS name cannot hold as `_`. */
export function uiGlobalName(name: string): string {
  return `__LGUI_${name.replace(/[^A-Za-z0-9_$]/g, "_")}`;
}

/**
 * Bundles a langgraph.json `ui` entry (a module whose default export maps component names to React
 * components) for the browser with Bun's bundler. The result defines `__LGUI_<name>.render(name,
 * shadowRootId)`, which hands the component to the page's component store (Agent Chat UI's
 * LoadExternalComponent); React and the SDK come from the page, never from the bundle.
 */
export async function bundleUi(name: string, entryFile: string): Promise<UiFile[]> {
  const dir = mkdtempSync(join(tmpdir(), "fractal-ui-"));
  try {
    const entry = join(dir, "entrypoint.tsx");
    writeFileSync(entry, `import components from ${JSON.stringify(entryFile)};\n${renderSource}\n`);
    const result = await Bun.build({
      entrypoints: [entry],
      target: "browser",
      format: "cjs",
      external: SHARED,
      minify: false,
      naming: { entry: "entrypoint.[ext]", asset: "[name].[ext]" },
      jsx: { runtime: "automatic" },
    });
    if (!result.success) {
      throw new Error(`cannot bundle ui '${name}' (${entryFile}): ${result.logs.map(String).join("; ")}`);
    }
    const files: UiFile[] = [];
    for (const output of result.outputs) {
      const fileName = basename(output.path);
      let text = await output.text();
      if (extname(fileName) === ".js") {
        // A CommonJS bundle, wrapped so that `require` reaches the page's modules.
        text = [
          `var ${uiGlobalName(name)} = (function () {`,
          `var module = { exports: {} }, exports = module.exports;`,
          `var require = globalThis[Symbol.for("LGUI_REQUIRE")];`,
          text,
          `return module.exports;`,
          `})();`,
        ].join("\n");
      }
      files.push({ name: fileName, contents: new TextEncoder().encode(text), type: output.type || "text/plain" });
    }
    return files;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
