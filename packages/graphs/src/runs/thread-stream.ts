import type { RunControl } from "@fractal/infra/run-control";
import type { RunEventLog, StreamEvent } from "@fractal/infra/run-events";
import type { Storage } from "@fractal/infra/storage/storage";
import { wantedEvent } from "./stream-filter.ts";

export interface ThreadStreamOptions {
  storage: Storage;
  events: RunEventLog;
  control: RunControl;
  threadId: string;
  /** Resume after this id (ids increase across runs); without it, live runs from their start onwards. */
  after?: string;
  /** Only these modes (plus metadata, error and end); all when empty. */
  modes?: string[];
  signal: AbortSignal;
}

/** The events of a thread's runs, one run after another, staying open for runs still to come. */
export async function* threadEvents(options: ThreadStreamOptions): AsyncGenerator<StreamEvent> {
  const { storage, events, control, threadId, signal } = options;
  let cursor = options.after;
  const opened = Date.now();
  /** Runs whose events this stream has read to the end. */
  const streamed = new Set<string>();
  while (!signal.aborted) {
    const runs = (await storage.runs.list(threadId, { limit: 100, offset: 0 })).reverse();
    let progressed = false;
    for (const run of runs) {
      if (streamed.has(run.run_id)) continue;
      const live = run.status === "pending" || run.status === "running";
      // A finished run matters to a reader resuming from an id, or when it started after the stream
      // opened (a fast run may end before this loop looks again); its events must still be kept.
      const recent = cursor !== undefined || Date.parse(run.created_at) >= opened;
      if (!live && !(recent && events.isClosed(run.run_id) !== undefined)) continue;
      for await (const event of events.read(run.run_id, { after: cursor, signal })) {
        cursor = event.id;
        progressed = true;
        if (wantedEvent(event.event, options.modes)) yield event;
      }
      if (signal.aborted) return;
      if (events.isClosed(run.run_id)) streamed.add(run.run_id);
    }
    const listed = new Set(runs.map((r) => r.run_id));
    for (const id of streamed) if (!listed.has(id)) streamed.delete(id);
    if (!progressed) {
      // Wait for a new run here, or re-check (runs queued by other replicas) after a while.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          stop();
          signal.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, 500);
        const stop = control.onCreated((run) => {
          if (run.thread_id === threadId) done();
        });
        signal.addEventListener("abort", done);
      });
    }
  }
}
