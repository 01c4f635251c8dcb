import { AppError } from "@fractal/infra/errors";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { FakeChatModel } from "./fake-chat-model.ts";
import { splitModelSpec } from "./providers.ts";

/** The default model of catalog graphs: offline and deterministic. */
export const DEFAULT_MODEL = "fake:echo";

/**
 * Builds a chat model from a `provider:model` string. This build knows the offline `fake:` provider;
 * network providers arrive with the model factory.
 */
export function createChatModel(spec: string): BaseChatModel {
  const { provider, model: name } = splitModelSpec(spec);
  if (provider === "fake") {
    return new FakeChatModel(name === "echo" || name === "" ? {} : { prefix: `${name}: ` });
  }
  throw new AppError("validation_failed", `unknown model provider in '${spec}'; supported here: fake:<name>`, {
    details: { model: spec },
  });
}
