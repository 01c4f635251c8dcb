import type Redis from "ioredis";
import { entriesRead, type ReadOptions, type RunEventLog, type StreamEvent } from "../run-events.ts";
import type { Subscriptions } from "./subscriptions.ts";

export interface RedisRunEventLogOptions {
  redis: Redis;
  subscriptions: Subscriptions;
  /** Events kept per run (the stream holds one more entry: the close marker). */
  maxEvents?: number;
  /** How long a closed run's events stay readable. */
  retainMs?: number;
  /** How long an open run's events stay while nothing is appended (a run stuck or lost). */
  openTtlMs?: number;
  /** Told when a write fails (Redis gone for good); the run's own state is in PostgreSQL. */
  onError?: (error: unknown, runId: string) => void;
  keyPrefix?: string;
}

/**
 * Appends one stream entry and announces it. Every entry of a run has the next number of the run's
 * counter (stream id `0-n`), so any process may write a run's events in order with no coordination;
 * an event's API id is `n - 1` (events count from "0"). A close marker is an entry without event.
 * KEYS: stream, counter, channel. ARGV: event ("" closes), data, maxlen, ttl ms.
 */
const APPEND = `
local n = redis.call('INCR', KEYS[2])
if ARGV[1] == '' then
  redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3], '0-' .. n, 'c', '1')
else
  redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3], '0-' .. n, 'e', ARGV[1], 'd', ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PUBLISH', KEYS[3], n .. '\\n' .. ARGV[1] .. '\\n' .. ARGV[2])
return n`;

/** One entry as a reader sees it: its number, and the event (none for the close marker). */
interface Entry {
  n: number;
  event?: StreamEvent;
}

type RawEntry = [id: string, fields: string[]];

function fromStream([id, fields]: RawEntry): Entry {
  const n = Number(id.slice(id.indexOf("-") + 1));
  const field = (name: string) => {
    const i = fields.indexOf(name);
    return i === -1 ? undefined : fields[i + 1];
  };
  const event = field("e");
  if (event === undefined) return { n };
  return { n, event: { id: String(n - 1), event, data: JSON.parse(field("d") ?? "null") } };
}

function fromMessage(message: string): Entry {
  const first = message.indexOf("\n");
  const second = message.indexOf("\n", first + 1);
  const n = Number(message.slice(0, first));
  const event = message.slice(first + 1, second);
  if (event === "") return { n };
  return { n, event: { id: String(n - 1), event, data: JSON.parse(message.slice(second + 1)) } };
}

/**
 * The run event log over Redis, for several processes: a stream per run keeps the events for replay
 * (`Last-Event-ID`, joins, resumable streams) and expires after the retention time; each append is
 * published on the run's channel, so readers on any process get it at once.
 */
export function createRedisRunEventLog(options: RedisRunEventLogOptions): RunEventLog {
  const { redis, subscriptions } = options;
  const prefix = options.keyPrefix ?? "fractal";
  const maxEntries = String((options.maxEvents ?? 10_000) + 1);
  const retainMs = options.retainMs ?? 60_000;
  const openTtlMs = String(options.openTtlMs ?? 24 * 3600_000);
  // The run id in braces: a run's keys hash to one slot, as a Redis Cluster script needs.
  const keys = (runId: string) => [
    `${prefix}:run:{${runId}}:events`,
    `${prefix}:run:{${runId}}:seq`,
    `${prefix}:run:{${runId}}:live`,
  ];
  const wakers = new Set<() => void>();
  let readers = 0;
  let disposed = false;
  const unwatchReconnect = subscriptions.onReconnect(() => {
    for (const w of [...wakers]) w();
  });

  const write = (runId: string, event: string, data: string, ttlMs: string) => {
    redis
      .eval(APPEND, 3, ...keys(runId), event, data, maxEntries, ttlMs)
      .catch((error: unknown) => options.onError?.(error, runId));
  };

  const entriesAfter = async (runId: string, n: number): Promise<Entry[]> => {
    const rows = (await redis.xrange(keys(runId)[0] as string, `0-${n + 1}`, "+")) as RawEntry[];
    return rows.map(fromStream);
  };

  return {
    append(runId, event, data) {
      write(runId, event, JSON.stringify(data ?? null), openTtlMs);
    },

    close(runId, closeOptions) {
      write(runId, "", "", String(closeOptions?.retainMs ?? retainMs));
    },

    // The worker that claims the run next appends to the same stream: readers stay with it.
    handOff() {},

    async *read(runId, { after, signal }: ReadOptions = {}) {
      /** The number of the last entry read (event id + 1). */
      let cursor = entriesRead(after);
      const arrived: Entry[] = [];
      let wakeUp: (() => void) | undefined;
      const waker = () => wakeUp?.();
      signal?.addEventListener("abort", waker);
      wakers.add(waker);
      readers++;
      let unsubscribe = () => {};
      try {
        unsubscribe = await subscriptions.subscribe(keys(runId)[2] as string, (message) => {
          arrived.push(fromMessage(message));
          wakeUp?.();
        });
        // What the stream holds first; then what is published, filling any gap from the stream.
        let pending = await entriesAfter(runId, cursor);
        while (!signal?.aborted && !disposed) {
          for (const entry of pending) {
            if (entry.n <= cursor) continue;
            cursor = entry.n;
            if (!entry.event) return;
            yield entry.event;
            if (signal?.aborted) return;
          }
          pending = [];
          if (arrived.length === 0) {
            await new Promise<void>((resolve) => {
              wakeUp = resolve;
              if (arrived.length > 0 || signal?.aborted || disposed) resolve();
            });
            wakeUp = undefined;
          }
          const received = arrived.splice(0);
          // A close numbered at or below the cursor: Redis lost the run's keys and numbering began
          // again (the events in between are lost); the run is over all the same.
          if (received.some((e) => !e.event && e.n <= cursor)) return;
          const next = received.filter((e) => e.n > cursor);
          // A message skipped (or none, after a reconnection): read the stream from the cursor.
          const inOrder = next.length > 0 && next.every((e, i) => e.n === cursor + 1 + i);
          pending = inOrder ? next : await entriesAfter(runId, cursor);
        }
      } finally {
        readers--;
        wakers.delete(waker);
        signal?.removeEventListener("abort", waker);
        unsubscribe();
      }
    },

    async isClosed(runId) {
      const [last] = (await redis.xrevrange(keys(runId)[0] as string, "+", "-", "COUNT", 1)) as RawEntry[];
      if (!last) return undefined;
      return fromStream(last).event === undefined;
    },

    stats: () => ({ runs: subscriptions.channels(), readers, timers: 0 }),

    dispose() {
      disposed = true;
      unwatchReconnect();
      for (const w of [...wakers]) w();
    },
  };
}
