import type { Logger } from "@fractal/infra/logger";
import { bundleUi, type UiFile } from "./bundle.ts";

/** The UI bundles of langgraph.json `ui`, built in the background at start. */
export interface UiRegistry {
  /** The bundle's files, once built; undefined for a name with no `ui` entry. A failed build throws. */
  files(name: string): Promise<UiFile[]> | undefined;
}

/** Starts bundling every entry now (off the request path); requests wait for their own bundle. */
export function createUiRegistry(entries: Record<string, string>, logger: Logger): UiRegistry {
  const builds = new Map<string, Promise<UiFile[]>>();
  for (const [name, file] of Object.entries(entries)) {
    const started = performance.now();
    const build = bundleUi(name, file);
    build.then(
      (files) =>
        logger.info("bundled ui", { ui: name, files: files.length, ms: Math.round(performance.now() - started) }),
      (error) => logger.error("ui bundle failed", { ui: name, error }),
    );
    builds.set(name, build);
  }
  return { files: (name) => builds.get(name) };
}
