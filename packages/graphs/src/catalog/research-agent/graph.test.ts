import { describe, expect, test } from "bun:test";
import { HumanMessage } from "@langchain/core/messages";
import { Command, MemorySaver } from "@langchain/langgraph";
import { createResearchAgent } from "./graph.ts";
import { applyReview, legacyReview, parsePlan } from "./plan.ts";

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
    // The shape of LangChain v1's human-in-the-loop middleware, which Agent Chat UI reviews.
    expect(paused.tasks[0]?.interrupts[0]?.value).toMatchObject({
      action_requests: [
        {
          name: "research_plan",
          args: { topic: "bun", plan: ["Background of bun", "Current state of bun", "Open questions about bun"] },
          description: expect.stringContaining("Approve this research plan"),
        },
      ],
      review_configs: [{ action_name: "research_plan", allowed_decisions: ["approve", "edit", "reject"] }],
    });
    expect(custom).toContainEqual({ type: "progress", stage: "planning", topic: "bun" });

    const edit = { type: "edit", edited_action: { name: "research_plan", args: { plan: ["Speed", "Compatibility"] } } };
    const done = await graph.invoke(new Command({ resume: { decisions: [edit] } }), config);
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
    await graph.invoke(new Command({ resume: { decisions: [{ type: "reject", message: "shorter" }] } }), config);
    const again = await graph.getState(config);
    expect(again.next).toEqual(["review"]);
    expect(again.values.feedback).toBe("");
    const done = await graph.invoke(new Command({ resume: { decisions: [{ type: "approve" }] } }), config);
    expect(done.findings).toHaveLength(2);
  });

  test("an answer that is no decision asks again, naming the problem; it never re-plans silently", async () => {
    const graph = createResearchAgent({ checkpointer: new MemorySaver(), config: {} });
    const config = { configurable: { ...thread().configurable, max_steps: 1 } };
    await graph.invoke({ messages: [new HumanMessage("tea")] }, config);
    const plan = (await graph.getState(config)).values.plan;
    await graph.invoke(new Command({ resume: "yes please" }), config);
    const asked = await graph.getState(config);
    expect(asked.values.plan).toEqual(plan);
    expect(asked.tasks[0]?.interrupts[0]?.value).toMatchObject({ error: expect.stringContaining("decisions") });
    await graph.invoke(new Command({ resume: { decisions: [{ type: "approve" }, { type: "approve" }] } }), config);
    expect((await graph.getState(config)).tasks[0]?.interrupts[0]?.value).toMatchObject({
      error: "expected 1 decision(s), got 2",
    });
    const done = await graph.invoke(new Command({ resume: { decisions: [{ type: "approve" }] } }), config);
    expect((done.findings ?? []).map((f: { step: string }) => f.step)).toEqual(plan);
  });

  test("review_plan: false runs straight through", async () => {
    const graph = createResearchAgent({ checkpointer: new MemorySaver(), config: {} });
    const config = { configurable: { ...thread().configurable, review_plan: false, max_steps: 1 } };
    const done = await graph.invoke({ messages: [new HumanMessage("x")] }, config);
    expect(done.report).toBe("# x\n\n## Background of x\n\nYou said: Background of x");
  });

  test("plan parsing, decisions and the older answers", () => {
    expect(parsePlan("Plan:\n1. a\n2) b\n- c\nnote", 5)).toEqual(["a", "b", "c"]);
    const apply = (value: unknown) => applyReview((legacyReview(value) ?? [])[0] as never, ["a"]);
    expect(apply(true)).toEqual({ plan: ["a"] });
    expect(apply({ approved: true })).toEqual({ plan: ["a"] });
    expect(apply({ plan: ["b"] })).toEqual({ plan: ["b"] });
    expect(apply({ approved: false, feedback: "more" })).toEqual({ replan: "more" });
    expect(legacyReview("yes")).toBeUndefined();
    expect(legacyReview({ decisions: [] })).toBeUndefined();
  });
});
