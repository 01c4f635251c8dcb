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
  /**
   * Aborts when the server shuts down (after its drain time): a stream still open then ends with a
   * final `error` event (`ServerShutdown`) instead of a cut connection, so the client knows to
   * reconnect elsewhere (with Last-Event-ID, for a resumable run).
   */
  closing?: AbortSignal;
  /** Counts open streams (a gauge): up when the stream opens, down when it ends either way. */
  openStreams?: { inc(): void; dec(): void };
}

/** The last event of a stream the server ends because it is shutting down. */
export const SHUTDOWN_EVENT = {
  error: "ServerShutdown",
  message: "the server is shutting down; reconnect to go on (Last-Event-ID resumes a resumable run's stream)",
};

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
    let shuttingDown = false;
    const onClosing = () => {
      shuttingDown = true;
      controller.abort();
    };
    if (options.closing?.aborted) onClosing();
    options.closing?.addEventListener("abort", onClosing);
    options.openStreams?.inc();
    try {
      for await (const event of options.open(controller.signal)) {
        // `end` marks the close of a run inside the log; the wire protocol has no such event.
        if (event.event === "end") {
          ended = true;
          continue;
        }
        await stream.writeSSE({ event: event.event, data: JSON.stringify(event.data ?? null), id: event.id });
      }
      if (shuttingDown && !ended && !stream.aborted) {
        await stream.writeSSE({ event: "error", data: JSON.stringify(SHUTDOWN_EVENT) });
      }
      ended = true;
    } finally {
      options.openStreams?.dec();
      clearInterval(heartbeat);
      options.closing?.removeEventListener("abort", onClosing);
    }
  });
}
