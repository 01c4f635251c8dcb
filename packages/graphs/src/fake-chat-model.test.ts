import { describe, expect, test } from "bun:test";
import { AIMessage, type AIMessageChunk, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { FakeChatModel, tokenize } from "./fake-chat-model.ts";

describe("FakeChatModel", () => {
  test("echoes the last user message by default", async () => {
    const reply = await new FakeChatModel().invoke([new HumanMessage("first"), new HumanMessage("second")]);
    expect(reply.content).toBe("You said: second");
  });

  test("plays the script turn by turn within one user message, then echoes", async () => {
    const model = new FakeChatModel({ script: ["one", { content: "two" }] });
    const history = [new HumanMessage("x")];
    expect((await model.invoke(history)).content).toBe("one");
    expect((await model.invoke([...history, new AIMessage("one")])).content).toBe("two");
    expect((await model.invoke([...history, new AIMessage("one"), new AIMessage("two")])).content).toBe("You said: x");
    // A new user message starts the script again: the turn comes from the messages, not from state.
    expect((await model.invoke([...history, new AIMessage("one"), new HumanMessage("y")])).content).toBe("one");
  });

  test("emits scripted tool calls, whole and streamed", async () => {
    const model = new FakeChatModel({
      script: [{ content: "Let me add.", tool_calls: [{ name: "add", args: { a: 2, b: 3 } }] }, "It is 5."],
    });
    const reply = (await model.invoke([new HumanMessage("2+3?")])) as AIMessage;
    expect(reply.tool_calls).toEqual([{ name: "add", args: { a: 2, b: 3 }, id: "call_0_0", type: "tool_call" }]);
    let merged: AIMessageChunk | undefined;
    const texts: string[] = [];
    for await (const chunk of await model.stream([new HumanMessage("2+3?")])) {
      texts.push(String(chunk.content));
      merged = merged ? merged.concat(chunk) : chunk;
    }
    expect(texts.join("")).toBe("Let me add.");
    expect(merged?.tool_calls).toEqual([{ name: "add", args: { a: 2, b: 3 }, id: "call_0_0", type: "tool_call" }]);
    const after = [new HumanMessage("2+3?"), reply, new ToolMessage({ content: "5", tool_call_id: "call_0_0" })];
    expect((await model.invoke(after)).content).toBe("It is 5.");
  });

  test("records the tools it was offered", () => {
    const model = new FakeChatModel();
    model.bindTools([{ name: "add" }, { name: "search" }]);
    expect(model.boundTools).toEqual(["add", "search"]);
  });

  test("streams word tokens that join back to the reply", async () => {
    const chunks: string[] = [];
    for await (const chunk of await new FakeChatModel().stream([new HumanMessage("a b  c")])) {
      chunks.push(String(chunk.content));
    }
    expect(chunks.length).toBe(5);
    expect(chunks.join("")).toBe("You said: a b  c");
    expect(tokenize("  x y")).toEqual(["  x", " y"]);
  });
});
