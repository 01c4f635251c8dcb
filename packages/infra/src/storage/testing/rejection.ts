/**
 * The error a promise rejects with (fails when it resolves). Use it instead of
 * `expect(promise).rejects` in tests that talk to the embedded database: bun's `rejects` waits for
 * the promise without delivering worker-thread messages, and the embedded database answers from a
 * worker thread, so the wait never ends.
 */
export async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected the promise to reject, but it resolved");
}
