import { AppError } from "@fractal/infra/errors";
import type { ProviderSettings } from "@fractal/infra/providers";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { z } from "zod";
import { checkModelSpec, createChatModel, DEFAULT_MODEL, type ModelOptions } from "../models.ts";

/** The values a node reads its settings from: the run's merged `config.configurable`. */
export function configurableOf(config: LangGraphRunnableConfig): Record<string, unknown> {
  return (config.configurable ?? {}) as Record<string, unknown>;
}

export const ui = (config: Record<string, unknown>) => ({ x_oap_ui_config: config });

/** The model fields every catalog graph offers, with the UI hints Open Agent Platform reads. */
export const modelFields = {
  model: z
    .string()
    .default(DEFAULT_MODEL)
    .describe("provider:model, e.g. openai:gpt-4o-mini, anthropic:claude-sonnet-4-5, ollama:llama3.2")
    .meta(
      ui({
        type: "select",
        default: DEFAULT_MODEL,
        description: "The model the agent calls",
        options: [
          { label: "Offline echo (no key)", value: DEFAULT_MODEL },
          { label: "OpenAI GPT-4o mini", value: "openai:gpt-4o-mini" },
          { label: "Anthropic Claude Sonnet 4.5", value: "anthropic:claude-sonnet-4-5" },
          { label: "Google Gemini 2.5 Flash", value: "google:gemini-2.5-flash" },
          { label: "Ollama Llama 3.2", value: "ollama:llama3.2" },
        ],
      }),
    ),
  temperature: z
    .number()
    .min(0)
    .max(2)
    .optional()
    .meta(ui({ type: "slider", default: 0.7, min: 0, max: 2, step: 0.1, description: "Sampling temperature" })),
  max_tokens: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .meta(ui({ type: "number", default: 4000, min: 1, description: "Most tokens the model may produce per turn" })),
  base_url: z
    .url({ protocol: /^https?$/ })
    .optional()
    .meta(ui({ type: "text", description: "Endpoint for openai-compatible or ollama models" })),
};

type ModelSettings = { model: string; temperature?: number; max_tokens?: number; base_url?: string };

/**
 * The chat model a catalog graph's settings ask for. `fake_script` in `configurable` scripts the
 * fake provider for tests and demos; it is not one of the public settings.
 */
export function settingsModel(
  settings: ModelSettings,
  configurable: Record<string, unknown>,
  providers: ProviderSettings | undefined,
): BaseChatModel {
  const script = Array.isArray(configurable.fake_script)
    ? (configurable.fake_script as ModelOptions["script"])
    : undefined;
  return createChatModel(
    settings.model,
    { temperature: settings.temperature, maxTokens: settings.max_tokens, baseUrl: settings.base_url, script },
    providers,
  );
}

/** Parses a catalog graph's merged settings; a bad field or model string is a 422 naming it. */
export function parseSettings<T extends z.ZodType<ModelSettings>>(
  schema: T,
  values: Record<string, unknown>,
  graph: string,
): z.output<T> {
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    const text = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
    throw new AppError("validation_failed", `invalid ${graph} settings: ${text}`, { details: issues });
  }
  checkModelSpec(parsed.data.model);
  return parsed.data;
}
