import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { BaseChatModel, type BaseChatModelParams } from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";

/** One scripted turn: text, tool calls, or both. */
export interface FakeTurn {
  content?: string;
  tool_calls?: Array<{ name: string; args?: Record<string, unknown>; id?: string }>;
}

export interface FakeChatModelParams extends BaseChatModelParams {
  /**
   * Scripted turns. The turn played is the number of AI messages since the last user message, so
   * a tool-calling loop walks the script without the model keeping state between calls.
   * Past the end, the model echoes.
   */
  script?: Array<string | FakeTurn>;
  /** Prefix of the echo reply. */
  prefix?: string;
}

function textOf(message: BaseMessage | undefined): string {
  if (!message) return "";
  const content = message.content;
  if (typeof content === "string") return content;
  return content.map((part) => ("text" in part && typeof part.text === "string" ? part.text : "")).join("");
}

/** Splits a reply into word tokens that keep their spacing, so streamed chunks join back exactly. */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+/g) ?? (text ? [text] : []);
}

interface PlannedTurn {
  content: string;
  toolCalls: Array<{ name: string; args: Record<string, unknown>; id: string; type: "tool_call" }>;
}

/**
 * A deterministic chat model that needs no network or key: it plays a script (text and tool calls)
 * or echoes the last user message, and streams word by word. Selected with `fake:<name>`.
 */
export class FakeChatModel extends BaseChatModel {
  private readonly script: FakeTurn[];
  private readonly prefix: string;
  /** Names of the tools bound last; kept so tests can see what the agent offered the model. */
  boundTools: string[] = [];

  constructor(params: FakeChatModelParams = {}) {
    super(params);
    this.script = (params.script ?? []).map((turn) => (typeof turn === "string" ? { content: turn } : turn));
    this.prefix = params.prefix ?? "You said: ";
  }

  _llmType(): string {
    return "fake";
  }

  override bindTools(tools: Array<{ name?: string } | Record<string, unknown>>): this {
    this.boundTools = tools.map((tool) => String((tool as { name?: string }).name ?? ""));
    return this;
  }

  private plan(messages: BaseMessage[]): PlannedTurn {
    const lastUser = messages.findLastIndex((m) => m.getType() === "human");
    const turn = messages.slice(lastUser + 1).filter((m) => m.getType() === "ai").length;
    const scripted = this.script[turn];
    if (!scripted) return { content: `${this.prefix}${textOf(messages[lastUser])}`, toolCalls: [] };
    return {
      content: scripted.content ?? "",
      toolCalls: (scripted.tool_calls ?? []).map((call, index) => ({
        name: call.name,
        args: call.args ?? {},
        id: call.id ?? `call_${turn}_${index}`,
        type: "tool_call",
      })),
    };
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const { content, toolCalls } = this.plan(messages);
    return { generations: [{ text: content, message: new AIMessage({ content, tool_calls: toolCalls }) }] };
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    _options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const { content, toolCalls } = this.plan(messages);
    const chunks = [
      ...tokenize(content).map((token) => new ChatGenerationChunk({ text: token, message: new AIMessageChunk(token) })),
      ...toolCalls.map(
        (call, index) =>
          new ChatGenerationChunk({
            text: "",
            message: new AIMessageChunk({
              content: "",
              tool_call_chunks: [
                { name: call.name, args: JSON.stringify(call.args), id: call.id, index, type: "tool_call_chunk" },
              ],
            }),
          }),
      ),
    ];
    for (const chunk of chunks) {
      yield chunk;
      // The chunk rides along so stream handlers (LangGraph's messages mode) see tool calls too.
      await runManager?.handleLLMNewToken(chunk.text, { prompt: 0, completion: 0 }, undefined, undefined, undefined, {
        chunk,
      });
    }
  }
}
