import type { AnyCompiledGraph } from "@fractal/infra/graph-context";
import type { StreamEvent } from "@langchain/core/tracers/log_stream";
import { stripRuntime, toApiValue } from "../serialize.ts";

/**
 * Runs a graph through LangGraph's `streamEvents` (v2), for runs that ask for the `events` stream
 * mode. Every callback event goes out as an `events` event; the root graph's own stream chunks
 * (`on_chain_stream` of the run itself) are handed back as the chunks `graph.stream` would yield,
 * so the other requested modes are served from the same execution.
 */
export async function* streamWithEvents(
  graph: AnyCompiledGraph,
  input: unknown,
  options: Record<string, unknown>,
  rootRunId: string,
  emit: (event: string, data: unknown) => void,
): AsyncGenerator<unknown[]> {
  const events = graph.streamEvents(input as never, { ...options, runId: rootRunId, version: "v2" } as never);
  for await (const event of events as unknown as AsyncIterable<StreamEvent>) {
    if (event.event === "on_chain_stream" && event.run_id === rootRunId) {
      yield (event.data as { chunk: unknown[] }).chunk;
      continue;
    }
    if (event.tags?.includes("langsmith:hidden")) continue;
    emit("events", stripRuntime(toApiValue(event)));
  }
}
