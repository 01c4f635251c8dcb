import { describe, expect, test } from "bun:test";
import { Document } from "@langchain/core/documents";
import {
  AIMessage,
  AIMessageChunk,
  ChatMessage,
  HumanMessage,
  RemoveMessage,
  SystemMessage,
  ToolMessage,
} from "@langchain/core/messages";
import { JsonPlusSerializer } from "@langchain/langgraph-checkpoint";
import { CheckpointSerializer } from "./checkpoint-serde";

const stock = new JsonPlusSerializer();
const quick = new CheckpointSerializer();

/** A value's shape with classes spelled out, so equal output means equal classes too. */
function shape(value: unknown): unknown {
  if (value === undefined) return "<undefined>";
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(shape);
  if (value instanceof Set) return { "<Set>": [...value].map(shape) };
  if (value instanceof Map) return { "<Map>": [...value].map(shape) };
  const out: Record<string, unknown> = { "<class>": value.constructor?.name };
  for (const key of Object.keys(value).sort()) out[key] = shape((value as Record<string, unknown>)[key]);
  return out;
}

/** What a reader gives for the value written by the stock serializer: its shape, or its error. */
async function read(reader: JsonPlusSerializer, type: string, bytes: Uint8Array) {
  try {
    return shape(await reader.loadsTyped(type, bytes));
  } catch (error) {
    return { "<error>": String(error) };
  }
}

async function both(value: unknown) {
  const [type, bytes] = await stock.dumpsTyped(value);
  return { expected: await read(stock, type, bytes), actual: await read(quick, type, bytes) };
}

const conversation = [
  new SystemMessage("be brief"),
  new HumanMessage({ content: "hi", id: "h1", name: "ann", additional_kwargs: { nested: { deep: [1, "two"] } } }),
  new AIMessage({
    content: [{ type: "text", text: "calling" }],
    id: "a1",
    tool_calls: [{ name: "search", args: { q: "x", n: 2 }, id: "t1", type: "tool_call" }],
    invalid_tool_calls: [{ name: "bad", args: "{", id: "t2", error: "parse", type: "invalid_tool_call" }],
    usage_metadata: { input_tokens: 3, output_tokens: 5, total_tokens: 8 },
    response_metadata: { model_name: "m", finish_reason: "tool_calls" },
  }),
  new ToolMessage({ content: "found", tool_call_id: "t1", artifact: { rows: [1, 2] }, status: "success" }),
  new AIMessageChunk({ content: "partial", tool_call_chunks: [{ name: "f", args: "{}", id: "t3", index: 0 }] }),
  new ChatMessage({ content: "custom", role: "critic" }),
  new RemoveMessage({ id: "h1" }),
];

describe("CheckpointSerializer reads what the stock serializer reads", () => {
  test("a state of messages of every kind, with tool calls, usage, content blocks and chunks", async () => {
    const { expected, actual } = await both({ messages: conversation, count: 3, unset: undefined });
    expect(actual).toEqual(expected);
    const read = (await quick.loadsTyped(...(await stock.dumpsTyped(conversation)))) as unknown[];
    expect(read[2]).toBeInstanceOf(AIMessage);
    expect((read[2] as AIMessage).tool_calls?.[0]?.args).toEqual({ q: "x", n: 2 });
    expect(read[4]).toBeInstanceOf(AIMessageChunk);
  });

  test("undefined outside a message stays a present key; inside a message it is dropped", async () => {
    const inside = new HumanMessage({ content: "x", additional_kwargs: { gone: undefined, list: [undefined, 1] } });
    const { expected, actual } = await both({ a: undefined, list: [undefined, 1], m: new AIMessageChunk("x"), inside });
    expect(actual).toEqual(expected);
    const back = (await quick.loadsTyped(...(await stock.dumpsTyped({ inside })))) as { inside: HumanMessage };
    expect(back.inside.additional_kwargs).toEqual({ list: [null, 1] });
    expect("gone" in back.inside.additional_kwargs).toBe(false);
  });

  test("a field the class does not alias is passed under its camelCase name, as LangChain's loader does", async () => {
    const text = JSON.stringify({
      m: {
        lc: 1,
        type: "constructor",
        id: ["langchain_core", "messages", "AIMessage"],
        kwargs: {
          content: "c",
          tool_calls: [],
          response_metadata: { a_b: 1 },
          usage_metadata: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
          lc_extra_field: "e",
        },
      },
    });
    const bytes = new TextEncoder().encode(text);
    const expected = await read(stock, "json", bytes);
    expect(await read(quick, "json", bytes)).toEqual(expected);
    expect(JSON.stringify(expected)).toContain("lcExtraField");
  });

  test("values the quick reader leaves to the stock one come back the same", async () => {
    const values = [
      { tags: new Set(["a"]), index: new Map([["k", 1]]), when: /x/g, bytes: new Uint8Array([1, 2]) },
      { doc: new Document({ pageContent: "p", metadata: { s: 1 } }) },
      { user: { lc: 1, type: "constructor", id: ["x"], kwargs: {} } },
      { messages: [new HumanMessage({ content: "h", additional_kwargs: { tag: new Set([1]) } })] },
      "plain",
      [1, null, { a: "b" }],
    ];
    for (const value of values) {
      const { expected, actual } = await both(value);
      expect(actual).toEqual(expected);
    }
  });

  test("a state of messages is read without the stock reader", async () => {
    const proto = JsonPlusSerializer.prototype as unknown as { _loads: (data: string) => Promise<unknown> };
    const original = proto._loads;
    let stockReads = 0;
    proto._loads = function (this: JsonPlusSerializer, data: string) {
      stockReads++;
      return original.call(this, data);
    };
    try {
      await quick.loadsTyped(...(await stock.dumpsTyped({ messages: conversation })));
      expect(stockReads).toBe(0);
      await quick.loadsTyped(...(await stock.dumpsTyped({ tags: new Set([1]) })));
      expect(stockReads).toBe(1);
    } finally {
      proto._loads = original;
    }
  });

  test("bytes are passed through as bytes", async () => {
    const bytes = new Uint8Array([7, 8]);
    expect(await quick.loadsTyped("bytes", bytes)).toBe(bytes);
  });
});
