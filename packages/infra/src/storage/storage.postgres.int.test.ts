import { afterAll, expect, test } from "bun:test";
import { openDatabase } from "./database.ts";
import { describeStorageContract } from "./testing/contract.ts";
import { createTestDatabase, requireTestPostgresUrl } from "./testing/postgres.ts";

const drops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const drop of drops) await drop();
});

describeStorageContract("postgresql", async () => {
  const testDb = await createTestDatabase(requireTestPostgresUrl());
  drops.push(testDb.drop);
  return openDatabase({ kind: "postgres", url: testDb.url });
});

test("an idle connection killed by the server does not take the process down", async () => {
  const testDb = await createTestDatabase(requireTestPostgresUrl());
  const errors: Error[] = [];
  const database = await openDatabase({ kind: "postgres", url: testDb.url, onIdleError: (e) => errors.push(e) });
  try {
    await database.pool.query("select 1");
    await testDb.drop(); // terminates the pool's idle connection
    await Bun.sleep(100);
    expect(errors.length).toBeGreaterThan(0);
  } finally {
    await database.close().catch(() => {});
  }
});
