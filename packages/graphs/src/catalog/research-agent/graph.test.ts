import { describe, expect, test } from "bun:test";
import { HumanMessage } from "@langchain/core/messages";
import { Command, MemorySaver } from "@langchain/langgraph";
import { createResearchAgent } from "./graph.ts";
import { parsePlan, readReview } from "./plan.ts";

const thread = () => ({ configurable: { thread_id: crypto.randomUUID() } });

describe("research-agent", () => {
  test("plans, stops for review, researches each step in parallel, and reports in plan order", async () => {
    const graph = createResearchAgent({ checkpointer: new MemorySaver(), config: {} });
    const config = thread();
    const custom: unknown[] = [];
    for await (const [mode, chunk] of await graph.stream(
      { messages: [new HumanMessage("bun")] },
      { ...config, streamMode: ["custom", "updates"] },
    )) {
      if (mode === "custom") custom.push(chunk);
    }
    const paused = await graph.getState(config);
    expect(paused.next).toEqual(["review"]);
    expect(paused.tasks[0]?.interrupts[0]?.value).toMatchObject({
      plan: ["Background of bun", "Current state of bun", "Open questions about bun"],
    });
    expect(custom).toContainEqual({ type: "progress", stage: "planning", topic: "bun" });

    const done = await graph.invoke(new Command({ resume: { plan: ["Speed", "Compatibility"] } }), config);
    expect(done.plan).toEqual(["Speed", "Compatibility"]);
    expect((done.findings ?? []).map((f: { step: string }) => f.step).sort()).toEqual(["Compatibility", "Speed"]);
    expect(done.report).toBe("# bun\n\n## Speed\n\nYou said: Speed\n\n## Compatibility\n\nYou said: Compatibility");
  });

  test("a rejected plan is planned again with the feedback", async () => {
    const graph = createResearchAgent({ checkpointer: new MemorySaver(), config: {} });
    const config = {
      configurable: {
        ...thread().configurable,
        max_steps: 2,
        fake_script: ["1. First idea\n2. Second idea\n3. Third idea"],
      },
    };
    await graph.invoke({ messages: [new HumanMessage("tea")] }, config);
    expect((await graph.getState(config)).values.plan).toEqual(["First idea", "Second idea"]);
    await graph.invoke(new Command({ resume: { approved: false, feedback: "shorter" } }), config);
    const again = await graph.getState(config);
    expect(again.next).toEqual(["review"]);
    expect(again.values.feedback).toBe("");
    const done = await graph.invoke(new Command({ resume: true }), config);
    expect(done.findings).toHaveLength(2);
  });

  test("review_plan: false runs straight through", async () => {
    const graph = createResearchAgent({ checkpointer: new MemorySaver(), config: {} });
    const config = { configurable: { ...thread().configurable, review_plan: false, max_steps: 1 } };
    const done = await graph.invoke({ messages: [new HumanMessage("x")] }, config);
    expect(done.report).toBe("# x\n\n## Background of x\n\nYou said: Background of x");
  });

  test("plan parsing and review answers", () => {
    expect(parsePlan("Plan:\n1. a\n2) b\n- c\nnote", 5)).toEqual(["a", "b", "c"]);
    expect(readReview(true, ["a"])).toEqual({ plan: ["a"] });
    expect(readReview({ approved: true }, ["a"])).toEqual({ plan: ["a"] });
    expect(readReview({ plan: ["b"] }, ["a"])).toEqual({ plan: ["b"] });
    expect(readReview({ approved: false, feedback: "more" }, ["a"])).toEqual({ replan: "more" });
    expect(readReview("yes", ["a"])).toEqual({ replan: "" });
  });
});
