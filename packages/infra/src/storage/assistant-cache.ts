import type { Assistant, AssistantStore } from "./assistants.ts";

/**
 * Assistant reads served from memory, for a database that only this process writes (embedded mode:
 * the data-dir lock keeps every other process out). Every write through the store empties the cache,
 * and a read that overlapped a write is not cached, so a read never returns an older version than
 * the last completed write.
 */
export function withAssistantCache(store: AssistantStore): AssistantStore {
  const cache = new Map<string, Assistant>();
  let generation = 0;

  const write =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      generation++;
      cache.clear();
      try {
        return await fn(...args);
      } finally {
        generation++;
        cache.clear();
      }
    };

  const find = async (assistantId: string): Promise<Assistant | undefined> => {
    const hit = cache.get(assistantId);
    if (hit) return structuredClone(hit);
    const started = generation;
    const found = await store.find(assistantId);
    if (found && started === generation) cache.set(assistantId, structuredClone(found));
    return found;
  };

  return {
    ...store,
    find,
    async get(assistantId) {
      return (await find(assistantId)) ?? store.get(assistantId);
    },
    create: write(store.create),
    update: write(store.update),
    delete: write(store.delete),
    setLatest: write(store.setLatest),
    truncate: write(store.truncate),
  };
}
