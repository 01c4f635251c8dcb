import { interrupt, StateGraph } from "@langchain/langgraph";
import { z } from "zod";

/** Waits `ms`, or rejects as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error("aborted"));
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new Error("aborted"));
    });
  });
}

/**
 * A one-node graph for engine tests: it takes `configurable.delay_ms` (10 by default), honours the
 * run's abort signal, and counts its executions in `steps`.
 */
export const slowGraph = new StateGraph(z.object({ steps: z.number().optional() }))
  .addNode("work", async (state, config) => {
    await pause(Number(config.configurable?.delay_ms ?? 10), config.signal);
    return { steps: (state.steps ?? 0) + 1 };
  })
  .addEdge("__start__", "work")
  .compile();

/**
 * The slow graph's node, counting how many of its executions are under way at once (`most`) and
 * how many started: a run executed twice at the same time shows `most` 2.
 */
export function watchedGraph() {
  const seen = { running: 0, most: 0, started: 0 };
  const graph = new StateGraph(z.object({ steps: z.number().optional() }))
    .addNode("work", async (state, config) => {
      seen.started++;
      seen.running++;
      seen.most = Math.max(seen.most, seen.running);
      try {
        await pause(Number(config.configurable?.delay_ms ?? 10), config.signal);
      } finally {
        seen.running--;
      }
      return { steps: (state.steps ?? 0) + 1 };
    })
    .addEdge("__start__", "work")
    .compile();
  return { graph, seen };
}

/** Asks for a review (`interrupt`) and records the answer it is resumed with. */
export const reviewGraph = new StateGraph(z.object({ answer: z.string().default("") }))
  .addNode("ask", () => ({ answer: String(interrupt({ question: "approve?" })) }))
  .addEdge("__start__", "ask")
  .compile();
