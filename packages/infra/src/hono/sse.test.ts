import { expect, test } from "bun:test";
import { Hono } from "hono";
import type { StreamEvent } from "../run-events.ts";
import { streamEvents } from "./sse.ts";

async function* events(list: StreamEvent[], holdOpen?: AbortSignal): AsyncGenerator<StreamEvent> {
  for (const event of list) yield event;
  if (holdOpen) await new Promise((resolve) => holdOpen.addEventListener("abort", resolve));
}

test("writes an opening comment, then each event with its id, and leaves out the log's end marker", async () => {
  const app = new Hono();
  app.get("/stream", (c) =>
    streamEvents(c, {
      heartbeatMs: 10_000,
      open: () =>
        events([
          { id: "0", event: "metadata", data: { run_id: "r" } },
          { id: "1", event: "values", data: { n: 1 } },
          { id: "2", event: "end", data: null },
        ]),
    }),
  );
  const response = await app.request("/stream");
  expect(response.headers.get("content-type")).toContain("text/event-stream");
  const text = await response.text();
  expect(text.startsWith(": open\n\n")).toBe(true);
  expect(text).toContain('event: metadata\ndata: {"run_id":"r"}\nid: 0\n\n');
  expect(text).toContain('event: values\ndata: {"n":1}\nid: 1\n\n');
  expect(text).not.toContain("event: end");
});

test("sends heartbeats while idle, and tells onDisconnect when the client leaves before the end", async () => {
  const app = new Hono();
  let disconnected = 0;
  app.get("/idle", (c) =>
    streamEvents(c, { heartbeatMs: 20, open: (signal) => events([], signal), onDisconnect: () => void disconnected++ }),
  );
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  try {
    const controller = new AbortController();
    const response = await fetch(`http://127.0.0.1:${server.port}/idle`, { signal: controller.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while (!text.includes(": heartbeat")) text += new TextDecoder().decode((await reader.read()).value);
    expect(text.startsWith(": open\n\n")).toBe(true);
    controller.abort();
    for (let i = 0; i < 50 && disconnected === 0; i++) await Bun.sleep(20);
    expect(disconnected).toBe(1);
  } finally {
    server.stop(true);
  }
});

test("a stream still open when the server closes ends with one ServerShutdown event, and onDisconnect is not told", async () => {
  const app = new Hono();
  const closing = new AbortController();
  let disconnected = 0;
  app.get("/open", (c) =>
    streamEvents(c, {
      heartbeatMs: 10_000,
      closing: closing.signal,
      onDisconnect: () => void disconnected++,
      open: (signal) => events([{ id: "0", event: "metadata", data: {} }], signal),
    }),
  );
  const reading = Promise.resolve(app.request("/open")).then((r) => r.text());
  await Bun.sleep(20);
  closing.abort();
  const text = await reading;
  expect(text).toContain("event: metadata");
  expect(text.match(/event: error/g)?.length).toBe(1);
  expect(text).toContain('"error":"ServerShutdown"');
  expect(disconnected).toBe(0);
});

test("a stream whose run ended gets no shutdown event", async () => {
  const app = new Hono();
  app.get("/done", (c) =>
    streamEvents(c, {
      heartbeatMs: 10_000,
      closing: new AbortController().signal,
      open: () =>
        events([
          { id: "0", event: "values", data: 1 },
          { id: "1", event: "end", data: null },
        ]),
    }),
  );
  expect(await (await app.request("/done")).text()).not.toContain("ServerShutdown");
});
