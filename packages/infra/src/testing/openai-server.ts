/**
 * A local stand-in for the OpenAI API, so tests exercise the real provider clients without network:
 * `POST /v1/embeddings` answers floats or base64 as asked; `POST /v1/chat/completions` answers
 * `<model> heard: <last user message>`, streamed as SSE when asked. Requests are recorded.
 */
export interface FakeOpenAI {
  /** Base URL to configure as OPENAI_BASE_URL (ends with /v1). */
  baseUrl: string;
  requests: Array<{ path: string; authorization: string | null; body: Record<string, unknown> }>;
  stop(): void;
}

type ChatBody = { model: string; stream?: boolean; messages: Array<{ role: string; content: unknown }> };

function embeddings(body: { input: string | string[]; model: string; encoding_format?: string }, embed: Embed) {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const data = inputs.map((text, index) => {
    const vector = embed(text);
    const embedding =
      body.encoding_format === "base64" ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector;
    return { object: "embedding", index, embedding };
  });
  return Response.json({ object: "list", data, model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 } });
}

function chat(body: ChatBody): Response {
  const lastUser = [...body.messages].reverse().find((m) => m.role === "user");
  const text = `${body.model} heard: ${typeof lastUser?.content === "string" ? lastUser.content : ""}`;
  const base = { id: "chatcmpl-fake", created: 0, model: body.model };
  if (!body.stream) {
    return Response.json({
      ...base,
      object: "chat.completion",
      choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    });
  }
  const pieces = text.match(/\s*\S+/g) ?? [];
  const frames = [
    ...pieces.map((content, i) => ({
      ...base,
      object: "chat.completion.chunk",
      choices: [{ index: 0, delta: i === 0 ? { role: "assistant", content } : { content }, finish_reason: null }],
    })),
    { ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
  ];
  const sse = `${frames.map((f) => `data: ${JSON.stringify(f)}\n\n`).join("")}data: [DONE]\n\n`;
  return new Response(sse, { headers: { "content-type": "text/event-stream" } });
}

type Embed = (text: string) => number[];

export function startFakeOpenAI(embed: Embed = () => [1, 0, 0]): FakeOpenAI {
  const requests: FakeOpenAI["requests"] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const { pathname } = new URL(request.url);
      if (request.method === "POST" && (pathname === "/v1/embeddings" || pathname === "/v1/chat/completions")) {
        const body = (await request.json()) as Record<string, unknown>;
        requests.push({ path: pathname, authorization: request.headers.get("authorization"), body });
        return pathname === "/v1/embeddings" ? embeddings(body as never, embed) : chat(body as ChatBody);
      }
      return Response.json({ error: { message: "not found" } }, { status: 404 });
    },
  });
  return { baseUrl: `http://127.0.0.1:${server.port}/v1`, requests, stop: () => server.stop(true) };
}
