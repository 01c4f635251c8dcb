import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { StreamEvent } from "../run-events.ts";

export interface EventStreamOptions {
  /** Opens the event source; it must stop when the signal aborts. */
  open: (signal: AbortSignal) => AsyncIterable<StreamEvent>;
  heartbeatMs: number;
  /** Called when the client goes away before the run ended. */
  onDisconnect?: () => void | Promise<void>;
  headers?: Record<string, string>;
}

/** Streams events as SSE (`event:`, `data:`, `id:`), with heartbeat comments while idle. */
export function streamEvents(c: Context, options: EventStreamOptions): Response {
  for (const [name, value] of Object.entries(options.headers ?? {})) c.header(name, value);
  return streamSSE(c, async (stream) => {
    const controller = new AbortController();
    let ended = false;
    stream.onAbort(() => {
      controller.abort();
      if (!ended) void options.onDisconnect?.();
    });
    // A first comment at once, so the status line and headers reach the client now even when the
    // first event is far off (an idle thread stream), not at the first heartbeat.
    await stream.write(": open\n\n");
    const heartbeat = setInterval(() => {
      void stream.write(": heartbeat\n\n").catch(() => controller.abort());
    }, options.heartbeatMs);
    try {
      for await (const event of options.open(controller.signal)) {
        // `end` marks the close of a run inside the log; the wire protocol has no such event.
        if (event.event === "end") {
          ended = true;
          continue;
        }
        await stream.writeSSE({ event: event.event, data: JSON.stringify(event.data ?? null), id: event.id });
      }
      ended = true;
    } finally {
      clearInterval(heartbeat);
    }
  });
}
