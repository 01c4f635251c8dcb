import type { StreamEvent } from "@fractal/infra/run-events";

/** Events every reader gets, whatever modes it asked for. */
const ALWAYS = new Set(["metadata", "error", "end"]);

/**
 * Whether a stored event belongs to the requested stream modes (all when none are given).
 * Names carry a subgraph suffix (`updates|agent:1`) and legacy message events a part
 * (`messages/partial`); `messages-tuple` events are stored as `messages`.
 */
export function wantedEvent(event: string, modes: string[] | undefined): boolean {
  if (!modes || modes.length === 0 || ALWAYS.has(event)) return true;
  const base = (event.split("|")[0] ?? "").split("/")[0] ?? "";
  return modes.includes(base) || (base === "messages" && modes.includes("messages-tuple"));
}

/** Passes on the events of the requested modes. */
export async function* filterModes(
  events: AsyncIterable<StreamEvent>,
  modes: string[] | undefined,
): AsyncGenerator<StreamEvent> {
  for await (const event of events) if (wantedEvent(event.event, modes)) yield event;
}
