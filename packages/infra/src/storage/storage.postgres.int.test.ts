import { afterAll } from "bun:test";
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
