/**
 * One stream event of a run. Ids count the run's events from `"0"`, as the reference server numbers
 * them (a thread stream, which spans runs, names events `<run_id>:<id>`).
 */
export interface StreamEvent {
  id: string;
  event: string;
  data: unknown;
}

export interface RunEventLogOptions {
  /** Events kept per run; the oldest are dropped past this. */
  maxEvents?: number;
  /** How long a closed run's events stay readable (for joins and reconnects). */
  retainMs?: number;
}

export interface ReadOptions {
  /** Replay only events after this id; `-1` or undefined replays everything kept. */
  after?: string;
  signal?: AbortSignal;
}

/**
 * For a log that numbers a run's entries from 1 (event id + 1): the number of the last entry a
 * reader has, from `after` (a Last-Event-ID; `-1`, none or not a number: nothing read yet).
 */
export function entriesRead(after: string | undefined): number {
  const parsed = after === undefined ? Number.NaN : Number(after);
  return Number.isInteger(parsed) && parsed >= 0 ? parsed + 1 : 0;
}

/** Where a run's events go: buffered for replay, delivered live to readers until the run closes. */
export interface RunEventLog {
  /** Adds the run's next event (ids count from "0"); writes are ordered per run, whoever writes. */
  append(runId: string, event: string, data: unknown): void;
  /**
   * No more events: readers finish once they have read what is there. The events stay readable for
   * the log's retention time, or `retainMs` when given (a run that did not ask to be resumable).
   */
  close(runId: string, options?: { retainMs?: number }): void;
  read(runId: string, options?: ReadOptions): AsyncGenerator<StreamEvent>;
  /**
   * This process stops executing the run (handed back at shutdown); another worker goes on with it,
   * so the run stays open. A shared log's readers get that worker's events; an in-process log's
   * readers end with the process (SSE streams with a final `ServerShutdown` event, others when the
   * log is disposed).
   */
  handOff(runId: string): void;
  /** Whether the run has been closed (undefined: no events of it are kept). */
  isClosed(runId: string): Promise<boolean | undefined>;
  /** Live runs (with buffers) and readers, to check nothing leaks. */
  stats(): { runs: number; readers: number; timers: number };
  dispose(): void;
}

interface Entry {
  events: StreamEvent[];
  /** The next event's number. */
  seq: number;
  closed: boolean;
  wakers: Set<() => void>;
  timer?: ReturnType<typeof setTimeout>;
}

function compareIds(a: string, b: string): number {
  return Number(a) - Number(b);
}

/** An in-process event log: the events of the runs this process executes, for its own streams. */
export function createRunEventLog(options: RunEventLogOptions = {}): RunEventLog {
  const maxEvents = options.maxEvents ?? 10_000;
  const retainMs = options.retainMs ?? 60_000;
  const entries = new Map<string, Entry>();
  let readers = 0;

  const entryOf = (runId: string): Entry => {
    let entry = entries.get(runId);
    if (!entry) {
      entry = { events: [], seq: 0, closed: false, wakers: new Set() };
      entries.set(runId, entry);
    }
    return entry;
  };

  const wake = (entry: Entry) => {
    for (const w of [...entry.wakers]) w();
  };

  const dropIfUnused = (runId: string, entry: Entry) => {
    if (!entry.closed && entry.events.length === 0 && entry.wakers.size === 0) entries.delete(runId);
  };

  const close = (runId: string, closeOptions?: { retainMs?: number }) => {
    const entry = entryOf(runId);
    entry.closed = true;
    wake(entry);
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      if (entries.get(runId) === entry) entries.delete(runId);
    }, closeOptions?.retainMs ?? retainMs);
    entry.timer.unref?.();
  };

  return {
    append(runId, event, data) {
      const entry = entryOf(runId);
      entry.events.push({ id: String(entry.seq++), event, data });
      if (entry.events.length > maxEvents) entry.events.splice(0, entry.events.length - maxEvents);
      wake(entry);
    },

    close,

    handOff: () => {},

    async *read(runId, { after, signal } = {}) {
      const entry = entryOf(runId);
      let cursor = after === undefined || after === "-1" ? undefined : after;
      let wakeUp: (() => void) | undefined;
      const waker = () => wakeUp?.();
      const onAbort = () => wakeUp?.();
      entry.wakers.add(waker);
      signal?.addEventListener("abort", onAbort);
      readers++;
      try {
        while (!signal?.aborted) {
          const start =
            cursor === undefined
              ? 0
              : (() => {
                  const c = cursor;
                  const idx = entry.events.findIndex((e) => compareIds(e.id, c) > 0);
                  return idx === -1 ? entry.events.length : idx;
                })();
          const pending = entry.events.slice(start);
          for (const item of pending) {
            if (signal?.aborted) return;
            cursor = item.id;
            yield item;
          }
          if (pending.length > 0) continue;
          if (entry.closed) return;
          await new Promise<void>((resolve) => {
            wakeUp = resolve;
          });
          wakeUp = undefined;
        }
      } finally {
        readers--;
        entry.wakers.delete(waker);
        signal?.removeEventListener("abort", onAbort);
        if (entries.get(runId) === entry) dropIfUnused(runId, entry);
      }
    },

    async isClosed(runId) {
      return entries.get(runId)?.closed;
    },

    stats() {
      let timers = 0;
      for (const e of entries.values()) if (e.timer) timers++;
      return { runs: entries.size, readers, timers };
    },

    dispose() {
      for (const entry of entries.values()) {
        if (entry.timer) clearTimeout(entry.timer);
        entry.closed = true;
        wake(entry);
      }
      entries.clear();
    },
  };
}
