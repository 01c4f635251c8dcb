import { expect } from "bun:test";

/** Asserts that an SDK call fails with the given HTTP status. */
export async function expectStatus(promise: Promise<unknown>, status: number): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeDefined();
  expect((caught as { status?: number }).status).toBe(status);
}
