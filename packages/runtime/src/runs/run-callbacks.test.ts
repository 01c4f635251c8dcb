import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createMetrics } from "@fractal/infra/metrics/metrics";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { tool } from "@langchain/core/tools";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ToolNode } from "@langchain/langgraph/prebuilt";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { z } from "zod";
import { RunCallbacks } from "./run-callbacks.ts";

class UsageModel extends BaseChatModel {
  _llmType() {
    return "test";
  }
  override getLsParams() {
    return { ls_provider: "acme", ls_model_name: "acme-1", ls_model_type: "chat" as const };
  }
  async _generate(): Promise<ChatResult> {
    const message = new AIMessage({
      content: "",
      tool_calls: [{ id: "c1", name: "add", args: { a: 1, b: 2 }, type: "tool_call" }],
      usage_metadata: { input_tokens: 11, output_tokens: 4, total_tokens: 15 },
    });
    return { generations: [{ text: "", message }] };
  }
}

const add = tool(async ({ a, b }: { a: number; b: number }) => String(a + b), {
  name: "add",
  description: "adds",
  schema: z.object({ a: z.number(), b: z.number() }),
});

const graph = new StateGraph(MessagesAnnotation)
  .addNode("ask", async (state) => ({ messages: [await new UsageModel({}).invoke(state.messages)] }))
  .addNode("tools", new ToolNode([add]))
  .addEdge(START, "ask")
  .addEdge("ask", "tools")
  .addEdge("tools", END)
  .compile();

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
});
afterAll(() => {
  trace.disable();
  context.disable();
});

const parentOf = (spans: ReadableSpan[], span: ReadableSpan) =>
  spans.find((s) => s.spanContext().spanId === span.parentSpanContext?.spanId)?.name;

describe("RunCallbacks", () => {
  test("spans for nodes, the model call and the tool call hang under the given parent, with GenAI attributes", async () => {
    exporter.reset();
    const metrics = createMetrics();
    const root = trace.getTracer("test").startSpan("execute");
    const parent = trace.setSpan(context.active(), root);
    await graph.invoke(
      { messages: [{ role: "user", content: "1+2?" }] },
      { callbacks: [new RunCallbacks({ parent, metrics })] },
    );
    root.end();
    const spans = exporter.getFinishedSpans();
    const tree = spans.map((s) => [s.name, parentOf(spans, s) ?? null]).sort();
    expect(tree).toEqual([
      ["chat acme-1", "node ask"],
      ["execute", null],
      ["execute_tool add", "node tools"],
      ["node ask", "execute"],
      ["node tools", "execute"],
    ]);
    const chat = spans.find((s) => s.name === "chat acme-1");
    expect(chat?.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "acme",
      "gen_ai.request.model": "acme-1",
      "gen_ai.usage.input_tokens": 11,
      "gen_ai.usage.output_tokens": 4,
    });
    expect(spans.find((s) => s.name === "execute_tool add")?.attributes).toMatchObject({ "gen_ai.tool.name": "add" });
    const tokens = await metrics.modelTokens.get();
    expect(tokens.values.map((v) => [v.labels.direction, v.value]).sort()).toEqual([
      ["input", 11],
      ["output", 4],
    ]);
  });

  test("without a parent no span is made, and tokens are still counted", async () => {
    exporter.reset();
    const metrics = createMetrics();
    await graph.invoke(
      { messages: [{ role: "user", content: "1+2?" }] },
      { callbacks: [new RunCallbacks({ metrics })] },
    );
    expect(exporter.getFinishedSpans()).toEqual([]);
    const tokens = await metrics.modelTokens.get();
    expect(tokens.values.find((v) => v.labels.direction === "input")?.value).toBe(11);
    expect(tokens.values[0]?.labels).toMatchObject({ provider: "acme", model: "acme-1" });
  });
});
