import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { RunEventLog } from "../run-events.ts";

export interface RunStreamOptions {
  events: RunEventLog;
  runId: string;
  /** Resume after this event id (`Last-Event-ID`); `-1` replays everything kept. */
  after?: string;
  heartbeatMs: number;
  /** Called when the client goes away before the run ended. */
  onDisconnect?: () => void | Promise<void>;
  headers?: Record<string, string>;
}

/** Streams a run's events as SSE (`event:`, `data:`, `id:`), with heartbeat comments while idle. */
export function streamRunEvents(c: Context, options: RunStreamOptions): Response {
  for (const [name, value] of Object.entries(options.headers ?? {})) c.header(name, value);
  return streamSSE(c, async (stream) => {
    const controller = new AbortController();
    let ended = false;
    stream.onAbort(() => {
      controller.abort();
      if (!ended) void options.onDisconnect?.();
    });
    const heartbeat = setInterval(() => {
      void stream.write(": heartbeat\n\n").catch(() => controller.abort());
    }, options.heartbeatMs);
    try {
      for await (const event of options.events.read(options.runId, {
        after: options.after,
        signal: controller.signal,
      })) {
        await stream.writeSSE({ event: event.event, data: JSON.stringify(event.data ?? null), id: event.id });
        if (event.event === "end") ended = true;
      }
      ended = true;
    } finally {
      clearInterval(heartbeat);
    }
  });
}
