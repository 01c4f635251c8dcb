import { AppError } from "@fractal/infra/errors";
import {
  isModelProvider,
  MODEL_PROVIDERS,
  type ModelProvider,
  type ProviderCredentials,
  type ProviderSettings,
  splitModelSpec,
} from "@fractal/infra/providers";
import { ChatAnthropic } from "@langchain/anthropic";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { ChatGoogleGenerativeAI } from "@langchain/google-genai";
import { ChatOllama } from "@langchain/ollama";
import { ChatOpenAI } from "@langchain/openai";
import { FakeChatModel, type FakeChatModelParams } from "./fake-chat-model.ts";

/** The default model of catalog graphs: offline and deterministic. */
export const DEFAULT_MODEL = "fake:echo";

/** Per-assistant or per-run overrides of a model call. */
export interface ModelOptions {
  temperature?: number;
  maxTokens?: number;
  /** Endpoint override; only for `openai-compatible` and `ollama` (see refuseKeyedOverride). */
  baseUrl?: string;
  /** Turns the `fake` provider plays (tests and demos). */
  script?: FakeChatModelParams["script"];
}

/** Where the operator sets each provider's key; named in errors, never read here. */
export const KEY_VARIABLES: Record<Exclude<ModelProvider, "fake" | "ollama">, string> = {
  openai: "OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
  google: "GOOGLE_API_KEY",
  openrouter: "OPENROUTER_API_KEY",
  "openai-compatible": "OPENAI_COMPATIBLE_API_KEY",
};

const OPENROUTER_URL = "https://openrouter.ai/api/v1";
const OLLAMA_URL = "http://127.0.0.1:11434";
/** Sent to OpenAI-compatible servers that need no key (the client insists on one). */
const NO_KEY = "not-needed";

function invalid(spec: string, message: string): AppError {
  return new AppError("validation_failed", message, { details: { model: spec, providers: MODEL_PROVIDERS } });
}

/**
 * Checks a `provider:model` string without building anything: called when an assistant or run is
 * created, so a typo is a 422 then and not a failed run later.
 */
export function checkModelSpec(spec: unknown): asserts spec is string {
  if (typeof spec !== "string") throw invalid(String(spec), "model must be a 'provider:model' string");
  const { provider, model } = splitModelSpec(spec);
  if (!isModelProvider(provider)) {
    throw invalid(spec, `unknown model provider in '${spec}'; use one of ${MODEL_PROVIDERS.join(", ")}`);
  }
  if (!model && provider !== "fake") throw invalid(spec, `'${spec}' names no model (e.g. ${provider}:<model>)`);
}

function requireKey(spec: string, provider: keyof typeof KEY_VARIABLES, creds: ProviderCredentials): string {
  if (!creds.apiKey) throw invalid(spec, `'${spec}' needs an API key: set ${KEY_VARIABLES[provider]}`);
  return creds.apiKey;
}

/**
 * The operator's key for a provider goes only to that provider's configured endpoint: an assistant
 * that overrides the base URL of a keyed provider could otherwise collect the key. A custom endpoint
 * is `openai-compatible:<model>` with `base_url`; it gets OPENAI_COMPATIBLE_API_KEY only when the
 * URL is the configured one.
 */
function refuseKeyedOverride(spec: string, provider: ModelProvider, options: ModelOptions): void {
  if (options.baseUrl && provider !== "openai-compatible" && provider !== "ollama" && provider !== "fake") {
    throw invalid(spec, `base_url cannot be overridden for ${provider}; use openai-compatible:<model> with base_url`);
  }
}

/** OpenAI's client, for OpenAI itself and the servers that speak its API. */
function openAiChat(model: string, options: ModelOptions, apiKey: string, baseURL: string | undefined): ChatOpenAI {
  return new ChatOpenAI({
    model,
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
    apiKey,
    ...(baseURL ? { configuration: { baseURL } } : {}),
  });
}

/** Builds a chat model from a `provider:model` string through the LangChain provider package. */
export function createChatModel(
  spec: string,
  options: ModelOptions = {},
  providers: ProviderSettings = {},
): BaseChatModel {
  checkModelSpec(spec);
  const { provider, model } = splitModelSpec(spec) as { provider: ModelProvider; model: string };
  refuseKeyedOverride(spec, provider, options);
  const { temperature, maxTokens } = options;
  const common = { ...(temperature !== undefined ? { temperature } : {}) };
  switch (provider) {
    case "fake":
      return new FakeChatModel({
        ...(model === "echo" || model === "" ? {} : { prefix: `${model}: ` }),
        script: options.script,
      });
    case "openai": {
      const creds = providers.openai ?? {};
      return openAiChat(model, options, requireKey(spec, provider, creds), creds.baseUrl);
    }
    case "openrouter": {
      const creds = providers.openrouter ?? {};
      return openAiChat(model, options, requireKey(spec, provider, creds), creds.baseUrl ?? OPENROUTER_URL);
    }
    case "openai-compatible": {
      const creds = providers["openai-compatible"] ?? {};
      const baseURL = options.baseUrl ?? creds.baseUrl;
      if (!baseURL) throw invalid(spec, `'${spec}' needs a base_url (or OPENAI_COMPATIBLE_BASE_URL)`);
      return openAiChat(model, options, baseURL === creds.baseUrl && creds.apiKey ? creds.apiKey : NO_KEY, baseURL);
    }
    case "anthropic": {
      const creds = providers.anthropic ?? {};
      return new ChatAnthropic({
        model,
        ...common,
        ...(maxTokens !== undefined ? { maxTokens } : {}),
        apiKey: requireKey(spec, provider, creds),
        ...(creds.baseUrl ? { anthropicApiUrl: creds.baseUrl } : {}),
      });
    }
    case "google": {
      const creds = providers.google ?? {};
      return new ChatGoogleGenerativeAI({
        model,
        ...common,
        ...(maxTokens !== undefined ? { maxOutputTokens: maxTokens } : {}),
        apiKey: requireKey(spec, provider, creds),
        ...(creds.baseUrl ? { baseUrl: creds.baseUrl } : {}),
      });
    }
    case "ollama":
      return new ChatOllama({
        model,
        ...common,
        ...(maxTokens !== undefined ? { numPredict: maxTokens } : {}),
        baseUrl: options.baseUrl ?? providers.ollama?.baseUrl ?? OLLAMA_URL,
      });
  }
}
