import { describe, expect, test } from "bun:test";
import { createRunEventLog } from "./run-events.ts";
import { collect, describeRunEventLog } from "./testing/run-event-log-contract.ts";

describeRunEventLog("in process", async (options) => createRunEventLog(options));

describe("in-process run event log", () => {
  test("a closed run leaves no buffer or timer once its retention ends", async () => {
    const log = createRunEventLog({ retainMs: 10 });
    log.append("r", "a", 1);
    log.close("r");
    expect(log.stats()).toEqual({ runs: 1, readers: 0, timers: 1 });
    await Bun.sleep(30);
    expect(log.stats()).toEqual({ runs: 0, readers: 0, timers: 0 });
  });

  test("events of other runs do not reach a reader", async () => {
    const log = createRunEventLog();
    log.append("a", "x", 1);
    log.append("b", "y", 2);
    log.close("a");
    log.close("b");
    expect((await collect(log.read("a"))).map((e) => e.event)).toEqual(["x"]);
    log.dispose();
  });
});
