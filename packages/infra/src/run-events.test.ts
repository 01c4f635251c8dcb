import { describe, expect, test } from "bun:test";
import { createRunEventLog, type StreamEvent } from "./run-events.ts";

async function collect(gen: AsyncGenerator<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of gen) out.push(e);
  return out;
}

describe("run event log", () => {
  test("ids count each run's events from 0, as the reference server numbers them", () => {
    const log = createRunEventLog();
    const ids = Array.from({ length: 5 }, (_, i) => log.append("r", "values", i).id);
    expect(ids).toEqual(["0", "1", "2", "3", "4"]);
    expect(log.append("other", "metadata", {}).id).toBe("0");
    log.dispose();
  });

  test("a reader gets buffered events, then live ones, and finishes when the run closes", async () => {
    const log = createRunEventLog();
    log.append("r", "metadata", { run_id: "r" });
    const reading = collect(log.read("r"));
    await Bun.sleep(5);
    log.append("r", "values", 1);
    log.close("r");
    expect((await reading).map((e) => e.event)).toEqual(["metadata", "values"]);
    log.dispose();
  });

  test("resuming after an id yields each later event exactly once; -1 replays all", async () => {
    const log = createRunEventLog();
    const first = log.append("r", "a", 1);
    log.append("r", "b", 2);
    log.append("r", "c", 3);
    log.close("r");
    expect((await collect(log.read("r", { after: first.id }))).map((e) => e.event)).toEqual(["b", "c"]);
    expect((await collect(log.read("r", { after: "-1" }))).map((e) => e.event)).toEqual(["a", "b", "c"]);
    log.dispose();
  });

  test("aborted readers leave no reader or buffer behind", async () => {
    const log = createRunEventLog();
    const controllers = Array.from({ length: 500 }, () => new AbortController());
    const readings = controllers.map((c, i) => collect(log.read(`run-${i}`, { signal: c.signal })));
    await Bun.sleep(5);
    expect(log.stats()).toMatchObject({ readers: 500, runs: 500 });
    for (const c of controllers) c.abort();
    await Promise.all(readings);
    expect(log.stats()).toEqual({ runs: 0, readers: 0, timers: 0 });
  });

  test("closed runs are forgotten after the retention time", async () => {
    const log = createRunEventLog({ retainMs: 10 });
    log.append("r", "a", 1);
    log.close("r");
    expect(log.isClosed("r")).toBe(true);
    await Bun.sleep(30);
    expect(log.stats()).toEqual({ runs: 0, readers: 0, timers: 0 });
  });

  test("the buffer is bounded", () => {
    const log = createRunEventLog({ maxEvents: 3 });
    for (let i = 0; i < 10; i++) log.append("r", "e", i);
    log.close("r");
    return collect(log.read("r")).then((events) => {
      expect(events.map((e) => e.data)).toEqual([7, 8, 9]);
      log.dispose();
    });
  });
});
