import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { BaseChatModel, type BaseChatModelParams } from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";

export interface FakeChatModelParams extends BaseChatModelParams {
  /** Scripted replies used in turn; when absent the model echoes the last user message. */
  replies?: string[];
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

/**
 * A deterministic chat model that needs no network or key: it replies from a script or echoes the
 * last message, and streams the reply word by word. Selected with `fake:<name>`.
 */
export class FakeChatModel extends BaseChatModel {
  private readonly replies: string[];
  private readonly prefix: string;
  private turn = 0;

  constructor(params: FakeChatModelParams = {}) {
    super(params);
    this.replies = params.replies ?? [];
    this.prefix = params.prefix ?? "You said: ";
  }

  _llmType(): string {
    return "fake";
  }

  private nextReply(messages: BaseMessage[]): string {
    if (this.replies.length > 0) {
      const reply = this.replies[this.turn % this.replies.length] as string;
      this.turn++;
      return reply;
    }
    const lastUser = [...messages].reverse().find((m) => m.getType() === "human");
    return `${this.prefix}${textOf(lastUser)}`;
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const text = this.nextReply(messages);
    return { generations: [{ text, message: new AIMessage(text) }] };
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    _options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    for (const token of tokenize(this.nextReply(messages))) {
      const chunk = new ChatGenerationChunk({ text: token, message: new AIMessageChunk(token) });
      yield chunk;
      await runManager?.handleLLMNewToken(token);
    }
  }
}
