import { afterAll, describe, expect, test } from "bun:test";
import type { RunEventLog, RunEventLogOptions, StreamEvent } from "../run-events.ts";

export async function collect(gen: AsyncGenerator<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of gen) out.push(e);
  return out;
}

/** Waits until `check` holds (or fails after a second), for what an adapter does asynchronously. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 1_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

/**
 * What every run event log does, whatever holds the events (this process, or Redis). Run ids are
 * unique per test, so a shared Redis needs no cleaning.
 */
export function describeRunEventLog(name: string, open: (options?: RunEventLogOptions) => Promise<RunEventLog>) {
  describe(`run event log contract (${name})`, () => {
    const logs: RunEventLog[] = [];
    const make = async (options?: RunEventLogOptions) => {
      const log = await open(options);
      logs.push(log);
      return log;
    };
    const runId = () => crypto.randomUUID();
    afterAll(() => {
      for (const log of logs) log.dispose();
    });

    test("ids count each run's events from 0, as the reference server numbers them", async () => {
      const log = await make();
      const [a, b] = [runId(), runId()];
      for (let i = 0; i < 5; i++) log.append(a, "values", i);
      log.append(b, "metadata", {});
      log.close(a);
      log.close(b);
      expect((await collect(log.read(a))).map((e) => e.id)).toEqual(["0", "1", "2", "3", "4"]);
      expect((await collect(log.read(b))).map((e) => [e.id, e.event, e.data])).toEqual([["0", "metadata", {}]]);
    });

    test("a reader gets stored events, then live ones, and finishes when the run closes", async () => {
      const log = await make();
      const id = runId();
      log.append(id, "metadata", { run_id: id });
      const reading = collect(log.read(id));
      await Bun.sleep(20);
      log.append(id, "values", { n: 1 });
      log.close(id);
      expect((await reading).map((e) => [e.event, e.data])).toEqual([
        ["metadata", { run_id: id }],
        ["values", { n: 1 }],
      ]);
    });

    test("a reader that starts before the run's first event gets everything", async () => {
      const log = await make();
      const id = runId();
      const reading = collect(log.read(id));
      await Bun.sleep(20);
      for (let i = 0; i < 50; i++) log.append(id, "e", i);
      log.close(id);
      expect((await reading).map((e) => e.data)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    });

    test("resuming after an id yields each later event exactly once; -1 replays all", async () => {
      const log = await make();
      const id = runId();
      log.append(id, "a", 1);
      log.append(id, "b", 2);
      log.append(id, "c", 3);
      log.close(id);
      expect((await collect(log.read(id, { after: "0" }))).map((e) => e.event)).toEqual(["b", "c"]);
      expect((await collect(log.read(id, { after: "-1" }))).map((e) => e.event)).toEqual(["a", "b", "c"]);
      expect(await collect(log.read(id, { after: "2" }))).toEqual([]);
    });

    test("isClosed: undefined for a run with no events kept, false while open, true once closed", async () => {
      const log = await make();
      const id = runId();
      expect(await log.isClosed(id)).toBeUndefined();
      log.append(id, "a", 1);
      await eventually(async () => (await log.isClosed(id)) === false, "the run to be open");
      log.close(id);
      await eventually(async () => (await log.isClosed(id)) === true, "the run to be closed");
    });

    test("a closed run's events are forgotten after the retention time", async () => {
      const log = await make({ retainMs: 30 });
      const id = runId();
      log.append(id, "a", 1);
      log.close(id);
      await eventually(async () => (await log.isClosed(id)) === true, "the run to be closed");
      await eventually(async () => (await log.isClosed(id)) === undefined, "the events to expire");
    });

    test("the events kept per run are bounded (the newest stay)", async () => {
      const log = await make({ maxEvents: 3 });
      const id = runId();
      for (let i = 0; i < 10; i++) log.append(id, "e", i);
      log.close(id);
      // Writes may land after this returns (Redis, PostgreSQL): read once the close is stored.
      await eventually(async () => (await log.isClosed(id)) === true, "the run to be closed");
      expect((await collect(log.read(id))).map((e) => e.data)).toEqual([7, 8, 9]);
    });

    test("an aborted reader ends, and nothing stays behind", async () => {
      const log = await make();
      const controllers = Array.from({ length: 50 }, () => new AbortController());
      const readings = controllers.map((c) => collect(log.read(runId(), { signal: c.signal })));
      await eventually(() => log.stats().readers === 50, "50 readers");
      for (const c of controllers) c.abort();
      await Promise.all(readings);
      expect(log.stats()).toMatchObject({ readers: 0, runs: 0 });
    });

    test("dispose ends every reader", async () => {
      const log = await make();
      const reading = collect(log.read(runId()));
      await eventually(() => log.stats().readers === 1, "a reader");
      log.dispose();
      expect(await reading).toEqual([]);
    });
  });
}

/**
 * What a log shared by several processes adds (Redis, PostgreSQL): `open` gives a log as a separate
 * process holds it (its own connections), so a write in one is read in another.
 */
export function describeSharedRunEventLog(name: string, open: () => Promise<RunEventLog>) {
  describe(`shared run event log contract (${name})`, () => {
    test("a reader on one process gets every event another process writes, in order, once", async () => {
      const writer = await open();
      const reader = await open();
      const id = crypto.randomUUID();
      const reading = collect(reader.read(id));
      await eventually(() => reader.stats().readers === 1, "the reader");
      for (let i = 0; i < 300; i++) writer.append(id, "values", i);
      writer.close(id);
      const events = await reading;
      expect(events.map((e) => e.data)).toEqual(Array.from({ length: 300 }, (_, i) => i));
      expect(events.map((e) => e.id)).toEqual(Array.from({ length: 300 }, (_, i) => String(i)));
    });

    test("two processes writing one run (a cancel while another wrote) keep one numbering", async () => {
      const a = await open();
      const b = await open();
      const id = crypto.randomUUID();
      a.append(id, "metadata", {});
      await eventually(async () => (await b.isClosed(id)) === false, "the first event");
      b.append(id, "end", null);
      b.close(id);
      expect((await collect(a.read(id))).map((e) => [e.id, e.event])).toEqual([
        ["0", "metadata"],
        ["1", "end"],
      ]);
    });
  });
}
