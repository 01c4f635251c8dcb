/**
 * Credentials and endpoints of model providers. The runtime builds this from its configuration;
 * graphs and factories never read the environment themselves. Keys are never logged.
 */
export interface ProviderSettings {
  openai?: { apiKey?: string; baseUrl?: string };
}

/** Splits `provider:model` at its first colon; a bare name has no provider. */
export function splitModelSpec(spec: string): { provider: string; model: string } {
  const at = spec.indexOf(":");
  return at < 0 ? { provider: "", model: spec } : { provider: spec.slice(0, at), model: spec.slice(at + 1) };
}
