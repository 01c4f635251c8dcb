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
export async function readSse(url: string, timeoutMs: number): Promise<SseEvent[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return sse(res);
}
