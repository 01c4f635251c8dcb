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

test("the embedded database keeps a 32 MB buffer cache (its WebAssembly memory never shrinks)", async () => {
  const database = await openDatabase({ kind: "pglite", dataDir: "memory" });
  try {
    const result = await sql<{ shared_buffers: string }>`show shared_buffers`.execute(database.db);
    expect(result.rows[0]?.shared_buffers).toBe("32MB");
  } finally {
    await database.close();
  }
});

test("vacuum lets the embedded database reuse the space of deleted rows; PostgreSQL leaves it to autovacuum", async () => {
  const database = await openDatabase({ kind: "pglite", dataDir: "memory" });
  try {
    const storage = await createStorage(database, { migrate: true });
    const size = async () =>
      Number((await sql<{ n: string }>`select pg_total_relation_size('threads') as n`.execute(database.db)).rows[0]?.n);
    const churn = async () => {
      for (let i = 0; i < 500; i++) await storage.threads.create({ thread_id: crypto.randomUUID() });
      await sql`delete from threads`.execute(database.db);
      expect(await database.vacuum()).toBe(true);
      return size();
    };
    await churn();
    const settled = await churn();
    // Without vacuum every round adds the deleted rows' pages again.
    expect(await churn()).toBe(settled);
    expect(await churn()).toBe(settled);
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

test("store semantic search: exact cosine in SQL ranks and scores like pgvector", async () => {
  // Letter counts a–z: a deterministic embedding.
  const embed = async (texts: string[]) =>
    texts.map((t) => {
      const v = new Array<number>(26).fill(0);
      for (const ch of t) if (ch >= "a" && ch <= "z") v[ch.charCodeAt(0) - 97] = (v[ch.charCodeAt(0) - 97] ?? 0) + 1;
      return v;
    });
  const index = { dims: 26, fields: ["text"], embed };
  const results: Array<Array<[string, number]>> = [];
  for (const exactVectors of [false, true]) {
    const database = await openDatabase({ kind: "pglite", dataDir: "memory" });
    try {
      const storage = await createStorage(database, { migrate: true, storeIndex: index, exactVectors });
      expect(storage.store.vectorMode).toBe(exactVectors ? "exact" : "pgvector");
      await storage.store.putItem(["docs"], "fruit", { text: "banana apple" });
      await storage.store.putItem(["docs"], "quiz", { text: "jazz quiz fizz" });
      await storage.store.putItem(["docs"], "bread", { text: "banana bread" });
      await storage.store.putItem(["docs"], "plain", { other: "no text field" });
      const found = await storage.store.searchItems({
        namespacePrefix: ["docs"],
        query: "banana",
        limit: 10,
        offset: 0,
      });
      results.push(found.map((i) => [i.key, Math.round((i.score ?? -1) * 1000) / 1000]));
    } finally {
      await database.close();
    }
  }
  expect(results[0]?.map(([key]) => key)).toEqual(["bread", "fruit", "quiz", "plain"]);
  expect(results[1]).toEqual(results[0] as Array<[string, number]>);
  expect(results[0]?.at(-1)?.[1]).toBe(-1); // no vector: no score, ranked last
}, 30_000);
