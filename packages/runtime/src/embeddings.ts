import { type ProviderSettings, splitModelSpec } from "@fractal/infra/providers";
import { OpenAIEmbeddings } from "@langchain/openai";

/** Turns texts into vectors of the configured size. */
export type EmbedTexts = (texts: string[]) => Promise<number[][]>;

export class EmbeddingsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EmbeddingsConfigError";
  }
}

const PROVIDERS = "fake:<name>, openai:<model>";

/**
 * Builds an embedding function from a `provider:model` string.
 * - `fake:<name>`: deterministic and offline (hashed character trigrams), for tests and demos;
 * - `openai:<model>`: the OpenAI embeddings API, or any compatible server through `baseUrl`;
 *   `dims` is sent as `dimensions` so text-embedding-3 models return the configured size.
 */
export function createEmbeddings(spec: string, dims: number, providers: ProviderSettings = {}): EmbedTexts {
  const { provider, model } = splitModelSpec(spec);
  if (provider === "fake") return (texts) => Promise.resolve(texts.map((text) => trigramVector(text, dims)));
  if (provider === "openai") {
    if (!model) throw new EmbeddingsConfigError(`'${spec}' names no model (e.g. openai:text-embedding-3-small)`);
    const settings = providers.openai ?? {};
    if (!settings.apiKey) {
      throw new EmbeddingsConfigError(`'${spec}' needs an OpenAI API key (OPENAI_API_KEY)`);
    }
    const client = new OpenAIEmbeddings({
      model,
      dimensions: dims,
      apiKey: settings.apiKey,
      ...(settings.baseUrl ? { configuration: { baseURL: settings.baseUrl } } : {}),
    });
    return async (texts) => {
      const vectors = await client.embedDocuments(texts);
      for (const vector of vectors) {
        if (vector.length !== dims) {
          throw new EmbeddingsConfigError(
            `'${spec}' returned ${vector.length} dimensions; store.index.dims is ${dims}`,
          );
        }
      }
      return vectors;
    };
  }
  throw new EmbeddingsConfigError(`unknown embeddings provider in '${spec}'; supported: ${PROVIDERS}`);
}

/** Character trigrams of the lower-cased text hashed into `dims` buckets, then normalised. */
export function trigramVector(text: string, dims: number): number[] {
  const vector = new Array<number>(dims).fill(0);
  const padded = ` ${text.toLowerCase().replace(/\s+/g, " ").trim()} `;
  for (let i = 0; i + 3 <= padded.length; i++) {
    let hash = 2166136261;
    for (let j = i; j < i + 3; j++) hash = Math.imul(hash ^ padded.charCodeAt(j), 16777619);
    const bucket = (hash >>> 0) % dims;
    vector[bucket] = (vector[bucket] ?? 0) + 1;
  }
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  return norm === 0 ? vector : vector.map((x) => x / norm);
}
