import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { openDatabase } from "./database.ts";
import { createStorage } from "./storage.ts";
import { describeStorageContract } from "./testing/contract.ts";
import { rejection } from "./testing/rejection.ts";

describeStorageContract("pglite (in memory)", () => openDatabase({ kind: "pglite", dataDir: "memory" }));

test("pglite loads pgvector", async () => {
  const database = await openDatabase({ kind: "pglite", dataDir: "memory" });
  try {
    await createStorage(database, { migrate: true });
    const result = await sql<{ d: number }>`select '[1,2,3]'::vector <-> '[1,2,4]'::vector as d`.execute(database.db);
    expect(Number(result.rows[0]?.d)).toBe(1);
  } finally {
    await database.close();
  }
});

test("a second open of the same data dir fails with a clear message, and the data survives", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fractal-lock-"));
  try {
    const first = await openDatabase({ kind: "pglite", dataDir: dir });
    const storage = await createStorage(first, { migrate: true });
    const id = crypto.randomUUID();
    await storage.threads.create({ thread_id: id });
    expect((await rejection(openDatabase({ kind: "pglite", dataDir: dir }))).message).toMatch(
      /in use by another fractal process/,
    );
    await first.close();
    const reopened = await createStorage(await openDatabase({ kind: "pglite", dataDir: dir }), { migrate: false });
    expect((await reopened.threads.get(id)).thread_id).toBe(id);
    await reopened.database.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

test("with automatic migration off, an empty database is refused with the command to run", async () => {
  const database = await openDatabase({ kind: "pglite", dataDir: "memory" });
  try {
    expect((await rejection(createStorage(database, { migrate: false }))).message).toMatch(/run `fractal migrate`/);
  } finally {
    await database.close();
  }
}, 30_000);
