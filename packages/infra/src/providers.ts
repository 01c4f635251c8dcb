/** A provider's credentials and endpoint, as the operator configured them. */
export interface ProviderCredentials {
  apiKey?: string;
  baseUrl?: string;
}

/** The providers the model factory knows, by the prefix of a `provider:model` string. */
export const MODEL_PROVIDERS = [
  "openai",
  "anthropic",
  "google",
  "openrouter",
  "ollama",
  "openai-compatible",
  "fake",
] as const;
export type ModelProvider = (typeof MODEL_PROVIDERS)[number];

/**
 * Credentials and endpoints of model providers. The runtime builds this from its configuration;
 * graphs and factories never read the environment themselves. Keys are never logged.
 */
export type ProviderSettings = Partial<Record<Exclude<ModelProvider, "fake">, ProviderCredentials>>;

/** Splits `provider:model` at its first colon; a bare name has no provider. */
export function splitModelSpec(spec: string): { provider: string; model: string } {
  const at = spec.indexOf(":");
  return at < 0 ? { provider: "", model: spec } : { provider: spec.slice(0, at), model: spec.slice(at + 1) };
}

export function isModelProvider(name: string): name is ModelProvider {
  return (MODEL_PROVIDERS as readonly string[]).includes(name);
}
