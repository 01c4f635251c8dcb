import type { RunControl } from "@fractal/infra/run-control";
import type { RunEventLog, StreamEvent } from "@fractal/infra/run-events";
import type { Storage } from "@fractal/infra/storage/storage";
import { wantedEvent } from "./stream-filter.ts";

export interface ThreadStreamOptions {
  storage: Storage;
  events: RunEventLog;
  control: RunControl;
  threadId: string;
  /** Resume after this id (`<run_id>:<event id>`); without it, live runs from their start onwards. */
  after?: string;
  /** Only these modes (plus metadata and error); all when empty. */
  modes?: string[];
  signal: AbortSignal;
}

/** A thread stream's event id: the run and the run's own event id, so a reader can resume across runs. */
export function threadEventId(runId: string, eventId: string): string {
  return `${runId}:${eventId}`;
}

function parseAfter(after: string | undefined): { runId: string; eventId: string } | undefined {
  const split = after?.lastIndexOf(":") ?? -1;
  if (!after || split <= 0) return undefined;
  return { runId: after.slice(0, split), eventId: after.slice(split + 1) };
}

/** The events of a thread's runs, one run after another, staying open for runs still to come. */
export async function* threadEvents(options: ThreadStreamOptions): AsyncGenerator<StreamEvent> {
  const { storage, events, control, threadId, signal } = options;
  const resume = parseAfter(options.after);
  const opened = Date.now();
  /** Runs whose events this stream has read to the end (or that come before the resume point). */
  const streamed = new Set<string>();
  let resumeFound = resume === undefined;
  while (!signal.aborted) {
    const runs = (await storage.runs.list(threadId, { limit: 100, offset: 0 })).reverse();
    if (!resumeFound && resume) {
      const at = runs.findIndex((r) => r.run_id === resume.runId);
      // Runs up to the resume point were seen; a resume point no longer listed resumes nothing old.
      for (const r of at === -1 ? runs : runs.slice(0, at)) streamed.add(r.run_id);
      resumeFound = true;
    }
    let progressed = false;
    for (const run of runs) {
      if (streamed.has(run.run_id)) continue;
      const live = run.status === "pending" || run.status === "running";
      // A finished run matters to a reader resuming from an id, or when it started after the stream
      // opened (a fast run may end before this loop looks again); its events must still be kept.
      const recent = resume !== undefined || Date.parse(run.created_at) >= opened;
      if (!live && !(recent && events.isClosed(run.run_id) !== undefined)) continue;
      const after = resume?.runId === run.run_id ? resume.eventId : undefined;
      for await (const event of events.read(run.run_id, { after, signal })) {
        progressed = true;
        if (wantedEvent(event.event, options.modes)) yield { ...event, id: threadEventId(run.run_id, event.id) };
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
