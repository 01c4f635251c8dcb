import { afterAll, describe, expect, test } from "bun:test";
import { startFakeOpenAI } from "@fractal/infra/testing/openai-server";
import { createEmbeddings, EmbeddingsConfigError, trigramVector } from "./embeddings.ts";

const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);

describe("createEmbeddings", () => {
  test("fake: is deterministic, sized, unit length, and ranks shared text closer", async () => {
    const embed = createEmbeddings("fake:trigrams", 64);
    const [banana, bananaBread, jazz] = await embed(["banana", "banana bread", "jazz quiz"]);
    expect(banana).toHaveLength(64);
    expect(await embed(["banana"])).toEqual([banana as number[]]);
    expect(Math.hypot(...(banana as number[]))).toBeCloseTo(1, 9);
    expect(cosine(banana as number[], bananaBread as number[])).toBeGreaterThan(
      cosine(banana as number[], jazz as number[]),
    );
    expect(trigramVector("", 8)).toEqual(new Array(8).fill(0));
  });

  const openai = startFakeOpenAI((text) => [text.length, 1, 0]);
  afterAll(() => openai.stop());

  test("openai: calls the embeddings API with the model, dimensions and key, and decodes the answer", async () => {
    const embed = createEmbeddings("openai:text-embedding-3-small", 3, {
      openai: { apiKey: "sk-test", baseUrl: openai.baseUrl },
    });
    expect(await embed(["ab", "abcd"])).toEqual([
      [2, 1, 0],
      [4, 1, 0],
    ]);
    const sent = openai.requests.at(-1);
    expect(sent?.authorization).toBe("Bearer sk-test");
    expect(sent?.body).toMatchObject({ model: "text-embedding-3-small", dimensions: 3, input: ["ab", "abcd"] });
  });

  test("openai: a server answering the wrong size is an error naming both sizes", async () => {
    const embed = createEmbeddings("openai:text-embedding-3-small", 5, {
      openai: { apiKey: "sk-test", baseUrl: openai.baseUrl },
    });
    const error = await embed(["x"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingsConfigError);
    expect((error as Error).message).toContain("returned 3 dimensions; store.index.dims is 5");
  });

  test("configuration mistakes fail at once with a clear message", () => {
    expect(() => createEmbeddings("openai:text-embedding-3-small", 3)).toThrow("needs an OpenAI API key");
    expect(() => createEmbeddings("openai:", 3, { openai: { apiKey: "k" } })).toThrow("names no model");
    expect(() => createEmbeddings("cohere:embed", 3)).toThrow("unknown embeddings provider in 'cohere:embed'");
    expect(() => createEmbeddings("text-embedding-3-small", 3)).toThrow("unknown embeddings provider");
  });
});
