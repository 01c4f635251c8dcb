import { describe, expect, test } from "bun:test";
import { createLifecycleStream } from "./lifecycle.ts";

function recorder() {
  const events: Array<[string, { event: string; namespace: string[]; error?: unknown }]> = [];
  return { events, stream: createLifecycleStream((name, data) => events.push([name, data as never])) };
}

describe("lifecycle stream", () => {
  test("a subgraph starts at its first chunk and completes with its task's result", () => {
    const { events, stream } = recorder();
    stream.observe([], "tasks", { id: "t1", name: "child", input: {} });
    stream.observe(["child:t1"], "values", {});
    stream.observe(["child:t1"], "values", {});
    stream.observe([], "tasks", { id: "t1", name: "child", result: {}, interrupts: [] });
    stream.finish("completed");
    expect(events).toEqual([
      ["lifecycle|child:t1", { event: "started", namespace: ["child:t1"] }],
      ["lifecycle|child:t1", { event: "completed", namespace: ["child:t1"] }],
    ]);
  });

  test("nested subgraphs start outside-in and end inside-out; open ones end as the run did", () => {
    const { events, stream } = recorder();
    stream.observe(["a:1", "b:2"], "values", {});
    stream.finish("interrupted");
    expect(events.map(([name, data]) => [name, data.event])).toEqual([
      ["lifecycle|a:1", "started"],
      ["lifecycle|a:1|b:2", "started"],
      ["lifecycle|a:1|b:2", "interrupted"],
      ["lifecycle|a:1", "interrupted"],
    ]);
  });

  test("a task error fails its subgraph; a task with interrupts interrupts it", () => {
    const { events, stream } = recorder();
    stream.observe(["x:1"], "values", {});
    stream.observe([], "tasks", { id: "1", name: "x", error: "boom", interrupts: [] });
    stream.observe(["y:2"], "values", {});
    stream.observe([], "tasks", { id: "2", name: "y", result: null, interrupts: [{ value: 1 }] });
    expect(events.map(([, data]) => [data.namespace[0], data.event])).toEqual([
      ["x:1", "started"],
      ["x:1", "failed"],
      ["y:2", "started"],
      ["y:2", "interrupted"],
    ]);
    expect(events[1]?.[1].error).toEqual({ error: "Error", message: "boom" });
  });
});
