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
  /**
   * Thread stream modes (`run_modes`: every run event and a `run_done` per run, the default;
   * `lifecycle`: run starts (`metadata`) and `run_done` only; `state_update`: the thread's values
   * after each run), or run stream modes to narrow the run events to (`values`, …).
   */
  modes?: string[];
  signal: AbortSignal;
}

/** A thread stream's event id: the run and the run's own event id, so a reader can resume across runs. */
export function threadEventId(runId: string, eventId: string): string {
  return `${runId}:${eventId}`;
}

const THREAD_MODES = new Set(["run_modes", "lifecycle", "state_update"]);

/** What a thread stream sends, from its requested modes. */
function threadPlan(modes: string[] | undefined) {
  const asked = (modes ?? []).filter((m) => m !== "");
  const runModes = asked.filter((m) => !THREAD_MODES.has(m));
  const allRunEvents = asked.length === 0 || asked.includes("run_modes");
  const runsAtAll = allRunEvents || runModes.length > 0 || asked.includes("lifecycle");
  return {
    /** Which run events pass: none (state_update alone), all, those of the run modes, or run starts. */
    runEvent: (event: string) =>
      runsAtAll && (allRunEvents || wantedEvent(event, runModes.length > 0 ? runModes : ["metadata"])),
    runDone: allRunEvents || asked.includes("lifecycle"),
    stateUpdate: asked.includes("state_update"),
  };
}

/** The id of the events a thread stream adds after a run's own (`run_done`, `state_update`). */
const AFTER_RUN = "end";

function parseAfter(after: string | undefined): { runId: string; eventId: string } | undefined {
  const split = after?.lastIndexOf(":") ?? -1;
  if (!after || split <= 0) return undefined;
  return { runId: after.slice(0, split), eventId: after.slice(split + 1) };
}

/** The thread's values and status now, as a `state_update` event. */
async function stateUpdateEvent(storage: Storage, threadId: string, id: string): Promise<StreamEvent> {
  const thread = await storage.threads.get(threadId).catch(() => undefined);
  return { id, event: "state_update", data: { values: thread?.values ?? null, status: thread?.status ?? null } };
}

/** The events of a thread's runs, one run after another, staying open for runs still to come. */
export async function* threadEvents(options: ThreadStreamOptions): AsyncGenerator<StreamEvent> {
  const { storage, events, control, threadId, signal } = options;
  const resume = parseAfter(options.after);
  const plan = threadPlan(options.modes);
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
      if (!live && !(recent && (await events.isClosed(run.run_id)) !== undefined)) continue;
      const after = resume?.runId === run.run_id ? resume.eventId : undefined;
      if (after === AFTER_RUN) {
        streamed.add(run.run_id);
        continue;
      }
      for await (const event of events.read(run.run_id, { after, signal })) {
        progressed = true;
        if (event.event === "end") continue;
        if (plan.runEvent(event.event)) yield { ...event, id: threadEventId(run.run_id, event.id) };
      }
      if (signal.aborted) return;
      if (!(await events.isClosed(run.run_id))) continue;
      streamed.add(run.run_id);
      if (plan.runDone || plan.stateUpdate) {
        const id = threadEventId(run.run_id, AFTER_RUN);
        const ended = await storage.runs.find(run.run_id);
        if (plan.runDone) yield { id, event: "run_done", data: { run_id: run.run_id, status: ended?.status ?? null } };
        if (plan.stateUpdate) yield await stateUpdateEvent(storage, threadId, id);
      }
    }
    const listed = new Set(runs.map((r) => r.run_id));
    for (const id of streamed) if (!listed.has(id)) streamed.delete(id);
    if (!progressed) {
      // Wait for a new run here (or a state edit, for state_update), or re-check (runs queued by
      // other replicas) after a while.
      let edited = false;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          stop();
          stopState();
          signal.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, 500);
        const stop = control.onCreated((run) => {
          if (run.thread_id === threadId) done();
        });
        const stopState = plan.stateUpdate
          ? control.onStateUpdated((id) => {
              if (id !== threadId) return;
              edited = true;
              done();
            })
          : () => {};
        signal.addEventListener("abort", done);
      });
      if (edited && !signal.aborted) yield await stateUpdateEvent(storage, threadId, `state:${Date.now()}`);
    }
  }
}
