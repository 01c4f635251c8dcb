export type SseEvent = { event: string; data: unknown; id?: string };

/** Reads an SSE response into events (for requests the SDK cannot make). */
export async function sse(res: Response): Promise<SseEvent[]> {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((block) => block.includes("event:"))
    .map((block) => {
      const field = (name: string) =>
        block
          .split("\n")
          .find((l) => l.startsWith(`${name}: `))
          ?.slice(name.length + 2);
      return { event: field("event") ?? "", data: JSON.parse(field("data") ?? "null"), id: field("id") };
    });
}

/** GETs an SSE stream and reads it to its end (failing after `timeoutMs`). */
export async function readSse(
  url: string,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<SseEvent[]> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return sse(res);
}

/** Reads the first `count` events of an SSE stream, then drops the connection (a client that goes away). */
export async function readFirstSse(url: string, count: number, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  // Only whole events count: what stands before the last blank line.
  const whole = () => sse(new Response(text.slice(0, text.lastIndexOf("\n\n") + 2)));
  try {
    while ((await whole()).length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
  } finally {
    controller.abort();
  }
  return (await whole()).slice(0, count);
}
