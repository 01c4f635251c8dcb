import { describe, expect, test } from "bun:test";
import { HumanMessage } from "@langchain/core/messages";
import { FakeChatModel, tokenize } from "./fake-chat-model.ts";
import { createChatModel } from "./models.ts";

describe("FakeChatModel", () => {
  test("echoes the last user message by default", async () => {
    const reply = await new FakeChatModel().invoke([new HumanMessage("first"), new HumanMessage("second")]);
    expect(reply.content).toBe("You said: second");
  });

  test("plays scripted replies in turn", async () => {
    const model = new FakeChatModel({ replies: ["one", "two"] });
    const got = [];
    for (let i = 0; i < 3; i++) got.push((await model.invoke([new HumanMessage("x")])).content);
    expect(got).toEqual(["one", "two", "one"]);
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

describe("createChatModel", () => {
  test("fake:<name> prefixes replies with the name", async () => {
    expect((await createChatModel("fake:bot").invoke([new HumanMessage("hi")])).content).toBe("bot: hi");
    expect((await createChatModel("fake:echo").invoke([new HumanMessage("hi")])).content).toBe("You said: hi");
  });

  test("an unknown provider is a validation error naming the model", () => {
    expect(() => createChatModel("nope:model")).toThrow(/unknown model provider in 'nope:model'/);
  });
});
