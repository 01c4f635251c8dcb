/**
 * A local stand-in for the OpenAI embeddings endpoint (`POST /v1/embeddings`), so tests exercise the
 * real provider client without network. It answers floats or base64 as asked and records requests.
 */
export interface FakeOpenAI {
  /** Base URL to configure as OPENAI_BASE_URL (ends with /v1). */
  baseUrl: string;
  requests: Array<{ authorization: string | null; body: Record<string, unknown> }>;
  stop(): void;
}

export function startFakeOpenAI(embed: (text: string) => number[]): FakeOpenAI {
  const requests: FakeOpenAI["requests"] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const url = new URL(request.url);
      if (request.method !== "POST" || url.pathname !== "/v1/embeddings") {
        return Response.json({ error: { message: "not found" } }, { status: 404 });
      }
      const body = (await request.json()) as { input: string | string[]; model: string; encoding_format?: string };
      requests.push({ authorization: request.headers.get("authorization"), body });
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      const data = inputs.map((text, index) => {
        const vector = embed(text);
        const embedding =
          body.encoding_format === "base64" ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector;
        return { object: "embedding", index, embedding };
      });
      return Response.json({ object: "list", data, model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 } });
    },
  });
  return { baseUrl: `http://127.0.0.1:${server.port}/v1`, requests, stop: () => server.stop(true) };
}
