import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive } from "../data-dir-lock.ts";
import { openDatabase } from "../database.ts";
import { createStorage } from "../storage.ts";

const TEMPLATE_PREFIX = "fractal-template-";

/** Templates of test processes that have ended (bun test does not run exit handlers). */
function removeStaleTemplates() {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(name.slice(TEMPLATE_PREFIX.length));
    if (name.startsWith(TEMPLATE_PREFIX) && Number.isInteger(pid) && pid !== process.pid && !isAlive(pid)) {
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
}

let template: Promise<string> | undefined;

/**
 * A new embedded data directory with the schema in place, for tests. Creating a PGlite directory
 * runs initdb, about 5 s on a CI machine; the first call in a process makes one migrated directory
 * (named for the process, removed by a later process once this one has ended) and every call
 * copies it, which takes a fraction of that. The caller removes the copy.
 */
export async function migratedDataDir(prefix = "fractal-test-"): Promise<string> {
  template ??= (async () => {
    removeStaleTemplates();
    const dir = join(tmpdir(), `${TEMPLATE_PREFIX}${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const database = await openDatabase({ kind: "pglite", dataDir: dir });
    try {
      await createStorage(database, { migrate: true });
    } finally {
      await database.close();
    }
    return dir;
  })();
  const source = await template;
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(source, dir, { recursive: true });
  return dir;
}
