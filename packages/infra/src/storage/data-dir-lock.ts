import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { AppError } from "../errors.ts";

// Locks this process holds: a second open from the same process must fail too.
const held = new Set<string>();

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

/** Whether a process with this id exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes an exclusive lock on a data dir so a second process fails fast instead of corrupting it.
 * A lock left by a dead process (kill -9) is taken over.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, "fractal.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      held.add(path);
      return {
        path,
        release: () => {
          if (!held.delete(path)) return;
          if (readOwner(path) === process.pid) rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = readOwner(path);
      const inUse = owner === process.pid ? held.has(path) : owner !== undefined && isAlive(owner);
      if (inUse) {
        throw new AppError(
          "conflict",
          `data dir ${dataDir} is in use by another fractal process (pid ${owner}); stop it or pass --data-dir with another directory`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new AppError("conflict", `could not lock data dir ${dataDir}`);
}

function readOwner(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isFinite(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}
